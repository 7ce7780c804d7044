package io.modelprefetch.transforms.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Checksum;
import org.jspecify.annotations.Nullable;

/**
 * The CRCs of an object's consecutive fixed-size blocks over one span of it, computed while the
 * bytes stream ({@link #accumulate}) and joined across spans ({@link #concat}): from them, the CRC
 * of any span that starts and ends on block boundaries (or at the span's ends, such as the object's
 * tail) costs one {@link CrcAlgorithm#combine}, after one combine per block the first time, with no
 * second pass over the bytes.
 *
 * <p>That checks both kinds of S3 checksum from one streamed pass: a {@code FULL_OBJECT} CRC is
 * {@link #crc()} of the whole object; a {@code COMPOSITE} one is the CRC of the parts' CRCs, which
 * {@link #compositeValue} computes for any candidate part size that is a multiple of the block size
 * and {@link #matchingPartSizes} tries for every candidate that fits the part count.
 *
 * <p>Blocks are aligned to the object, not to the span: block {@code i} is bytes {@code [i·B,
 * (i+1)·B)}. A span that starts or ends inside a block holds a partial piece there; {@link #concat}
 * joins the two partial pieces of adjacent spans. The default block, 1 MiB, divides every part size
 * the common uploaders use (all whole MiB: see {@link MultipartLayout#candidatePartSizes}); an
 * upload with a part size that is not a whole number of blocks needs a smaller block (the part
 * size's {@link MultipartLayout#gcd} with 1 MiB). Memory: one long per block (800 KiB for a 100 GiB
 * object in 1 MiB blocks), twice that once a span's CRC has been asked. Immutable and thread-safe;
 * the {@link Accumulator} is not thread-safe.
 */
public final class BlockCrcs implements java.io.Serializable {

  /** The default block: 1 MiB, a divisor of every common part size. */
  public static final long DEFAULT_BLOCK_BYTES = 1L << 20;

  private final CrcAlgorithm algorithm;
  private final long blockBytes;
  private final long offsetBytes;
  private final long lengthBytes;
  private final long[] pieceCrcs;
  // Racy single-check idiom: any thread may compute it; the value is always the same.
  private transient volatile long @Nullable [] prefixCrcs;

  private BlockCrcs(
      CrcAlgorithm algorithm,
      long blockBytes,
      long offsetBytes,
      long lengthBytes,
      long[] pieceCrcs) {
    this.algorithm = algorithm;
    this.blockBytes = blockBytes;
    this.offsetBytes = offsetBytes;
    this.lengthBytes = lengthBytes;
    this.pieceCrcs = pieceCrcs;
  }

  /**
   * Starts the CRCs of a span that begins at {@code offsetBytes} of the object; feed it the span's
   * bytes in order, then {@link Accumulator#finish}.
   */
  public static Accumulator accumulate(CrcAlgorithm algorithm, long blockBytes, long offsetBytes) {
    checkBlock(blockBytes);
    if (offsetBytes < 0) {
      throw new IllegalArgumentException("offsetBytes must be >= 0, was " + offsetBytes);
    }
    return new Accumulator(algorithm, blockBytes, offsetBytes);
  }

  /**
   * Rebuilds the CRCs of a span from its parts (as {@link #pieceCrcs} gave them), e.g. after a
   * coder carried them between workers.
   *
   * @throws IllegalArgumentException when {@code pieceCrcs} does not hold one CRC per piece
   */
  public static BlockCrcs of(
      CrcAlgorithm algorithm,
      long blockBytes,
      long offsetBytes,
      long lengthBytes,
      long[] pieceCrcs) {
    checkBlock(blockBytes);
    if (offsetBytes < 0 || lengthBytes < 0) {
      throw new IllegalArgumentException(
          "offsetBytes and lengthBytes must be >= 0, were " + offsetBytes + " and " + lengthBytes);
    }
    int pieces = pieceCount(blockBytes, offsetBytes, lengthBytes);
    if (pieceCrcs.length != pieces) {
      throw new IllegalArgumentException(
          "a span of "
              + lengthBytes
              + " bytes from "
              + offsetBytes
              + " in blocks of "
              + blockBytes
              + " has "
              + pieces
              + " pieces, got "
              + pieceCrcs.length
              + " CRCs");
    }
    return new BlockCrcs(algorithm, blockBytes, offsetBytes, lengthBytes, pieceCrcs.clone());
  }

