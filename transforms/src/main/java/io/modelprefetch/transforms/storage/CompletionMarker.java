package io.modelprefetch.transforms.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code <model>/.prefetch/complete.json}: written last, after every file of the model is in
 * place and verified, so consumers can wait for one file. Removed as soon as a run starts to change
 * the model.
 */
public final class CompletionMarker {

  public static final String FOLDER = ".prefetch";
  public static final String FILE = "complete.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CompletionMarker() {}

  public static Path path(ModelKey model) {
    return Path.of(model.modelDir(), FOLDER, FILE);
  }

  public static org.apache.hadoop.fs.Path hadoopPath(ModelKey model) {
    return new org.apache.hadoop.fs.Path(model.modelDir() + "/" + FOLDER + "/" + FILE);
  }

  /** Removes the marker of a model on a Hadoop file system: the model is about to change. */
  public static void invalidate(org.apache.hadoop.fs.FileSystem fs, ModelKey model) throws IOException {
    fs.delete(hadoopPath(model), false);
  }

  /** Removes the marker: the model is about to change. */
  public static void invalidate(ModelKey model) {
    try {
      Files.deleteIfExists(path(model));
    } catch (IOException e) {
      throw new IllegalStateException("cannot remove " + path(model) + ": " + e.getMessage(), e);
    }
  }

  /** Writes the marker for a model whose every file is in place. */
  public static void write(ModelKey model, List<FileResult> files, Instant completedAt) throws IOException {
    List<FileResult> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(FileResult::relativePath));
    List<Map<String, Object>> entries = new ArrayList<>();
    for (FileResult f : sorted) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("path", f.relativePath());
      e.put("size", f.sizeBytes());
      e.put("etag", f.etag());
      e.put("verifiedBy", f.verifiedBy());
      entries.add(e);
    }
    Map<String, Object> marker = new LinkedHashMap<>();
    marker.put("uri", model.uri());
    marker.put("name", model.name());
    marker.put("completedAt", completedAt.toString());
    marker.put("files", entries);
    if (HadoopFiles.isUri(model.modelDir())) {
      try (org.apache.hadoop.fs.FileSystem fs = HadoopFiles.fileSystem(model)) {
        HadoopFiles.writeString(fs, hadoopPath(model), JSON.writeValueAsString(marker));
      }
      return;
    }
    Path path = path(model);
    Files.createDirectories(path.getParent());
    Path temporary = path.resolveSibling("." + FILE + ".tmp");
    JSON.writeValue(temporary.toFile(), marker);
    Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
