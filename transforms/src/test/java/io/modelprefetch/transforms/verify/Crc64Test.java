package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.zip.Checksum;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Crc64Test {

  @Test
  void checkValueMatchesCrc64EcmaAsTosComputesIt() {
    assertEquals(0x995dc9bbdf1939faL, Crc64.of("123456789".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0L, Crc64.of(new byte[0]));
  }

  @Test
  void tosHeaderIsUnsignedDecimal() {
    long crc = 0x995dc9bbdf1939faL;
    assertEquals("11051210869376104954", Crc64.format(crc));
    assertEquals(crc, Crc64.parseHeader(" 11051210869376104954 "));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 8, 9, 4095, 65536, 1_000_003})
  void combineOfPiecesEqualsCrcOfWhole(int split) {
    byte[] all = new byte[1_200_007];
    new SplittableRandom(split).nextBytes(all);
    Crc64 a = new Crc64();
    a.update(all, 0, split);
    Crc64 b = new Crc64();
    b.update(all, split, all.length - split);

    assertEquals(Crc64.of(all), Crc64.combine(a.value(), b.value(), all.length - split));
  }

  @Test
  void byteAtATimeEqualsSliceByEight() {
    byte[] bytes = new byte[1001];
    new SplittableRandom(1).nextBytes(bytes);
    Crc64 crc = new Crc64();
    for (int i = 0; i < bytes.length; i++) {
      crc.update(bytes, i, 1);
    }
    assertEquals(Crc64.of(bytes), crc.value());
  }

  @Test
  void nvmeCheckValueMatchesS3sCrc64Nvme() {
    Crc64 crc = Crc64.nvme();
    crc.update("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9);
    assertEquals(0xae8b14860a799888L, crc.value());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 15, 16, 17, 31, 1000, 65_537})
  void everyLengthEqualsTheBitwiseCrcOfBothPolynomials(int length) {
    byte[] bytes = new byte[length];
    new SplittableRandom(length).nextBytes(bytes);
    Crc64 nvme = Crc64.nvme();
    nvme.update(bytes, 0, length);
    Crc64 ecma = Crc64.ecma();
    ecma.update(bytes, 0, length);

    assertEquals(CrcAlgorithmTest.bitwiseCrc64(0x9a6c9329ac4bc9b5L, bytes), nvme.value());
    assertEquals(CrcAlgorithmTest.bitwiseCrc64(0xc96c5795d7870f42L, bytes), ecma.value());
    assertEquals(Crc64.of(bytes), ecma.value());
  }

  @Test
  void aChecksumUpdatedByteByByteOrFromAnOffsetAndResetAgreesWithOneCall() {
    byte[] bytes = new byte[300];
    new SplittableRandom(9).nextBytes(bytes);
    Checksum oneByOne = Crc64.nvme();
    for (byte b : bytes) {
      oneByOne.update(b);
    }
    Checksum offset = Crc64.nvme();
    offset.update(new byte[7], 0, 7);
    offset.reset();
    byte[] padded = new byte[bytes.length + 5];
    System.arraycopy(bytes, 0, padded, 3, bytes.length);
    offset.update(padded, 3, bytes.length);

    assertEquals(CrcAlgorithm.CRC64NVME.of(bytes), oneByOne.getValue());
    assertEquals(CrcAlgorithm.CRC64NVME.of(bytes), offset.getValue());
  }

  @Test
  void updateOutsideTheArrayIsRefused() {
    assertThrows(IndexOutOfBoundsException.class, () -> Crc64.nvme().update(new byte[10], 5, 6));
  }
}
