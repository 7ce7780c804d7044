package io.modelprefetch.runners;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.modelprefetch.transforms.manifest.Manifest;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code status}: what a destination folder holds, model by model, from the disk alone. */
@Command(
    name = "status",
    description =
        "List the models in a destination folder: complete or not (their .prefetch/complete.json marker),"
            + " size, when they completed, and files left by an interrupted run. Reads the disk only.",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    footer = {
      "",
      "Exit status: 0 every model listed is complete; 1 some model is incomplete or missing, or the folder holds"
          + " none; 2 bad input."
    })
final class StatusCommand implements Callable<Integer> {

  /** How many leftovers a text line names before it only counts them. */
  static final int LEFTOVERS_SHOWN = 3;

  @Option(
      names = "--local-dir",
      paramLabel = "DIR",
      description =
          "The destination root, as given to run. Env: DOWNLOADER_LOCAL_DIR. Default: "
              + JobResolver.DEFAULT_LOCAL_DIR)
  @Nullable String localDir;

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description = "Only this model (repeatable); a model without a folder is listed as missing.")
  @Nullable List<String> modelNames;

  @Option(
      names = "--manifest",
      paramLabel = "FILE",
      description = "Only the models of this manifest (its localDir unless --local-dir is given).")
  @Nullable Path manifest;

  @Option(names = "--json", description = "Print one JSON document instead of one line per model.")
  boolean json;

  private final Main.Context context;

  StatusCommand(Main.Context context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException {
    Manifest models = null;
    if (manifest != null) {
      try {
        models = Manifest.read(manifest);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
    }
    String fromEnvironment = blankToNull(context.env().get("DOWNLOADER_LOCAL_DIR"));
    String given =
        localDir != null
            ? localDir
            : models != null && models.localDir() != null
                ? models.localDir()
                : fromEnvironment != null ? fromEnvironment : JobResolver.DEFAULT_LOCAL_DIR;
    if (HadoopFiles.isUri(given)) {
      throw new UsageException(
          "--local-dir '" + given + "': status reads local folders only; give the folder path");
    }
    Path root = Path.of(given).toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) {
      throw new UsageException(
          "--local-dir '"
              + given
              + "' is not a folder"
              + (Files.exists(root) ? "" : " (it does not exist)")
              + "; give the destination root a run wrote to");
    }
    List<ModelStatus> statuses = new ArrayList<>();
    try {
      for (Path dir : folders(root, models)) {
        statuses.add(ModelStatus.of(dir));
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (json) {
      printJson(root, statuses);
    } else {
      statuses.forEach(s -> context.out().println(line(s)));
      if (statuses.isEmpty()) {
        context
            .err()
            .println(
                "model-prefetch: status: "
                    + Printable.escape(root.toString())
                    + " holds no model folder");
      }
    }
    boolean allComplete =
        !statuses.isEmpty()
            && statuses.stream().allMatch(s -> s.state() == ModelStatus.State.COMPLETE);
    return allComplete ? PrefetchRun.OK : PrefetchRun.FAILED;
  }

  /**
   * The folders to report: those named, or the manifest's, or every model folder under {@code
   * root}.
   */
  private List<Path> folders(Path root, @Nullable Manifest models) throws IOException {
    Set<String> names = new LinkedHashSet<>();
    if (modelNames != null) {
      names.addAll(modelNames);
    }
    if (models != null) {
      for (Manifest.Entry entry : models.models()) {
        try {
          names.add(
              entry.name() != null ? entry.name() : ObjectUri.parse(entry.uri()).inferModelName());
        } catch (IllegalArgumentException e) {
          throw new UsageException("manifest " + manifest + ": " + e.getMessage());
        }
      }
    }
    if (names.isEmpty()) {
      return ModelStatus.modelFolders(root);
    }
    List<Path> folders = new ArrayList<>();
    for (String name : names) {
      if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/")) {
        throw new UsageException(
            "--model-name '"
                + Printable.escape(name)
                + "' is not a folder name; give it without '/'");
      }
      folders.add(root.resolve(name));
    }
    return folders;
  }

  /** One model on one line; names and paths made printable. */
  static String line(ModelStatus s) {
    String name = Printable.escape(s.name());
    String dir = Printable.escape(s.dir().toString());
    if (s.state() == ModelStatus.State.MISSING) {
      return name + ": missing, no folder " + dir;
    }
    StringBuilder b = new StringBuilder(name).append(": ");
    if (s.state() == ModelStatus.State.COMPLETE) {
      b.append("complete, ")
          .append(files(s.files()))
          .append(", ")
          .append(size(s.sizeBytes()))
          .append(", completed ")
          .append(s.completedAt() == null ? "at an unknown time" : s.completedAt().toString());
    } else {
      b.append("incomplete (")
          .append(s.problem() != null ? s.problem() : "no completion marker")
          .append("), ")
          .append(files(s.files()))
          .append(" in place, ")
          .append(size(s.sizeBytes()));
    }
    if (!s.leftovers().isEmpty()) {
      b.append(", ").append(s.leftovers().size()).append(" left from an interrupted run: ");
      List<String> shown =
          s.leftovers().stream().limit(LEFTOVERS_SHOWN).map(Printable::escape).toList();
      b.append(String.join(", ", shown));
      if (s.leftovers().size() > LEFTOVERS_SHOWN) {
        b.append(", ...");
      }
    }
    return b.append("; ").append(dir).toString();
  }

  private static String files(long n) {
    return n == 1 ? "1 file" : n + " files";
  }

  private static String size(long bytes) {
    return bytes < 1024
        ? bytes + " bytes"
        : String.format(Locale.ROOT, "%d bytes (%s)", bytes, PrefetchRun.bytes(bytes));
  }

  private void printJson(Path root, List<ModelStatus> statuses) throws IOException {
    List<Map<String, Object>> models = new ArrayList<>();
    for (ModelStatus s : statuses) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", s.name());
      m.put("path", s.dir().toString());
      m.put("status", s.state().name().toLowerCase(Locale.ROOT));
      m.put("uri", s.uri());
      m.put("files", s.files());
      m.put("bytes", s.sizeBytes());
      m.put("completedAt", s.completedAt() == null ? null : s.completedAt().toString());
      m.put("leftovers", s.leftovers());
      m.put("problem", s.problem());
      models.add(m);
    }
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("localDir", root.toString());
    document.put("models", models);
    context
        .out()
        .println(
            new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(document));
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
