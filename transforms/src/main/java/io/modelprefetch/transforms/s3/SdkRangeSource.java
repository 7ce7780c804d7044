package io.modelprefetch.transforms.s3;

import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/** Ranged GETs through the SDK's client: {@link RangeSource#sdk}. */
final class SdkRangeSource implements RangeSource {

  /** The header that asks a store for an object's checksums with a whole-object GET. */
  private static final String CHECKSUM_MODE = "x-amz-checksum-mode";

  private final S3Client s3;

  SdkRangeSource(S3Client s3) {
    this.s3 = s3;
  }

  @Override
  public Response get(
      String bucket,
      String key,
      @Nullable String etag,
      @Nullable String range,
      boolean checksumMode) {
    GetObjectRequest.Builder request =
        GetObjectRequest.builder().bucket(bucket).key(key).ifMatch(etag);
    if (range != null) {
      request.range("bytes=" + range);
    }
    if (checksumMode) {
      // The header, not the request's checksumMode: that would have the SDK check a full-object
      // CRC itself too (twice the work, and CRC-64/NVME silently unchecked without the CRT).
      request.overrideConfiguration(o -> o.putHeader(CHECKSUM_MODE, "ENABLED"));
    }
    return new Answer(s3.getObject(request.build()));
  }

  private record Answer(ResponseInputStream<GetObjectResponse> in) implements Response {
    @Override
    public InputStream body() {
      return in;
    }

    @Override
    public int status() {
      return in.response().sdkHttpResponse().statusCode();
    }

    @Override
    public @Nullable String contentRange() {
      return in.response().contentRange();
    }

    @Override
    public long contentLength() {
      Long length = in.response().contentLength();
      return length == null ? -1 : length;
    }

    @Override
    public @Nullable String header(String name) {
      return in.response().sdkHttpResponse().firstMatchingHeader(name).orElse(null);
    }

    @Override
    public void abort() {
      in.abort();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