  /**
   * The CRCs of the union of adjacent spans given in object order (each starting where the previous
   * ends), of one algorithm and block size.
   *
   * @throws IllegalArgumentException when {@code spans} is empty, not adjacent or mixed
   */
  public static BlockCrcs concat(List<BlockCrcs> spans) {
    if (spans.isEmpty()) {
      throw new IllegalArgumentException("concat needs at least one span");
    }
    BlockCrcs first = spans.get(0);
    long[] crcs = new long[0];
    int count = 0;
    long end = first.offsetBytes;
    for (BlockCrcs span : spans) {
      if (span.algorithm != first.algorithm || span.blockBytes != first.blockBytes) {
        throw new IllegalArgumentException(
            "cannot join "
                + span.algorithm
                + " CRCs of "
                + span.blockBytes
                + "-byte blocks to "
                + first.algorithm
                + " CRCs of "
                + first.blockBytes
                + "-byte blocks");
      }
      if (span.offsetBytes != end) {
        throw new IllegalArgumentException(
            "spans must be adjacent: one starts at "
                + span.offsetBytes
                + " where the previous ends at "
                + end);
      }
      if (span.lengthBytes == 0) {
        continue;
      }
      crcs = Arrays.copyOf(crcs, count + span.pieceCrcs.length);
      int from = 0;
      if (count > 0 && end % first.blockBytes != 0) {
        // The junction is inside a block: its two partial pieces are one piece of the union.
        long firstPieceBytes = span.pieceEnd(0) - span.offsetBytes;
        crcs[count - 1] =
            first.algorithm.combine(crcs[count - 1], span.pieceCrcs[0], firstPieceBytes);
        from = 1;
      }
      for (int i = from; i < span.pieceCrcs.length; i++) {
        crcs[count++] = span.pieceCrcs[i];
      }
      end = span.offsetBytes + span.lengthBytes;
    }
    return new BlockCrcs(
        first.algorithm,
        first.blockBytes,
        first.offsetBytes,
        end - first.offsetBytes,
        Arrays.copyOf(crcs, count));
  }

  public CrcAlgorithm algorithm() {
    return algorithm;
  }

  public long blockBytes() {
    return blockBytes;
  }

  /** Where the span starts in the object. */
  public long offsetBytes() {
    return offsetBytes;
  }

  public long lengthBytes() {
    return lengthBytes;
  }

  /** The CRC of each piece: the span cut at every block boundary inside it (a copy). */
  public long[] pieceCrcs() {
    return pieceCrcs.clone();
  }

  /** The CRC of the whole span. */
  public long crc() {
    return crcOf(offsetBytes, offsetBytes + lengthBytes);
  }

  /**
   * The CRC of bytes {@code [fromBytes, toBytes)} of the object; each end must be a block boundary
   * or an end of this span.
   *
   * @throws IllegalArgumentException when an end is outside the span or inside a block
   */
  public long crcOf(long fromBytes, long toBytes) {
    return crcOf(fromBytes, toBytes, null);
  }

  private long crcOf(long fromBytes, long toBytes, @Nullable Map<Long, CrcAlgorithm.Shift> shifts) {
    long end = offsetBytes + lengthBytes;
    if (fromBytes < offsetBytes || toBytes > end || fromBytes > toBytes) {
      throw new IllegalArgumentException(
          "bytes ["
              + fromBytes
              + ", "
              + toBytes
              + ") are not within the span ["
              + offsetBytes
              + ", "
              + end
              + ")");
    }
    int from = pieceAt(fromBytes);
    int to = pieceAt(toBytes);
    long[] prefix = prefixCrcs();
    long length = toBytes - fromBytes;
    if (from == 0 || length == 0) {
      return from == 0 ? prefix[to] : 0;
    }
    // crc(A·B) = crc(A)·x^(8|B|) + crc(B), so crc(B) = crc(A·B) + crc(A)·x^(8|B|), A = [offset,
    // from).
    CrcAlgorithm.Shift shift =
        shifts == null ? algorithm.shift(length) : shifts.computeIfAbsent(length, algorithm::shift);
    return algorithm.combine(prefix[from], prefix[to], shift);
  }

