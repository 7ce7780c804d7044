package io.modelprefetch.transforms.model;

import java.io.Serializable;
import java.util.List;

/**
 * The outcome of one range: written in place and durable, or failed with {@code error}.
 *
 * @param bytesFetched bytes transferred for this range in this run (0 when resumed from a journal)
 * @param crc64 the CRC-64/ECMA-182 of the range's bytes, computed only when the server announced a
 *     whole-object CRC ({@code objectCrc64}); else 0
 * @param md5Hex the MD5 of the bytes when the range is the whole object; else null
 * @param partMd5Hex the MD5 of each upload part the range holds, when the layout is known
 * @param objectCrc64 the whole-object CRC the server announced ({@code x-tos-hash-crc64ecma}), or
 *     null
 * @param objectChanged the server refused the range because the object's ETag changed (412)
 */
public record FetchedRange(
    RangeTask task,
    long bytesFetched,
    long crc64,
    String md5Hex,
    List<String> partMd5Hex,
    String objectCrc64,
    int retries,
    String error,
    boolean objectChanged)
    implements Serializable {

  public FetchedRange {
    partMd5Hex = partMd5Hex == null ? List.of() : List.copyOf(partMd5Hex);
  }

  public static FetchedRange failed(RangeTask task, long bytesFetched, int retries, String error, boolean changed) {
    return new FetchedRange(task, bytesFetched, 0, null, List.of(), null, retries, error, changed);
  }

  public boolean ok() {
    return error == null;
  }
}
