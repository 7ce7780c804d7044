package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.plan.DestinationPaths;
import io.modelprefetch.transforms.text.Printable;
import io.modelprefetch.transforms.verify.Etags;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The layout of a model on a POSIX file system and the steps that write it.
 *
 * <p>Bytes go to a temporary file under the model's own {@code .prefetch/parts/} folder ({@code
 * <hash of the relative path>-<etag>.prefetch-part}; {@link RangeWriter} writes each range), which
 * is renamed atomically to its final name after verification. No object key can map into {@code
 * .prefetch/} ({@link DestinationPaths}), so no key collides with a temporary file, and the folder
 * is on the model's file system, so the rename stays atomic. The AIBrix sidecar {@code
 * <model>/.cache/<s3|tos>/download/<relative path>.metadata} holds the ETag and gets its name after
 * the rename, so a present sidecar never vouches for bytes that are not in place; a file whose name
 * leaves no room for the sidecar's suffix within 255 bytes keeps its ETag in {@code
 * .prefetch/sidecars/} instead.
 *
 * <p>Every file and folder below the model folder is created, opened, renamed and removed through
 * {@link SafeFolder}, without following links.
 */
public final class LocalFiles {

  /** The folder of temporary files and journals, below {@link CompletionMarker#FOLDER}. */
  public static final String PARTS = CompletionMarker.FOLDER + "/parts";

  /** The folder of the ETag sidecars of files whose names are too long for the AIBrix one. */
  public static final String LONG_NAME_SIDECARS = CompletionMarker.FOLDER + "/sidecars";

  /** The longest file name, in bytes, that Linux file systems take (NAME_MAX). */
  public static final int NAME_MAX_BYTES = 255;

  private static final String PART_SUFFIX = ".prefetch-part";
  private static final String SIDECAR_SUFFIX = ".metadata";

  /** The characters of an ETag that a temporary file's name leaves out. */
  private static final Pattern NOT_IN_TAG = Pattern.compile("[^0-9a-z-]");

  /** A temporary file or journal of this tool: {@code <32 hex>-<tag>.prefetch-part[.journal]}. */
  private static final Pattern OWN_PART =
      Pattern.compile("([0-9a-f]{32})-[0-9a-z-]{0,12}\\.prefetch-part(\\.journal)?");

  private LocalFiles() {}

  public static Path target(ObjectRef object) {
    return DestinationPaths.resolve(Path.of(object.model().modelDir()), object.relativePath());
  }

  /** The model's folder of temporary files: {@code <model>/.prefetch/parts}. */
  public static Path parts(ModelKey model) {
    return Path.of(model.modelDir()).resolve(PARTS);
  }

  /** The temporary file for {@code object}; deterministic, so a retried step finds it again. */
  public static Path temporary(ObjectRef object) {
    return parts(object.model()).resolve(temporaryName(object));
  }

  /**
   * The name of {@code object}'s temporary file in {@link #PARTS}: a hash of its relative path
   * (short, and in ASCII whatever the key) and the start of its ETag (another version gets another
   * file, never the bytes of this one).
   */
  public static String temporaryName(ObjectRef object) {
    String etag = NOT_IN_TAG.matcher(Etags.normalize(object.etag())).replaceAll("");
    String tag = etag.length() > 12 ? etag.substring(0, 12) : etag;
    return pathHash(object.relativePath()) + "-" + tag + PART_SUFFIX;
  }

  /** The ETag sidecar of {@code object} (see the class comment for names too long for AIBrix's). */
  public static Path metadata(ObjectRef object) {
    Place place = metadataPlace(object);
    return place.folder().isEmpty()
        ? Path.of(object.model().modelDir(), place.name())
        : Path.of(object.model().modelDir(), place.folder(), place.name());
  }

  /** Where {@link #commit} writes {@code object}'s sidecar before renaming it into place. */
  public static Path sidecarTemporary(ObjectRef object) {
    return metadata(object).resolveSibling(sidecarTemporaryName(object));
  }

  private static String sidecarTemporaryName(ObjectRef object) {
    return "." + pathHash(object.relativePath()) + ".tmp";
  }

  /**
   * A file's place below the model folder: the folder (relative, {@code ""} for the model's) and
   * the name.
   */
  record Place(String folder, String name) {}

