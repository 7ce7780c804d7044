package io.modelprefetch.transforms.verify;

/**
 * CRC-64/ECMA-182 as TOS computes it for {@code x-tos-hash-crc64ecma}: the reflected ECMA-182
 * polynomial with all-ones initial value and final XOR (the parameters also known as CRC-64/XZ,
 * and those of Go's {@code crc64.ECMA} table). Check value of {@code "123456789"}: {@code
 * 0x995dc9bbdf1939fa}.
 *
 * <p>{@link #combine} joins the CRCs of two adjacent pieces, so ranges fetched in parallel give
 * the whole object's CRC without a second pass over the file.
 */
public final class Crc64 {

  private static final long POLY = 0xc96c5795d7870f42L; // ECMA-182, reflected
  private static final long[][] TABLES = new long[8][256];

  static {
    for (int n = 0; n < 256; n++) {
      long crc = n;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY : crc >>> 1;
      }
      TABLES[0][n] = crc;
    }
    for (int n = 0; n < 256; n++) {
      long crc = TABLES[0][n];
      for (int t = 1; t < 8; t++) {
        crc = TABLES[0][(int) (crc & 0xff)] ^ (crc >>> 8);
        TABLES[t][n] = crc;
      }
    }
  }

  private long crc = ~0L;

  /** Adds {@code length} bytes of {@code bytes} from {@code offset}. */
  public void update(byte[] bytes, int offset, int length) {
    long c = crc;
    int i = offset;
    int end = offset + length;
    // Slice-by-8: eight bytes per step.
    for (; i + 8 <= end; i += 8) {
      c ^= (bytes[i] & 0xffL) | (bytes[i + 1] & 0xffL) << 8 | (bytes[i + 2] & 0xffL) << 16
          | (bytes[i + 3] & 0xffL) << 24 | (bytes[i + 4] & 0xffL) << 32 | (bytes[i + 5] & 0xffL) << 40
          | (bytes[i + 6] & 0xffL) << 48 | (bytes[i + 7] & 0xffL) << 56;
      c = TABLES[7][(int) (c & 0xff)] ^ TABLES[6][(int) ((c >>> 8) & 0xff)]
          ^ TABLES[5][(int) ((c >>> 16) & 0xff)] ^ TABLES[4][(int) ((c >>> 24) & 0xff)]
          ^ TABLES[3][(int) ((c >>> 32) & 0xff)] ^ TABLES[2][(int) ((c >>> 40) & 0xff)]
          ^ TABLES[1][(int) ((c >>> 48) & 0xff)] ^ TABLES[0][(int) (c >>> 56)];
    }
    for (; i < end; i++) {
      c = TABLES[0][(int) ((c ^ bytes[i]) & 0xff)] ^ (c >>> 8);
    }
    crc = c;
  }

  /** The CRC of the bytes added so far. */
  public long value() {
    return ~crc;
  }

  /** The CRC of {@code bytes}. */
  public static long of(byte[] bytes) {
    Crc64 crc = new Crc64();
    crc.update(bytes, 0, bytes.length);
    return crc.value();
  }

  /**
   * The CRC of A followed by B, from {@code crcA}, {@code crcB} and B's length (zlib's
   * crc32_combine method, for 64 bits).
   */
  public static long combine(long crcA, long crcB, long lengthB) {
    if (lengthB <= 0) {
      return crcA;
    }
    long[] even = new long[64];
    long[] odd = new long[64];
    odd[0] = POLY; // the operator for one zero bit
    long row = 1;
    for (int n = 1; n < 64; n++) {
      odd[n] = row;
      row <<= 1;
    }
    square(even, odd); // two zero bits
    square(odd, even); // four zero bits
    long crc = crcA;
    long length = lengthB;
    do {
      square(even, odd);
      if ((length & 1) != 0) {
        crc = times(even, crc);
      }
      length >>>= 1;
      if (length == 0) {
        break;
      }
      square(odd, even);
      if ((length & 1) != 0) {
        crc = times(odd, crc);
      }
      length >>>= 1;
    } while (length != 0);
    return crc ^ crcB;
  }

  private static long times(long[] matrix, long vector) {
    long sum = 0;
    for (int i = 0; vector != 0; i++, vector >>>= 1) {
      if ((vector & 1) != 0) {
        sum ^= matrix[i];
      }
    }
    return sum;
  }

  private static void square(long[] square, long[] matrix) {
    for (int n = 0; n < 64; n++) {
      square[n] = times(matrix, matrix[n]);
    }
  }

  /** Parses the decimal (unsigned) header value. */
  public static long parseHeader(String value) {
    return Long.parseUnsignedLong(value.strip());
  }

  public static String format(long crc) {
    return Long.toUnsignedString(crc);
  }
}