  /** prefix[i]: the CRC of the span's first i pieces; computed once, on first use. */
  private long[] prefixCrcs() {
    long[] prefix = prefixCrcs;
    if (prefix == null) {
      prefix = new long[pieceCrcs.length + 1];
      CrcAlgorithm.Shift wholeBlock = algorithm.shift(blockBytes);
      for (int i = 0; i < pieceCrcs.length; i++) {
        long pieceBytes = pieceEnd(i) - pieceStart(i);
        prefix[i + 1] =
            pieceBytes == blockBytes
                ? algorithm.combine(prefix[i], pieceCrcs[i], wholeBlock)
                : algorithm.combine(prefix[i], pieceCrcs[i], pieceBytes);
      }
      prefixCrcs = prefix;
    }
    return prefix;
  }

  /**
   * The CRC of each part of a layout: part {@code k} is bytes {@code [boundaries[k],
   * boundaries[k+1])} (see {@link MultipartLayout#partBoundaries}).
   *
   * @throws IllegalArgumentException when a boundary is outside the span or inside a block
   */
  public long[] partCrcs(long[] boundaries) {
    if (boundaries.length < 2) {
      throw new IllegalArgumentException(
          "a layout needs at least 2 boundaries, got " + boundaries.length);
    }
    long[] crcs = new long[boundaries.length - 1];
    Map<Long, CrcAlgorithm.Shift> shifts =
        new HashMap<>(); // a layout's parts share one or two lengths
    for (int k = 0; k < crcs.length; k++) {
      crcs[k] = crcOf(boundaries[k], boundaries[k + 1], shifts);
    }
    return crcs;
  }

  /**
   * The raw composite value (without {@code -N}) of an upload with parts of {@code partSizeBytes}
   * (the last one shorter), when this span is the whole object: the CRC of the parts' big-endian
   * CRCs, concatenated.
   *
   * @throws IllegalArgumentException when the span is not a whole object or a part boundary is
   *     inside a block
   */
  public byte[] compositeValue(long partSizeBytes) {
    requireWholeObject();
    return compositeValue(MultipartLayout.partBoundaries(lengthBytes, partSizeBytes));
  }

  /** The raw composite value of the layout {@code boundaries}; see {@link #partCrcs(long[])}. */
  public byte[] compositeValue(long[] boundaries) {
    long[] parts = partCrcs(boundaries);
    int width = algorithm.widthBytes();
    byte[] concatenated = new byte[parts.length * width];
    for (int k = 0; k < parts.length; k++) {
      System.arraycopy(algorithm.toBytes(parts[k]), 0, concatenated, k * width, width);
    }
    return algorithm.toBytes(algorithm.of(concatenated));
  }

  /**
   * The candidate part sizes whose layout gives {@code stored}, a composite checksum of this
   * algorithm, when this span is the whole object. Candidates that do not fit the part count and
   * the size are skipped. Each candidate that fits is a 2^-32 (CRC-32) or 2^-64 chance of a false
   * match on wrong bytes; the order of {@code candidatePartSizes} is kept.
   *
   * @throws IllegalArgumentException when {@code stored} is not a composite of this algorithm, the
   *     span is not a whole object, or a fitting candidate is not a whole number of blocks
   */
  public List<Long> matchingPartSizes(StoredChecksum stored, Collection<Long> candidatePartSizes) {
    if (stored.algorithm().crc() != algorithm || !stored.composite()) {
      throw new IllegalArgumentException(
          "block CRCs of "
              + algorithm
              + " check a COMPOSITE "
              + algorithm
              + " checksum, not "
              + stored);
    }
    requireWholeObject();
    byte[] expected = stored.value();
    List<Long> matching = new ArrayList<>();
    for (long partSize : candidatePartSizes) {
      if (MultipartLayout.fits(lengthBytes, stored.partCount(), partSize)
          && Arrays.equals(expected, compositeValue(partSize))) {
        matching.add(partSize);
      }
    }
    return matching;
  }

