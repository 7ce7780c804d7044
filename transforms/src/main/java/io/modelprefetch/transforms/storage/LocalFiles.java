package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.plan.DestinationPaths;
import io.modelprefetch.transforms.verify.Etags;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The layout of a model on a POSIX file system and the steps that write it.
 *
 * <p>Bytes go to a temporary file next to the target ({@code .<name>.<etag>.prefetch-part}; {@link
 * RangeWriter} writes each range), which is renamed atomically after verification. The AIBrix
 * sidecar {@code <model>/.cache/<s3|tos>/download/<relative path>.metadata} holds the ETag and gets
 * its name after the rename, so a present sidecar never vouches for bytes that are not in place.
 */
public final class LocalFiles {

  private static final String PART_SUFFIX = ".prefetch-part";
  /** The characters of an ETag that a temporary file's name leaves out. */
  private static final Pattern NOT_IN_TAG = Pattern.compile("[^0-9a-z-]");

  private LocalFiles() {}

  public static Path target(ObjectRef object) {
    return DestinationPaths.resolve(Path.of(object.model().modelDir()), object.relativePath());
  }

  /** The temporary file for {@code object}; deterministic, so a retried step finds it again. */
  public static Path temporary(ObjectRef object) {
    Path target = target(object);
    String etag = NOT_IN_TAG.matcher(Etags.normalize(object.etag())).replaceAll("");
    String tag = etag.length() > 12 ? etag.substring(0, 12) : etag;
    String name = target.getFileName().toString();
    if (name.length() > 200) {
      name = sha256Hex(name).substring(0, 32);
    }
    return target.resolveSibling("." + name + "." + tag + PART_SUFFIX);
  }

  public static Path metadata(ObjectRef object) {
    Path dir = Path.of(object.model().modelDir(), DestinationPaths.CACHE_DIR,
        object.scheme().name().toLowerCase(Locale.ROOT), "download");
    return DestinationPaths.resolve(dir, object.relativePath() + ".metadata");
  }

  /** True when the target holds this object already: same size, and the sidecar has its ETag. */
  public static boolean isPresent(ObjectRef object) {
    Path target = target(object);
    Path metadata = metadata(object);
    try {
      if (!Files.isRegularFile(target) || Files.size(target) != object.sizeBytes() || !Files.isRegularFile(metadata)) {
        return false;
      }
      String recorded = Files.readString(metadata, StandardCharsets.UTF_8);
      return !Etags.normalize(object.etag()).isEmpty()
          && Etags.normalize(recorded).equals(Etags.normalize(object.etag()));
    } catch (IOException e) {
      return false;
    }
  }

  /** Creates (or resets) the temporary file with the object's length. */
  public static void prepare(ObjectRef object) throws IOException {
    Path temporary = temporary(object);
    Files.createDirectories(temporary.getParent());
    try (RandomAccessFile file = new RandomAccessFile(temporary.toFile(), "rw")) {
      file.setLength(0);
      file.setLength(object.sizeBytes());
    }
  }

  /**
   * Whether {@code object} is small enough that its fetch creates its temporary file, rather than
   * the planning step ({@link #prepare}): a file of one small range is written whole, from its
   * first byte, by that one fetch. Planning then only checks the space, and the thousands of small
   * files a model may hold are created by the fetch threads, in parallel, instead of one by one.
   */
  public static boolean createdByFetch(ObjectRef object, int ranges) {
    return ranges == 1 && object.sizeBytes() > 0 && object.sizeBytes() <= CREATED_BY_FETCH_MAX_BYTES;
  }

  /** The largest object {@link #createdByFetch} applies to. */
  public static final long CREATED_BY_FETCH_MAX_BYTES = 1 << 20;

  /**
   * Opens the temporary file for positional writes; {@code create} creates it when missing (never
   * truncating: a second fetch of the same range writes the same bytes at the same places).
   */
  public static FileChannel openForWrite(ObjectRef object, boolean create) throws LocalWriteException {
    try {
      return create
          ? FileChannel.open(temporary(object), StandardOpenOption.WRITE, StandardOpenOption.CREATE)
          : FileChannel.open(temporary(object), StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new LocalWriteException(temporary(object), e);
    }
  }

  /** A failure to write the destination (disk full, permissions): retrying the GET cannot help. */
  public static final class LocalWriteException extends IOException {
    public LocalWriteException(Path path, IOException cause) {
      super("cannot write " + path + ": " + (cause.getMessage() == null ? cause.getClass().getSimpleName()
          : cause.getMessage()), cause);
    }
  }


  /**
   * Makes the temporary file durable and moves it atomically to its final name, then records the
   * ETag in the sidecar. The sidecar is written under a temporary name first: what needs space (a
   * full disk) fails before the target is touched, and only renames follow.
   */
  public static void commit(ObjectRef object) throws IOException {
    Path temporary = temporary(object);
    Path target = target(object);
    Path metadata = metadata(object);
    Path metadataTemp = metadata.resolveSibling(metadata.getFileName() + ".tmp");
    try {
      Files.createDirectories(metadata.getParent());
      Files.writeString(metadataTemp, object.etag() == null ? "" : object.etag(), StandardCharsets.UTF_8);
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
    } catch (IOException e) {
      Files.deleteIfExists(metadataTemp);
      throw e;
    }
    moveAtomically(temporary, target);
    syncDirectory(target.getParent());
    moveAtomically(metadataTemp, metadata);
    Journal.clear(object);
  }

  /** Removes the temporary file and its journal, if any. */
  public static void discard(ObjectRef object) {
    Journal.clear(object);
    try {
      Files.deleteIfExists(temporary(object));
    } catch (IOException e) {
      // The next run resets the file before use; nothing under a final name depends on it.
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + from + " to " + to + " atomically: " + e.getMessage(), e);
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some file systems cannot open or sync a directory; the rename itself is still atomic.
    }
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
