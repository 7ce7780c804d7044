package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class CrcAlgorithmTest {

  private static final byte[] CHECK = "123456789".getBytes(StandardCharsets.US_ASCII);

  @ParameterizedTest
  @CsvSource({
    "CRC32, cbf43926",
    "CRC32C, e3069283",
    "CRC64NVME, ae8b14860a799888",
    "CRC64ECMA, 995dc9bbdf1939fa",
  })
  void checkValueOf123456789IsTheCatalogued(CrcAlgorithm algorithm, String checkHex) {
    assertEquals(Long.parseUnsignedLong(checkHex, 16), algorithm.of(CHECK));
    assertEquals(0L, algorithm.of(new byte[0]));
  }

  @ParameterizedTest
  @EnumSource(CrcAlgorithm.class)
  void equalsAnIndependentOracle(CrcAlgorithm algorithm) {
    SplittableRandom random = new SplittableRandom(7);
    for (int trial = 0; trial < 50; trial++) {
      byte[] bytes = new byte[random.nextInt(3000)];
      random.nextBytes(bytes);
      assertEquals(
          oracle(algorithm, bytes),
          algorithm.of(bytes),
          algorithm + " of " + bytes.length + " bytes");
    }
  }

  @ParameterizedTest
  @EnumSource(CrcAlgorithm.class)
  void combineEqualsDirectCrcOverRandomSplits(CrcAlgorithm algorithm) {
    SplittableRandom random = new SplittableRandom(42);
    byte[] all = new byte[(1 << 20) + 4099];
    random.nextBytes(all);
    for (int trial = 0; trial < 300; trial++) {
      int length = trial < 250 ? random.nextInt(5000) : all.length - random.nextInt(100);
      int split = random.nextInt(length + 1);
      long a = algorithm.of(all, 0, split);
      long b = algorithm.of(all, split, length - split);

      assertEquals(
          algorithm.of(all, 0, length),
          algorithm.combine(a, b, length - split),
          algorithm + " split " + split + " of " + length);
    }
  }

  @ParameterizedTest
  @EnumSource(CrcAlgorithm.class)
  void combiningManyPiecesInAnyGroupingGivesTheWhole(CrcAlgorithm algorithm) {
    SplittableRandom random = new SplittableRandom(3);
    byte[] all = new byte[200_000];
    random.nextBytes(all);
    int[] cuts = random.ints(20, 0, all.length + 1).sorted().toArray();
    long leftToRight = 0;
    int from = 0;
    for (int cut : concat(cuts, all.length)) {
      leftToRight = algorithm.combine(leftToRight, algorithm.of(all, from, cut - from), cut - from);
      from = cut;
    }
    long rightToLeft = 0;
    long rightBytes = 0;
    int to = all.length;
    int[] reversed = concat(new int[] {0}, cuts);
    for (int i = reversed.length - 1; i >= 0; i--) {
      int start = reversed[i];
      rightToLeft =
          algorithm.combine(algorithm.of(all, start, to - start), rightToLeft, rightBytes);
      rightBytes += to - start;
      to = start;
    }
    assertEquals(algorithm.of(all), leftToRight);
    assertEquals(algorithm.of(all), rightToLeft);
  }

  @Test
  void combineWithEmptySecondPieceIsTheFirstAndRefusesNegativeLengths() {
    assertEquals(0x1234L, CrcAlgorithm.CRC32C.combine(0x1234L, 0, 0));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CrcAlgorithm.CRC32.combine(1, 2, -1));
    assertEquals("lengthB must be >= 0, was -1", e.getMessage());
  }

  @Test
  void bytesAreBigEndianAsS3EncodesThem() {
    assertArrayEquals(
        new byte[] {(byte) 0xcb, (byte) 0xf4, 0x39, 0x26}, CrcAlgorithm.CRC32.toBytes(0xcbf43926L));
    assertArrayEquals(
        new byte[] {
          (byte) 0xae, (byte) 0x8b, 0x14, (byte) 0x86, 0x0a, 0x79, (byte) 0x98, (byte) 0x88
        },
        CrcAlgorithm.CRC64NVME.toBytes(0xae8b14860a799888L));
    assertEquals(
        0xae8b14860a799888L,
        CrcAlgorithm.CRC64NVME.fromBytes(CrcAlgorithm.CRC64NVME.toBytes(0xae8b14860a799888L)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> CrcAlgorithm.CRC32C.fromBytes(new byte[8]));
    assertEquals("a CRC32C has 4 bytes, got 8", e.getMessage());
  }

  /** The JDK's CRCs, or a bit-at-a-time CRC-64 straight from the polynomial (no tables). */
  private static long oracle(CrcAlgorithm algorithm, byte[] bytes) {
    switch (algorithm) {
      case CRC32 -> {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
      }
      case CRC32C -> {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
      }
      case CRC64NVME -> {
        return bitwiseCrc64(0x9a6c9329ac4bc9b5L, bytes);
      }
      default -> {
        return bitwiseCrc64(0xc96c5795d7870f42L, bytes);
      }
    }
  }

  static long bitwiseCrc64(long reflectedPolynomial, byte[] bytes) {
    long crc = ~0L;
    for (byte b : bytes) {
      crc ^= b & 0xffL;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ reflectedPolynomial : crc >>> 1;
      }
    }
    return ~crc;
  }

  private static int[] concat(int[] a, int... b) {
    int[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