  private void requireWholeObject() {
    if (offsetBytes != 0 || lengthBytes == 0) {
      throw new IllegalArgumentException(
          "a layout needs the whole object's CRCs; these cover bytes ["
              + offsetBytes
              + ", "
              + (offsetBytes + lengthBytes)
              + ")");
    }
  }

  private int pieceAt(long position) {
    long end = offsetBytes + lengthBytes;
    if (position == end) {
      return pieceCrcs.length;
    }
    if (position == offsetBytes) {
      return 0;
    }
    if (position % blockBytes != 0) {
      throw new IllegalArgumentException(
          "byte "
              + position
              + " is inside a "
              + blockBytes
              + "-byte block: a span's ends must be block boundaries, the span's start or its end ("
              + end
              + ")");
    }
    return (int) (position / blockBytes - offsetBytes / blockBytes);
  }

  private long pieceStart(int i) {
    return Math.max(offsetBytes, (offsetBytes / blockBytes + i) * blockBytes);
  }

  private long pieceEnd(int i) {
    return Math.min(offsetBytes + lengthBytes, (offsetBytes / blockBytes + i + 1) * blockBytes);
  }

  private static int pieceCount(long blockBytes, long offsetBytes, long lengthBytes) {
    if (lengthBytes == 0) {
      return 0;
    }
    long pieces = (offsetBytes + lengthBytes - 1) / blockBytes - offsetBytes / blockBytes + 1;
    if (pieces > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          lengthBytes + " bytes in blocks of " + blockBytes + " are too many blocks");
    }
    return (int) pieces;
  }

  private static void checkBlock(long blockBytes) {
    if (blockBytes < 1) {
      throw new IllegalArgumentException("blockBytes must be >= 1, was " + blockBytes);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlockCrcs other
        && algorithm == other.algorithm
        && blockBytes == other.blockBytes
        && offsetBytes == other.offsetBytes
        && lengthBytes == other.lengthBytes
        && Arrays.equals(pieceCrcs, other.pieceCrcs);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        algorithm, blockBytes, offsetBytes, lengthBytes, Arrays.hashCode(pieceCrcs));
  }

  @Override
  public String toString() {
    return "BlockCrcs["
        + algorithm
        + ", bytes ["
        + offsetBytes
        + ", "
        + (offsetBytes + lengthBytes)
        + ") in "
        + blockBytes
        + "-byte blocks, "
        + pieceCrcs.length
        + " pieces]";
  }

  /** Computes the CRC of each block as the span's bytes pass. */
  public static final class Accumulator {
    private final CrcAlgorithm algorithm;
    private final long blockBytes;
    private final long offsetBytes;
    private final Checksum piece;
    private long position;
    private boolean pieceStarted;
    private long[] crcs = new long[16];
    private int count;
    private boolean finished;

    private Accumulator(CrcAlgorithm algorithm, long blockBytes, long offsetBytes) {
      this.algorithm = algorithm;
      this.blockBytes = blockBytes;
      this.offsetBytes = offsetBytes;
      this.piece = algorithm.newChecksum();
      this.position = offsetBytes;
    }

    /** Adds the span's next {@code length} bytes of {@code bytes} from {@code offset}. */
    public void update(byte[] bytes, int offset, int length) {
      if (finished) {
        throw new IllegalStateException("update after finish");
      }
      while (length > 0) {
        int n = (int) Math.min(length, blockBytes - position % blockBytes);
        piece.update(bytes, offset, n);
        pieceStarted = true;
        position += n;
        offset += n;
        length -= n;
        if (position % blockBytes == 0) {
          endPiece();
        }
      }
    }

    /** The CRCs of the bytes added; the accumulator takes no more bytes after this. */
    public BlockCrcs finish() {
      if (finished) {
        throw new IllegalStateException("finish called twice");
      }
      finished = true;
      if (pieceStarted) {
        endPiece();
      }
      return new BlockCrcs(
          algorithm, blockBytes, offsetBytes, position - offsetBytes, Arrays.copyOf(crcs, count));
    }

    private void endPiece() {
      if (count == crcs.length) {
        crcs = Arrays.copyOf(crcs, count * 2);
      }
      crcs[count++] = piece.getValue();
      piece.reset();
      pieceStarted = false;
    }
  }
}
