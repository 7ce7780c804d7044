package io.modelprefetch.transforms.verify;

import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * The CRCs object stores attach to objects, each with the arithmetic that joins the CRCs of
 * adjacent pieces. All four are reflected, with all-ones initial value and final XOR, so the CRC of
 * A followed by B is {@code crc(A)·x^(8·len(B)) mod P xor crc(B)}: {@link #combine} computes that
 * product in O(log len(B)) polynomial multiplications (zlib's {@code crc32_combine} since 1.2.12,
 * generalised to 64 bits). Ranges fetched in parallel, or fixed-size blocks of a stream, thus give
 * the CRC of any span they tile without a second pass over the bytes.
 *
 * <p>S3 sends a CRC as the base64 of its big-endian bytes ({@link #toBytes}); TOS sends its
 * CRC-64/ECMA as an unsigned decimal ({@link Crc64#format}).
 */
public enum CrcAlgorithm {
  /**
   * CRC-32 (ISO-HDLC, zlib, {@code java.util.zip.CRC32}); S3's {@code CRC32}. Check: 0xcbf43926.
   */
  CRC32(32, 0xedb88320L),
  /**
   * CRC-32C (Castagnoli, iSCSI, {@code java.util.zip.CRC32C}); S3's {@code CRC32C}. Check:
   * 0xe3069283.
   */
  CRC32C(32, 0x82f63b78L),
  /**
   * CRC-64/NVME (the NVMe spec's CRC, Rocksoft); S3's {@code CRC64NVME}. Check: 0xae8b14860a799888.
   */
  CRC64NVME(64, 0x9a6c9329ac4bc9b5L),
  /**
   * CRC-64/XZ (ECMA-182 reflected); TOS's {@code x-tos-hash-crc64ecma}. Check: 0x995dc9bbdf1939fa.
   */
  CRC64ECMA(64, 0xc96c5795d7870f42L);

  // x^(8·n) needs x^(2^k) for k up to 3 + 63 when n spans a whole long.
  private static final int POWERS = 67;

  private final int widthBits;
  private final long reflectedPolynomial;
  private final long one; // the polynomial 1 (x^0) in reflected form: the top bit of the width
  private final long[] powersOfX = new long[POWERS]; // x^(2^k) mod P

  CrcAlgorithm(int widthBits, long reflectedPolynomial) {
    this.widthBits = widthBits;
    this.reflectedPolynomial = reflectedPolynomial;
    this.one = 1L << (widthBits - 1);
    long p = one >>> 1; // x^1
    powersOfX[0] = p;
    for (int k = 1; k < POWERS; k++) {
      powersOfX[k] = p = multiply(p, p);
    }
  }

  /** The CRC's width in bits: 32 or 64. */
  public int widthBits() {
    return widthBits;
  }

  /** The CRC's width in bytes, as S3 encodes it: 4 or 8. */
  public int widthBytes() {
    return widthBits / 8;
  }

  /**
   * A fresh running CRC: the JDK's intrinsic {@link CRC32} and {@link CRC32C}, or a {@link Crc64}
   * for the 64-bit ones. {@link Checksum#getValue} gives the CRC of the bytes added so far.
   */
  public Checksum newChecksum() {
    return switch (this) {
      case CRC32 -> new CRC32();
      case CRC32C -> new CRC32C();
      case CRC64NVME -> Crc64.nvme();
      case CRC64ECMA -> Crc64.ecma();
    };
  }

  /** The CRC of {@code length} bytes of {@code bytes} from {@code offset}. */
  public long of(byte[] bytes, int offset, int length) {
    Checksum crc = newChecksum();
    crc.update(bytes, offset, length);
    return crc.getValue();
  }

  /** The CRC of {@code bytes}. */
  public long of(byte[] bytes) {
    return of(bytes, 0, bytes.length);
  }

  /**
   * The CRC of A followed by B, from {@code crcA}, {@code crcB} and B's length. A zero length is
   * the empty B: the result is {@code crcA}.
   *
   * @throws IllegalArgumentException when {@code lengthB} is negative
   */
  public long combine(long crcA, long crcB, long lengthB) {
    if (lengthB < 0) {
      throw new IllegalArgumentException("lengthB must be >= 0, was " + lengthB);
    }
    return lengthB == 0 ? crcA : combine(crcA, crcB, shift(lengthB));
  }

  /**
   * The operator that moves a CRC past {@code lengthBytes} further bytes: x^(8·lengthBytes) mod P.
   * With {@link #combine(long, long, Shift)} it joins many pieces of one length for the price of
   * one multiplication each.
   */
  Shift shift(long lengthBytes) {
    long p = one; // x^0
    int k = 3; // bytes are 2^3 bits
    for (long n = lengthBytes; n != 0; n >>>= 1, k++) {
      if ((n & 1) != 0) {
        p = multiply(powersOfX[k], p);
      }
    }
    return new Shift(this, p);
  }

  /** The CRC of A followed by B, where {@code shiftB} is {@link #shift} of B's length. */
  long combine(long crcA, long crcB, Shift shiftB) {
    if (shiftB.algorithm != this) {
      throw new IllegalArgumentException(
          "a " + shiftB.algorithm + " shift cannot combine " + this + " CRCs");
    }
    return multiply(shiftB.operator, crcA) ^ crcB;
  }

  /**
   * The CRC as S3 encodes it before base64: its {@link #widthBytes} bytes, most significant first.
   */
  public byte[] toBytes(long crc) {
    byte[] bytes = new byte[widthBytes()];
    for (int i = bytes.length - 1; i >= 0; i--, crc >>>= 8) {
      bytes[i] = (byte) crc;
    }
    return bytes;
  }

  /**
   * The CRC from its big-endian bytes ({@link #toBytes}).
   *
   * @throws IllegalArgumentException when {@code bytes} is not {@link #widthBytes} long
   */
  public long fromBytes(byte[] bytes) {
    if (bytes.length != widthBytes()) {
      throw new IllegalArgumentException(
          "a " + this + " has " + widthBytes() + " bytes, got " + bytes.length);
    }
    long crc = 0;
    for (byte b : bytes) {
      crc = crc << 8 | (b & 0xffL);
    }
    return crc;
  }

  /** The product of two polynomials mod P, in reflected form (zlib's {@code multmodp}). */
  private long multiply(long a, long b) {
    if (a == 0) {
      return 0;
    }
    long product = 0;
    for (long m = one; ; m >>>= 1) {
      if ((a & m) != 0) {
        product ^= b;
        if ((a & (m - 1)) == 0) {
          return product;
        }
      }
      b = (b & 1) != 0 ? (b >>> 1) ^ reflectedPolynomial : b >>> 1;
    }
  }

  /** x^(8·lengthBytes) mod P for one algorithm: see {@link CrcAlgorithm#shift}. */
  static final class Shift {
    private final CrcAlgorithm algorithm;
    private final long operator;

    private Shift(CrcAlgorithm algorithm, long operator) {
      this.algorithm = algorithm;
      this.operator = operator;
    }
  }
}
