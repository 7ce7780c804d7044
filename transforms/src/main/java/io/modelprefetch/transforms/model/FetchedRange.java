package io.modelprefetch.transforms.model;

import java.io.Serializable;

/**
 * The outcome of one range: written in place, or failed with {@code error}.
 *
 * @param md5Hex the MD5 of the bytes, when the range is the whole object; else null
 */
public record FetchedRange(RangeTask task, long bytesFetched, String md5Hex, int retries, String error)
    implements Serializable {

  public boolean ok() {
    return error == null;
  }
}
