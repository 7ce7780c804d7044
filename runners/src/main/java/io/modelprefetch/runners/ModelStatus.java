package io.modelprefetch.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.transforms.storage.CompletionMarker;
import io.modelprefetch.transforms.storage.LocalFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * What a destination folder holds for one model, read from the disk alone (no request): whether its
 * completion marker says it is complete, its size, and what an interrupted run left behind.
 *
 * @param name the model's folder name
 * @param dir the model's folder
 * @param state {@link State#COMPLETE} when {@code .prefetch/complete.json} is there and readable
 * @param uri the model's URI as the marker records it, or null
 * @param files the files of the model: the marker's, or those in place when there is no marker
 * @param sizeBytes their bytes
 * @param completedAt when the marker was written, or null
 * @param leftovers paths relative to {@code dir}, sorted, of what {@link #isLeftover} finds
 * @param problem why the marker could not be read, or null
 */
record ModelStatus(
    String name,
    Path dir,
    State state,
    @Nullable String uri,
    long files,
    long sizeBytes,
    @Nullable Instant completedAt,
    List<String> leftovers,
    @Nullable String problem) {

  /** Where a model stands. */
  enum State {
    COMPLETE,
    INCOMPLETE,
    /** Asked for by name (or by a manifest) but there is no folder. */
    MISSING
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A temporary file next to its target, {@code .<name>.<etag>.prefetch-part} (LocalFiles). */
  private static final Pattern PART_NEXT_TO_TARGET =
      Pattern.compile("\\..+\\.[0-9a-z-]*\\.prefetch-part");

  /**
   * Whether {@code relative} (a path under a model's folder, of a file or a folder) is something a
   * run leaves only when it was interrupted: a temporary file next to its target, with its journal
   * folder ({@code .<name>.<etag>.prefetch-part}, {@code ….prefetch-part.journal/}), or anything
   * under {@code .prefetch/} but the completion marker and the lock (the temporary files and
   * journals that live there, a marker's own temporary file). A folder that is a leftover is
   * reported once, its content not looked into. While a run is writing the model, its work in
   * progress shows here too.
   */
  static boolean isLeftover(Path relative) {
    String name = relative.getFileName().toString();
    if (PART_NEXT_TO_TARGET.matcher(name).matches()
        || name.endsWith(".prefetch-part.journal") && name.startsWith(".")) {
      return true;
    }
    String path = relative.toString().replace('\\', '/');
    if (path.equals(LocalFiles.PARTS)
        || path.equals(LocalFiles.LONG_NAME_SIDECARS)
        || path.startsWith(LocalFiles.LONG_NAME_SIDECARS + "/")) {
      return false; // the folder of temporaries is looked into; long names' sidecars are no
      // leftover
    }
    if (relative.getNameCount() == 3 && path.startsWith(LocalFiles.PARTS + "/")) {
      return true; // a temporary file or journal of an interrupted run
    }
    return relative.getNameCount() == 2
        && relative.getName(0).toString().equals(CompletionMarker.FOLDER)
        && !name.equals(CompletionMarker.FILE)
        && !name.equals("lock");
  }

  /**
   * Whether {@code dir} looks like a model folder: a run's {@code .prefetch/} or AIBrix's sidecars.
   */
  static boolean isModelFolder(Path dir) {
    return Files.isDirectory(dir.resolve(CompletionMarker.FOLDER))
        || Files.isDirectory(dir.resolve(".cache/s3/download"))
        || Files.isDirectory(dir.resolve(".cache/tos/download"));
  }

  /** Every model folder directly under {@code root}, by name. */
  static List<Path> modelFolders(Path root) throws IOException {
    try (Stream<Path> children = Files.list(root)) {
      return children
          .filter(Files::isDirectory)
          .filter(ModelStatus::isModelFolder)
          .sorted()
          .toList();
    }
  }

  /** Reads the status of the model whose folder is {@code dir}. */
  static ModelStatus of(Path dir) throws IOException {
    String name = dir.getFileName().toString();
    if (!Files.isDirectory(dir)) {
      return new ModelStatus(name, dir, State.MISSING, null, 0, 0, null, List.of(), null);
    }
    List<String> leftovers = new ArrayList<>();
    long[] inPlace = new long[2]; // files, bytes
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path folder, BasicFileAttributes attributes) {
            if (folder.equals(dir)) {
              return FileVisitResult.CONTINUE;
            }
            Path relative = dir.relativize(folder);
            if (isLeftover(relative)) {
              leftovers.add(relative.toString() + "/");
              return FileVisitResult.SKIP_SUBTREE;
            }
            // The sidecars are AIBrix's bookkeeping, not the model's files.
            return relative.toString().equals(".cache")
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
            Path relative = dir.relativize(file);
            if (isLeftover(relative)) {
              leftovers.add(relative.toString());
            } else if (!relative.getName(0).toString().equals(CompletionMarker.FOLDER)
                && attributes.isRegularFile()) {
              inPlace[0]++;
              inPlace[1] += attributes.size();
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    leftovers.sort(null);
    Path marker = dir.resolve(CompletionMarker.FOLDER).resolve(CompletionMarker.FILE);
    if (!Files.isRegularFile(marker)) {
      return new ModelStatus(
          name,
          dir,
          State.INCOMPLETE,
          null,
          inPlace[0],
          inPlace[1],
          null,
          List.copyOf(leftovers),
          null);
    }
    JsonNode json;
    try {
      json = JSON.readTree(marker.toFile());
    } catch (IOException e) {
      return new ModelStatus(
          name,
          dir,
          State.INCOMPLETE,
          null,
          inPlace[0],
          inPlace[1],
          null,
          List.copyOf(leftovers),
          "its completion marker is unreadable: " + e.getClass().getSimpleName());
    }
    long files = 0;
    long bytes = 0;
    for (JsonNode file : json.path("files")) {
      files++;
      bytes += file.path("size").asLong();
    }
    Instant completedAt;
    try {
      completedAt = Instant.parse(json.path("completedAt").asText());
    } catch (RuntimeException e) {
      completedAt = null;
    }
    return new ModelStatus(
        name,
        dir,
        State.COMPLETE,
        json.path("uri").asText(null),
        files,
        bytes,
        completedAt,
        List.copyOf(leftovers),
        null);
  }
}
