package io.modelprefetch.transforms.verify;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The JDK digests the tool uses. */
public final class Digests {

  private Digests() {}

  public static MessageDigest md5() {
    return get("MD5");
  }

  public static MessageDigest sha256() {
    return get("SHA-256");
  }

  /** The JDK's digest {@code name} (e.g. {@code SHA-1}); every JVM has MD5, SHA-1 and SHA-256. */
  public static MessageDigest get(String name) {
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(name + " is missing from this JVM", e);
    }
  }
}
