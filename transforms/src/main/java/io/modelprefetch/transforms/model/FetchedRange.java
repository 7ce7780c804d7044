package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.s3.S3Errors.RetryCause;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one range: written in place and durable, or failed with {@code error}.
 *
 * @param bytesFetched bytes transferred for this range in this run (0 when resumed from a journal)
 * @param crc64 the CRC-64/ECMA-182 of the range's bytes, computed only when the server announced a
 *     whole-object CRC ({@code objectCrc64}); else 0
 * @param md5Hex the MD5 of the whole object: when the range is the whole object, or when it completed
 *     the object's in-order MD5 (see {@code InOrderMd5}); else null
 * @param partMd5Hex the MD5 of each upload part the range holds, when the layout is known
 * @param objectCrc64 the whole-object CRC the server announced ({@code x-tos-hash-crc64ecma}), or
 *     null
 * @param retriesByCause the requests retried for this range, by cause; a cause never seen is absent
 * @param fetchMillis from the range's first request to its bytes on disk (or its failure), retries
 *     and backoff included; 0 when resumed from a journal
 * @param objectChanged the server refused the range because the object's ETag changed (412)
 */
public record FetchedRange(
    RangeTask task,
    long bytesFetched,
    long crc64,
    String md5Hex,
    List<String> partMd5Hex,
    String objectCrc64,
    Map<RetryCause, Integer> retriesByCause,
    long fetchMillis,
    String error,
    boolean objectChanged)
    implements Serializable {

  public FetchedRange {
    partMd5Hex = partMd5Hex == null ? List.of() : List.copyOf(partMd5Hex);
    retriesByCause = retriesByCause == null ? Map.of() : Map.copyOf(retriesByCause);
  }

  public static FetchedRange failed(RangeTask task, long bytesFetched, Map<RetryCause, Integer> retriesByCause,
      long fetchMillis, String error, boolean changed) {
    return new FetchedRange(task, bytesFetched, 0, null, List.of(), null, retriesByCause, fetchMillis, error, changed);
  }

  /** The requests retried for this range, whatever their cause. */
  public int retries() {
    return retriesByCause.values().stream().mapToInt(Integer::intValue).sum();
  }

  public boolean ok() {
    return error == null;
  }
}
