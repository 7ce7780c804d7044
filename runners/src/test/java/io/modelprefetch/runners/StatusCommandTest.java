package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.storage.CompletionMarker;
import io.modelprefetch.transforms.storage.Journal;
import io.modelprefetch.transforms.storage.LocalFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code prefetch status}: model folders as runs write them (the completion marker by {@link
 * CompletionMarker}, temporary files and journals at the paths {@link LocalFiles} and {@link
 * Journal} give), one line per model, the exit status scripts use.
 */
class StatusCommandTest {

  @TempDir Path root;

  static final Instant COMPLETED = Instant.parse("2026-11-29T10:00:00Z");

  /** The model a run of {@code s3://bkt/models/<name>/} into {@link #root} would write. */
  ModelSource model(String name) {
    RunCommand run =
        new RunCommand(
            new Main.Context(
                Map.of(),
                new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(OutputStream.nullOutputStream())));
    new CommandLine(run)
        .parseArgs("--local-dir", root.toString(), "--model-uri", "s3://bkt/models/" + name + "/");
    return new JobResolver(
            Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9", "AWS_REGION", "us-east-1"))
        .resolve(run.flags())
        .models()
        .get(0);
  }

  ObjectRef object(ModelSource model, String relativePath, long size) {
    return new ObjectRef(
        ModelKey.of(model),
        model.location().scheme(),
        model.location().bucket(),
        model.location().key() + relativePath,
        relativePath,
        size,
        "\"0123456789abcdef0123456789abcdef\"",
        null,
        model.client());
  }

  /** A complete model: its files in place, their sidecars, then the marker. */
  ModelSource complete(String name, Map<String, Integer> files) throws IOException {
    ModelSource model = model(name);
    List<FileResult> results = new java.util.ArrayList<>();
    for (Map.Entry<String, Integer> file : new java.util.TreeMap<>(files).entrySet()) {
      ObjectRef object = object(model, file.getKey(), file.getValue());
      Files.createDirectories(LocalFiles.target(object).getParent());
      Files.write(LocalFiles.target(object), new byte[file.getValue()]);
      Files.createDirectories(LocalFiles.metadata(object).getParent());
      Files.writeString(LocalFiles.metadata(object), object.etag());
      results.add(FileResult.present(object));
    }
    CompletionMarker.write(ModelKey.of(model), results, COMPLETED);
    return model;
  }

  Cli status(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of("status", "--local-dir", root.toString()));
    all.addAll(List.of(args));
    return Cli.run(Map.of(), all.toArray(String[]::new));
  }

  @Test
  void completeModelsAreListedWithSizeAndCompletionTimeAndExitZero() throws IOException {
    complete("llama", Map.of("config.json", 140, "model.safetensors", 3 << 20));
    complete("qwen", Map.of("a/b.bin", 10));
    Files.createDirectories(root.resolve(".reports")); // not a model folder

    Cli cli = status();

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(
        "llama: complete, 2 files, 3145868 bytes (3.0 MiB), completed 2026-11-29T10:00:00Z; "
            + root.resolve("llama")
            + "\n"
            + "qwen: complete, 1 file, 10 bytes, completed 2026-11-29T10:00:00Z; "
            + root.resolve("qwen")
            + "\n",
        cli.out());
    assertEquals("", cli.err());
  }

  @Test
  void interruptedRunIsIncompleteNamingItsTemporaryFilesAndJournalsAndExitsOne()
      throws IOException {
    complete("llama", Map.of("config.json", 140));
    ModelSource qwen = model("qwen");
    ObjectRef shard = object(qwen, "model.safetensors", 8 << 20);
    ObjectRef config = object(qwen, "config.json", 100);
    // What a run killed mid-download leaves: one file in place, another's temporary file and
    // journal.
    Files.createDirectories(LocalFiles.target(config).getParent());
    Files.write(LocalFiles.target(config), new byte[100]);
    Files.createDirectories(LocalFiles.temporary(shard).getParent());
    Files.write(LocalFiles.temporary(shard), new byte[4096]);
    Files.createDirectories(Journal.folder(shard));
    Files.writeString(Journal.folder(shard).resolve("0"), "range 0");
    Files.createDirectories(root.resolve("qwen/.prefetch"));
    Files.writeString(root.resolve("qwen/.prefetch/lock"), "pid 1");

    Cli cli = status();

    assertEquals(1, cli.status(), cli.toString());
    String temporary = root.resolve("qwen").relativize(LocalFiles.temporary(shard)).toString();
    String journal = root.resolve("qwen").relativize(Journal.folder(shard)).toString();
    assertEquals(
        "llama: complete, 1 file, 140 bytes, completed 2026-11-29T10:00:00Z; "
            + root.resolve("llama")
            + "\n"
            + "qwen: incomplete (no completion marker), 1 file in place, 100 bytes, 2 left from an interrupted run: "
            + String.join(", ", new java.util.TreeSet<>(List.of(temporary, journal + "/")))
            + "; "
            + root.resolve("qwen")
            + "\n",
        cli.out());
  }

