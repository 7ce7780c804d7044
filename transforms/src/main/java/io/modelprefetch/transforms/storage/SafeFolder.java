package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.plan.DestinationPaths;
import io.modelprefetch.transforms.text.Printable;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A folder at or below a model folder, held open and worked on without following symbolic links.
 *
 * <p>model-prefetch may run as root writing into a folder other users can write to (a hostPath, a
 * shared volume, the default {@code /tmp/aibrix/models/}). A link planted anywhere below {@code
 * --local-dir} must never make it write, rename or delete outside the model folder. So every folder
 * from the model folder down is opened from its parent's open folder with {@code O_NOFOLLOW}
 * ({@link SecureDirectoryStream}, {@code openat}), and every file is created, opened, renamed and
 * removed relative to its open folder, never by a path a link could redirect; swapping a folder for
 * a link while a run works in it does not redirect it either. A link (or a file) where a folder is
 * needed is refused with {@link UnsafePathException}, naming it. {@code --local-dir} itself, and
 * the folders above it, are followed: the operator chose them.
 *
 * <p>Only the creation of a missing folder goes by path (there is no {@code mkdirat} in Java); the
 * folder is then opened without following links like any other. Reads that only compare bytes
 * (verification) may go by path.
 */
public final class SafeFolder implements Closeable {

  private final Path path;
  private final SecureDirectoryStream<Path> dir;

  private SafeFolder(Path path, SecureDirectoryStream<Path> dir) {
    this.path = path;
    this.dir = dir;
  }

  /**
   * Opens {@code modelDir}, creating it when {@code create}; refuses it when it is a link or a
   * file. Its parent (the destination root) is opened (and with {@code create} made) following
   * links.
   */
  public static SafeFolder model(Path modelDir, boolean create) throws IOException {
    Path absolute = modelDir.toAbsolutePath().normalize();
    Path root = absolute.getParent();
    if (root == null) {
      throw new IOException(
          "the model folder " + Printable.escape(absolute.toString()) + " has no parent folder");
    }
    // The destination root: followed and made as the operator named it. Looked at first, since
    // createDirectories on a folder that exists throws and catches an exception inside, which cost
    // 2 % of a warm run's CPU on 2000 small files (two calls per file).
    if (create && !Files.isDirectory(root)) {
      Files.createDirectories(root);
    }
    try (SafeFolder parent = new SafeFolder(root, secure(root, Files.newDirectoryStream(root)))) {
      return parent.child(absolute.getFileName().toString(), create);
    }
  }

  /**
   * Opens the folder {@code relative} ({@code a/b}, or empty for the model folder itself) below
   * {@code modelDir}, each component without following links, creating the missing ones when {@code
   * create}.
   */
  public static SafeFolder open(Path modelDir, String relative, boolean create) throws IOException {
    SafeFolder folder = model(modelDir, create);
    if (relative.isEmpty()) {
      return folder;
    }
    try {
      for (String name : relative.split("/")) {
        SafeFolder next = folder.child(name, create);
        folder.close();
        folder = next;
      }
      return folder;
    } catch (IOException | RuntimeException e) {
      folder.close();
      throw e;
    }
  }

  /**
   * Why model-prefetch must write nothing into {@code modelDir}, or null: the model folder, its
   * {@code .prefetch/}, {@code .prefetch/parts/} or {@code .cache/} folder is a symbolic link or a
   * file, or its lock is a link or a folder. Looks without following links and writes nothing; a
   * missing one is fine (it is created when needed).
   */
  public static @Nullable String modelRefusal(Path modelDir) {
    Path model = modelDir.toAbsolutePath().normalize();
    UnsafePathException unsafe = UnsafePathException.at(model, false);
    for (String folder :
        List.of(CompletionMarker.FOLDER, LocalFiles.PARTS, DestinationPaths.CACHE_DIR)) {
      if (unsafe == null) {
        unsafe = UnsafePathException.at(model.resolve(folder), false);
      }
    }
    if (unsafe == null) {
      unsafe = UnsafePathException.at(ModelLock.file(model), true);
    }
    return unsafe == null ? null : unsafe.getMessage();
  }