  static Place targetPlace(ObjectRef object) {
    String relative = object.relativePath();
    int slash = relative.lastIndexOf('/');
    return slash < 0
        ? new Place("", relative)
        : new Place(relative.substring(0, slash), relative.substring(slash + 1));
  }

  static Place metadataPlace(ObjectRef object) {
    Place target = targetPlace(object);
    String name = target.name() + SIDECAR_SUFFIX;
    if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX_BYTES) {
      return new Place(LONG_NAME_SIDECARS, pathHash(object.relativePath()) + SIDECAR_SUFFIX);
    }
    String folder =
        DestinationPaths.CACHE_DIR
            + "/"
            + object.scheme().name().toLowerCase(Locale.ROOT)
            + "/download";
    return new Place(target.folder().isEmpty() ? folder : folder + "/" + target.folder(), name);
  }

  /**
   * Why {@code object} cannot be written in place, or null: a folder on the way to it below the
   * model folder is a symbolic link or a file. Looks without following links and writes nothing.
   */
  public static @Nullable String unsafe(ObjectRef object) {
    Path modelDir = Path.of(object.model().modelDir()).toAbsolutePath().normalize();
    String folder = targetPlace(object).folder();
    Path at = modelDir;
    UnsafePathException unsafe = UnsafePathException.at(at, false);
    if (unsafe == null && !folder.isEmpty()) {
      for (String name : folder.split("/")) {
        at = at.resolve(name);
        unsafe = UnsafePathException.at(at, false);
        if (unsafe != null) {
          break;
        }
      }
    }
    return unsafe == null ? null : unsafe.getMessage();
  }

  /**
   * True when the target holds this object already: a regular file in the model folder itself (no
   * link on the way, none at its name) of the same size, and its sidecar has its ETag.
   */
  public static boolean isPresent(ObjectRef object) {
    try {
      BasicFileAttributes target =
          Files.readAttributes(
              target(object), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!target.isRegularFile()
          || target.size() != object.sizeBytes()
          || Etags.normalize(object.etag()).isEmpty()
          || unsafe(object) != null) {
        return false;
      }
      String recorded = readNoFollow(metadata(object));
      return recorded != null && Etags.normalize(recorded).equals(Etags.normalize(object.etag()));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The text of the regular file at {@code path}, not following a link there; null when there is
   * none.
   */
  private static @Nullable String readNoFollow(Path path) throws IOException {
    try (FileChannel channel =
        FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = channel.size();
      if (size > 4096) {
        return null; // an ETag is short; this is not a sidecar
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) size);
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // until the end
      }
      return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return null; // a link (O_NOFOLLOW), a folder: no sidecar
    }
  }

  /** Opens (with {@code create}: creating) the model's folder of temporary files. */
  public static SafeFolder partsFolder(ModelKey model, boolean create) throws IOException {
    return SafeFolder.open(Path.of(model.modelDir()), PARTS, create);
  }

  /**
   * Creates (or resets) the temporary file with the object's length. Whatever is at its name (a
   * leftover, a link someone planted) is removed first, and the file is created exclusively.
   */
  public static void prepare(ObjectRef object) throws IOException {
    String name = temporaryName(object);
    try (SafeFolder parts = partsFolder(object.model(), true)) {
      parts.deleteTree(name);
      try (FileChannel file =
          parts.channel(name, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
        if (object.sizeBytes() > 0) {
          file.write(ByteBuffer.allocate(1), object.sizeBytes() - 1); // the length, sparse
        }
      }
    }
  }

  /**
   * Whether {@code object} is small enough that its fetch creates its temporary file, rather than
   * the planning step ({@link #prepare}): a file of one small range is written whole, from its
   * first byte, by that one fetch. Planning then only checks the space, and the thousands of small
   * files a model may hold are created by the fetch threads, in parallel, instead of one by one.
   */
  public static boolean createdByFetch(ObjectRef object, int ranges) {
    return ranges == 1
        && object.sizeBytes() > 0
        && object.sizeBytes() <= CREATED_BY_FETCH_MAX_BYTES;
  }

  /** The largest object {@link #createdByFetch} applies to. */
  public static final long CREATED_BY_FETCH_MAX_BYTES = 1 << 20;

  /** A failure to write the destination (disk full, permissions): retrying the GET cannot help. */
  public static final class LocalWriteException extends IOException {
    public LocalWriteException(Path path, IOException cause) {
      super(message(path, cause), cause);
    }

    /** Never null: made from the path and the cause. */
    @Override
    public String getMessage() {
      return Objects.requireNonNull(super.getMessage());
    }

    private static String message(Path path, IOException cause) {
      if (cause instanceof UnsafePathException unsafe) {
        return unsafe.getMessage();
      }
      String fix = IoErrors.fix(cause);
      return "cannot write "
          + Printable.escape(path.toString())
          + ": "
          + IoErrors.reason(cause)
          + (fix == null ? "" : "; " + fix);
    }
  }

  /**
   * Makes the temporary file durable and moves it atomically to its final name, then records the
   * ETag in the sidecar. The sidecar is written under a temporary name first: what needs space (a
   * full disk) fails before the target is touched, and only renames follow. Whatever is at the
   * final name (a link included) is replaced, never followed; a failure leaves no temporary sidecar
   * behind.
   */
  public static void commit(ObjectRef object) throws IOException {
    Path modelDir = Path.of(object.model().modelDir());
    Place target = targetPlace(object);
    Place sidecar = metadataPlace(object);
    String temporary = temporaryName(object);
    String sidecarTemporary = sidecarTemporaryName(object);
    try (SafeFolder parts = partsFolder(object.model(), false);
        SafeFolder sidecarFolder = SafeFolder.open(modelDir, sidecar.folder(), true);
        SafeFolder targetFolder = SafeFolder.open(modelDir, target.folder(), true)) {
      boolean committed = false;
      try {
        sidecarFolder.writeNew(
            sidecarTemporary,
            (object.etag() == null ? "" : object.etag()).getBytes(StandardCharsets.UTF_8),
            false);
        BasicFileAttributes written = parts.attributes(temporary);
        if (written == null || !written.isRegularFile()) {
          throw new IOException(
              Printable.escape(parts.resolve(temporary).toString())
                  + " is no longer the file this run wrote");
        }
        try (FileChannel channel = parts.channel(temporary, StandardOpenOption.WRITE)) {
          channel.force(true);
        }
        parts.move(temporary, targetFolder, target.name());
        BasicFileAttributes landed = targetFolder.attributes(target.name());
        if (landed == null
            || !landed.isRegularFile()
            || !Objects.equals(landed.fileKey(), written.fileKey())) {
          // Replaced between the check and the rename: no link or foreign file keeps the final
          // name.
          targetFolder.deleteQuietly(target.name());
          throw new IOException(
              Printable.escape(parts.resolve(temporary).toString())
                  + " was replaced while it was renamed; the file is fetched again by the next run");
        }
        syncDirectory(targetFolder.path());
        sidecarFolder.move(sidecarTemporary, sidecarFolder, sidecar.name());
        committed = true;
      } finally {
        if (!committed) {
          sidecarFolder.deleteQuietly(sidecarTemporary);
        }
      }
    }
    Journal.clear(object);
  }

  /** Removes the temporary file and its journal, if any. */
  public static void discard(ObjectRef object) {
    Journal.clear(object);
    try (SafeFolder parts = partsFolder(object.model(), false)) {
      parts.deleteTree(temporaryName(object));
    } catch (IOException e) {
      // The next run resets the file before use; nothing under a final name depends on it.
    }
  }

  /**
   * Removes the temporary files and journals a killed run left in {@link #PARTS} for files now in
   * place ({@code inPlace}, relative paths), whatever version they were of. Only names of this
   * tool's own making are touched. Returns how many entries were removed.
   */
  public static int removeLeftovers(ModelKey model, Collection<String> inPlace) throws IOException {
    Set<String> hashes = new HashSet<>();
    inPlace.forEach(path -> hashes.add(pathHash(path)));
    int removed = 0;
    try (SafeFolder parts = partsFolder(model, false)) {
      for (String name : parts.names()) {
        Matcher own = OWN_PART.matcher(name);
        if (own.matches() && hashes.contains(own.group(1))) {
          parts.deleteTree(name);
          removed++;
        }
      }
    } catch (NoSuchFileException e) {
      return 0;
    }
    return removed;
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some file systems cannot open or sync a directory; the rename itself is still atomic.
    }
  }

  /**
   * 32 hex digits of the SHA-256 of {@code relativePath}: names a file's bookkeeping in a flat
   * folder.
   */
  static String pathHash(String relativePath) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(relativePath.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
