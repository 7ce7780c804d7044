package io.modelprefetch.transforms.verify;

import java.util.SplittableRandom;

/**
 * The bytes of the objects uploaded for docs/notes/s3-checksums.md: {@code SplittableRandom(seed)}
 * filling a fresh 1 MiB buffer per MiB of the object, the last MiB cut to the size (the generator
 * {@code Gen.java} in those notes).
 */
final class SeededObjects {

  /** small.bin: 1,234,567 bytes, seed 1 (single PUT for every uploader). */
  static final long SMALL_SEED = 1;

  static final int SMALL_BYTES = 1_234_567;

  /**
   * medium.bin: 25 MiB + 12,345 bytes, seed 2 (multipart for the aws CLI, boto3, s3cmd, the SDK).
   */
  static final long MEDIUM_SEED = 2;

  static final int MEDIUM_BYTES = 26_226_745;

  private SeededObjects() {}

  static byte[] bytes(long seed, int size) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] object = new byte[size];
    byte[] mib = new byte[1 << 20];
    for (int at = 0; at < size; at += mib.length) {
      random.nextBytes(mib);
      System.arraycopy(mib, 0, object, at, Math.min(mib.length, size - at));
    }
    return object;
  }

  static byte[] small() {
    return bytes(SMALL_SEED, SMALL_BYTES);
  }

  static byte[] medium() {
    return bytes(MEDIUM_SEED, MEDIUM_BYTES);
  }
}
