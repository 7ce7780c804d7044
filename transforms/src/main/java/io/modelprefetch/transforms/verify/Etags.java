package io.modelprefetch.transforms.verify;

import java.util.Locale;
import java.util.regex.Pattern;

/** What an S3 ETag says about an object's content. */
public final class Etags {

  private static final Pattern PLAIN_MD5 = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern MULTIPART = Pattern.compile("[0-9a-f]{32}-[0-9]+");

  private Etags() {}

  /** The ETag without surrounding quotes, lower-cased. */
  public static String normalize(String etag) {
    if (etag == null) {
      return "";
    }
    String s = etag.strip();
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      s = s.substring(1, s.length() - 1);
    }
    return s.toLowerCase(Locale.ROOT);
  }

  /** True when the ETag is the MD5 of the whole object (a single PUT, no {@code -N} suffix). */
  public static boolean isPlainMd5(String etag) {
    return PLAIN_MD5.matcher(normalize(etag)).matches();
  }

  /** True when the ETag has the {@code <hex>-N} form of a multipart upload. */
  public static boolean isMultipart(String etag) {
    return MULTIPART.matcher(normalize(etag)).matches();
  }
}