  /** Opens the folder {@code name} in this one; refuses a link or a file there. */
  public SafeFolder child(String name, boolean create) throws IOException {
    Path child = path.resolve(name);
    for (int attempt = 0; ; attempt++) {
      try {
        return new SafeFolder(
            child, secure(child, dir.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS)));
      } catch (NoSuchFileException e) {
        if (!create || attempt > 0) {
          throw e;
        }
        try {
          Files.createDirectory(child);
        } catch (FileAlreadyExistsException raced) {
          // another writer made it (or put something else there): opening it decides
        }
      } catch (FileSystemException e) {
        // O_NOFOLLOW on a link fails with ELOOP, a file with ENOTDIR: say which.
        UnsafePathException unsafe = UnsafePathException.at(child, false);
        throw unsafe != null ? unsafe : e;
      }
    }
  }

  /** The path this folder was opened at, for messages and reads. */
  public Path path() {
    return path;
  }

  /** The path of {@code name} in this folder. */
  public Path resolve(String name) {
    return path.resolve(name);
  }

  /**
   * Opens the file {@code name} in this folder with {@code options} and without following a link
   * there (a link fails the open). {@code CREATE_NEW} never follows or reuses anything.
   */
  public FileChannel channel(String name, OpenOption... options) throws IOException {
    Set<OpenOption> set = new HashSet<>(List.of(options));
    set.add(LinkOption.NOFOLLOW_LINKS);
    SeekableByteChannel channel;
    try {
      channel = dir.newByteChannel(Path.of(name), set);
    } catch (FileSystemException e) {
      throw located(name, e);
    } catch (IOException e) {
      // The JDK reports O_NOFOLLOW's ELOOP on a file as a plain IOException.
      UnsafePathException unsafe = UnsafePathException.at(resolve(name), true);
      throw unsafe != null ? unsafe : e;
    }
    return (FileChannel) channel; // the default file system's channels are file channels
  }

  /**
   * The attributes of {@code name} itself (a link is not followed), or null when nothing is there.
   */
  public @Nullable BasicFileAttributes attributes(String name) throws IOException {
    try {
      return dir.getFileAttributeView(
              Path.of(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Removes the file or link {@code name} (a link is removed, never followed); false when absent.
   */
  public boolean delete(String name) throws IOException {
    try {
      dir.deleteFile(Path.of(name));
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (FileSystemException e) {
      throw located(name, e);
    }
  }

  /**
   * Removes {@code name} whatever it is: a file or a link, or a folder with everything in it, each
   * folder opened without following links, so nothing outside this folder is touched.
   */
  public void deleteTree(String name) throws IOException {
    BasicFileAttributes attributes = attributes(name);
    if (attributes == null) {
      return;
    }
    if (!attributes.isDirectory()) {
      delete(name);
      return;
    }
    try (SafeFolder child = child(name, false)) {
      for (String entry : child.names()) {
        child.deleteTree(entry);
      }
    } catch (UnsafePathException | NoSuchFileException e) {
      // replaced by a link (or removed) meanwhile: the entry itself goes below
    }
    try {
      dir.deleteDirectory(Path.of(name));
    } catch (NoSuchFileException e) {
      // gone already
    } catch (FileSystemException e) {
      BasicFileAttributes there = attributes(name);
      if (there != null && !there.isDirectory()) {
        delete(name); // a link or file took its place
      } else {
        throw located(name, e);
      }
    }
  }

  /**
   * Removes the folder {@code name} if it is empty; fails when it is not (nothing in it is
   * touched).
   */
  public void deleteEmptyFolder(String name) throws IOException {
    try {
      dir.deleteDirectory(Path.of(name));
    } catch (FileSystemException e) {
      throw located(name, e);
    }
  }

  /**
   * Renames {@code name} to {@code targetName} in {@code target} ({@code renameat}): atomic on one
   * file system, and whatever is at the target name (a link included) is replaced, never followed.
   */
  public void move(String name, SafeFolder target, String targetName) throws IOException {
    try {
      dir.move(Path.of(name), target.dir, Path.of(targetName));
    } catch (FileSystemException e) {
      throw new FileSystemException(
          Printable.escape(resolve(name).toString()),
          Printable.escape(target.resolve(targetName).toString()),
          reason(e));
    }
  }

  /** The names in this folder, read afresh on each call. */
  public List<String> names() throws IOException {
    List<String> names = new ArrayList<>();
    // A directory stream iterates once: each call reads the folder through a new one, from its own
    // fd.
    try (SecureDirectoryStream<Path> listing =
        dir.newDirectoryStream(Path.of("."), LinkOption.NOFOLLOW_LINKS)) {
      for (Path entry : listing) {
        names.add(entry.getFileName().toString());
      }
    }
    return names;
  }

  /**
   * The text of the regular file {@code name} (UTF-8), or null when it is missing or not a regular
   * file.
   */
  public @Nullable String readString(String name) throws IOException {
    BasicFileAttributes attributes = attributes(name);
    if (attributes == null || !attributes.isRegularFile()) {
      return null;
    }
    try (FileChannel channel = channel(name, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(attributes.size(), 1 << 20));
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // read what there is, up to 1 MiB
      }
      return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Writes {@code bytes} to a new file {@code name}: whatever was at that name (a leftover, a link)
   * is removed first and the file is created exclusively ({@code O_EXCL}), so nothing is followed.
   * Made durable when {@code fsync}. A failure removes what it created.
   */
  public void writeNew(String name, byte[] bytes, boolean fsync) throws IOException {
    delete(name);
    boolean written = false;
    try (FileChannel channel =
        channel(name, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (fsync) {
        channel.force(true);
      }
      written = true;
    } finally {
      if (!written) {
        deleteQuietly(name);
      }
    }
  }

  /** Removes {@code name} if it can, for a clean-up after another failure. */
  public void deleteQuietly(String name) {
    try {
      delete(name);
    } catch (IOException e) {
      // the failure being reported matters more
    }
  }

  @Override
  public void close() throws IOException {
    dir.close();
  }

  private FileSystemException located(String name, FileSystemException e) {
    if (e instanceof UnsafePathException) {
      return e;
    }
    FileSystemException unsafe = UnsafePathException.at(resolve(name), true);
    if (unsafe != null
        && !(e instanceof NoSuchFileException)
        && !(e instanceof FileAlreadyExistsException)) {
      return unsafe;
    }
    FileSystemException located = copyWithPath(e, Printable.escape(resolve(name).toString()));
    located.initCause(e);
    return located;
  }

  /** The same kind of failure, naming {@code file} (the JDK names only the relative name). */
  private static FileSystemException copyWithPath(FileSystemException e, String file) {
    if (e instanceof NoSuchFileException) {
      return new NoSuchFileException(file, null, e.getReason());
    }
    if (e instanceof FileAlreadyExistsException) {
      return new FileAlreadyExistsException(file, null, e.getReason());
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return new java.nio.file.AccessDeniedException(file, null, e.getReason());
    }
    if (e instanceof java.nio.file.NotDirectoryException) {
      return new java.nio.file.NotDirectoryException(file);
    }
    if (e instanceof java.nio.file.DirectoryNotEmptyException) {
      return new java.nio.file.DirectoryNotEmptyException(file);
    }
    return new FileSystemException(file, null, reason(e));
  }

  private static String reason(FileSystemException e) {
    return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
  }

  @SuppressWarnings("unchecked")
  private static SecureDirectoryStream<Path> secure(Path path, DirectoryStream<Path> stream)
      throws IOException {
    if (stream instanceof SecureDirectoryStream<?> secure) {
      return (SecureDirectoryStream<Path>) secure;
    }
    stream.close();
    throw new IOException(
        "cannot open "
            + Printable.escape(path.toString())
            + " without following links: this platform offers no openat (model-prefetch writes local folders on Linux)");
  }
}