  @Test
  void leftoverDetectionCoversBothLayoutsAndSparesTheMarkerAndTheLock() {
    assertTrue(ModelStatus.isLeftover(Path.of(".model.safetensors.0123456789ab.prefetch-part")));
    assertTrue(
        ModelStatus.isLeftover(Path.of("sub/.model.safetensors.0123456789ab.prefetch-part")));
    assertTrue(
        ModelStatus.isLeftover(Path.of(".model.safetensors.0123456789ab.prefetch-part.journal")));
    assertFalse(
        ModelStatus.isLeftover(Path.of(".prefetch/parts")),
        "the temporaries' folder is looked into");
    assertTrue(
        ModelStatus.isLeftover(
            Path.of(".prefetch/parts/9d75c1098fc54a1f7bd270f148884f59-0123456789ab.prefetch-part")),
        "temporaries under .prefetch/parts/");
    assertFalse(
        ModelStatus.isLeftover(Path.of(".prefetch/sidecars/9d75c1098fc54a1f.metadata")),
        "the sidecar of a name too long for its own");
    assertTrue(ModelStatus.isLeftover(Path.of(".prefetch/.complete.json.tmp")));
    assertFalse(ModelStatus.isLeftover(Path.of(".prefetch/complete.json")));
    assertFalse(ModelStatus.isLeftover(Path.of(".prefetch/lock")));
    assertFalse(ModelStatus.isLeftover(Path.of("model.safetensors")));
    assertFalse(ModelStatus.isLeftover(Path.of(".gitattributes")));
    assertFalse(
        ModelStatus.isLeftover(Path.of("sub/.prefetch/x")), "only the model's own .prefetch/");
  }

  @Test
  void namedModelsAreListedInOrderAndOneWithoutAFolderIsMissing() throws IOException {
    complete("llama", Map.of("config.json", 140));

    Cli cli = status("--model-name", "qwen", "--model-name", "llama");

    assertEquals(1, cli.status(), cli.toString());
    assertEquals(
        "qwen: missing, no folder "
            + root.resolve("qwen")
            + "\n"
            + "llama: complete, 1 file, 140 bytes, completed 2026-11-29T10:00:00Z; "
            + root.resolve("llama")
            + "\n",
        cli.out());
    assertEquals(0, status("--model-name", "llama").status());
  }

  @Test
  void aManifestNamesTheModelsAndTheirFolder() throws IOException {
    complete("llama-2-7b-hf", Map.of("config.json", 1));
    Path manifest = root.resolve("models.yaml");
    Files.writeString(
        manifest,
        "localDir: "
            + root
            + "\nmodels:\n  - uri: tos://bkt/models/llama-2-7b-hf/\n"
            + "  - uri: s3://bkt/x/\n    name: other\n");

    Cli cli = Cli.run(Map.of(), "status", "--manifest", manifest.toString());

    assertEquals(1, cli.status(), cli.toString());
    assertEquals(
        "llama-2-7b-hf: complete, 1 file, 1 bytes, completed 2026-11-29T10:00:00Z; "
            + root.resolve("llama-2-7b-hf")
            + "\nother: missing, no folder "
            + root.resolve("other")
            + "\n",
        cli.out());
  }

  @Test
  void jsonListsEveryLeftover() throws IOException {
    ModelSource qwen = model("qwen");
    for (int i = 0; i < 5; i++) {
      ObjectRef shard = object(qwen, "shard-" + i + ".bin", 8 << 20);
      Files.createDirectories(LocalFiles.temporary(shard).getParent());
      Files.write(LocalFiles.temporary(shard), new byte[1]);
    }
    Files.createDirectories(root.resolve("qwen/.prefetch"));

    Cli text = status();
    Cli json = status("--json");

    assertEquals(1, text.status(), text.toString());
    assertTrue(
        text.out().contains(", 5 left from an interrupted run: ") && text.out().contains(", ...; "),
        text.out());
    JsonNode document = new ObjectMapper().readTree(json.out());
    assertEquals(1, json.status());
    assertEquals(root.toString(), document.path("localDir").asText());
    JsonNode model = document.path("models").get(0);
    assertEquals("qwen", model.path("name").asText());
    assertEquals("incomplete", model.path("status").asText());
    assertEquals(5, model.path("leftovers").size());
    assertEquals(0, model.path("files").asLong());
    assertTrue(model.path("completedAt").isNull());
  }

  @Test
  void aKeyChosenNameCannotForgeALine() throws IOException {
    Path dir = root.resolve("evil\nllama: complete");
    Files.createDirectories(dir.resolve(".prefetch"));

    Cli cli = status();

    assertEquals(1, cli.out().lines().count(), cli.out());
    assertTrue(
        cli.out().startsWith("evil\\nllama: complete: incomplete (no completion marker)"),
        cli.out());
  }

  @Test
  void anEmptyOrMissingFolderIsToldApart() throws IOException {
    Cli empty = status();
    assertEquals(1, empty.status(), empty.toString());
    assertEquals("model-prefetch: status: " + root + " holds no model folder\n", empty.err());

    Cli missing = Cli.run(Map.of(), "status", "--local-dir", root.resolve("nope").toString());
    assertEquals(2, missing.status(), missing.toString());
    assertEquals(
        "model-prefetch: --local-dir '"
            + root.resolve("nope")
            + "' is not a folder (it does not exist);"
            + " give the destination root a run wrote to\n",
        missing.err());
  }
}
