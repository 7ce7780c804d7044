package io.modelprefetch.transforms.s3;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Where the engine's ranged GETs go: the SDK's client ({@link #sdk}) or the JDK's HTTP client
 * ({@link SmallGets}). Both answer the same request with the same bytes and the same response
 * facts, and fail the same way (an error answer as the {@link S3Exception} the SDK raises for its
 * code, with its status, code and message), so retries, their causes and messages do not depend on
 * which one served. {@link RangeSources} chooses them for a recipe; {@code SmallGetsIT} is the
 * contract both pass.
 */
public interface RangeSource {

  /**
   * GETs {@code bucket/key}, pinned to {@code etag} with {@code If-Match} when it is set.
   *
   * @param range {@code first-lastInclusive} for a part of the object, or null for all of it
   * @param checksumMode ask for the checksums the store keeps ({@code x-amz-checksum-mode:
   *     ENABLED}; stores send them with a whole-object answer only)
   * @return the answer, 200 or 206, never null; close it once read
   * @throws S3Exception when the server answers anything but 200 or 206
   * @throws IOException when {@link SmallGets}' connection fails (the SDK raises an {@link
   *     software.amazon.awssdk.core.exception.SdkClientException} with the I/O error as its cause)
   */
  Response get(
      String bucket,
      String key,
      @Nullable String etag,
      @Nullable String range,
      boolean checksumMode)
      throws IOException;

  /**
   * An answer with a body, the facts the engine checks before it takes the bytes, and the means to
   * end it from another thread. Closing it returns its connection to the pool.
   */
  interface Response extends Closeable {

    InputStream body();

    /** The HTTP status: 200 or 206. */
    int status();

    /** The {@code Content-Range} header, or null. */
    @Nullable String contentRange();

    /** The {@code Content-Length}, or -1 when the server sent none. */
    long contentLength();

    /** The first value of a response header (the name in any case), or null. */
    @Nullable String header(String name);

    /**
     * Ends the exchange from another thread (a stalled body): a read in progress fails, the
     * connection is dropped.
     */
    void abort();
  }

  /** GETs through {@code s3}, which its owner keeps and closes. */
  static RangeSource sdk(S3Client s3) {
    return new SdkRangeSource(s3);
  }
}
