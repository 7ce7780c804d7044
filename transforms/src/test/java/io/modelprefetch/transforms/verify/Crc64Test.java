package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
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
}
