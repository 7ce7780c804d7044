package io.modelprefetch.transforms.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.manifest.Manifest.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestTest {

  private static final String YAML =
      """
      localDir: /models            # optional
      models:
        - uri: tos://bucket/models/llama-2-7b-hf/
          name: llama-2-7b-hf
          include: ["*.safetensors", "*.json"]
          exclude:
            - "*.bin"
        - uri: s3://other/deepseek-r1
      """;

  private static String error(String text) {
    return assertThrows(IllegalArgumentException.class, () -> Manifest.parse(text, "m.yaml"))
        .getMessage();
  }

  @Test
  void yamlManifestParses() {
    Manifest manifest = Manifest.parse(YAML, "m.yaml");
    assertEquals(
        new Manifest(
            "/models",
            List.of(
                new Entry(
                    "tos://bucket/models/llama-2-7b-hf/",
                    "llama-2-7b-hf",
                    List.of("*.safetensors", "*.json"),
                    List.of("*.bin")),
                new Entry("s3://other/deepseek-r1", null, null, null))),
        manifest);
  }

  @Test
  void jsonManifestParses() {
    String json =
        """
        {"localDir": "/models",
         "models": [
           {"uri": "s3://b/m/", "name": "m", "include": ["*.json"], "exclude": []}
         ]}
        """;
    assertEquals(
        new Manifest("/models", List.of(new Entry("s3://b/m/", "m", List.of("*.json"), List.of()))),
        Manifest.parse(json, "m.json"));
  }

  @Test
  void localDirIsOptional() {
    Manifest manifest = Manifest.parse("models:\n  - uri: s3://b/m/\n", "m.yaml");
    assertNull(manifest.localDir());
    assertEquals(List.of(new Entry("s3://b/m/", null, null, null)), manifest.models());
  }

  @Test
  void missingIncludeAndExcludeReadAsEmpty() {
    Entry entry = Manifest.parse("models:\n  - uri: s3://b/m/\n", "m.yaml").models().get(0);
    assertEquals(List.of(), entry.includeOrEmpty());
    assertEquals(List.of(), entry.excludeOrEmpty());
    Entry full = Manifest.parse(YAML, "m.yaml").models().get(0);
    assertEquals(List.of("*.safetensors", "*.json"), full.includeOrEmpty());
    assertEquals(List.of("*.bin"), full.excludeOrEmpty());
  }

  @Test
  void unknownModelKeyIsNamedWithTheKnownKeys() {
    String message =
        error(
            """
            models:
              - uri: tos://b/m/
                name: x
                inclde: ["*.json"]
            """);
    assertTrue(
        message.matches(
            "manifest m\\.yaml line \\d+: unknown key 'inclde'; known keys here: exclude, include, name, sha256, uri"),
        message);
  }

  @Test
  void unknownKeyOnTheLastLineIsReportedOnThatLine() {
    assertEquals(
        "manifest m.yaml line 4: unknown key 'inclde'; known keys here: exclude, include, name, sha256, uri",
        error("models:\n  - uri: tos://b/m/\n    name: x\n    inclde: [\"*.json\"]"));
  }

  @Test
  void unknownKeyInJsonIsReportedOnItsLine() {
    assertEquals(
        "manifest m.yaml line 4: unknown key 'inclde'; known keys here: exclude, include, name, sha256, uri",
        error(
            "{\n  \"models\": [\n    {\"uri\": \"s3://b/m/\",\n     \"inclde\": [\"*.json\"]}\n  ]\n}\n"));
  }

  @Test
  void unknownTopLevelKeyNamesTheTopLevelKeys() {
    String message = error("models:\n  - uri: s3://b/a/\nlocalDir: /m\nfoo: 1\n");
    assertEquals(
        "manifest m.yaml line 4: unknown key 'foo'; known keys here: localDir, models", message);
  }

  @Test
  void unknownKeyErrorNamesTheLineOfTheKey() {
    assertEquals(
        "manifest m.yaml line 4: unknown key 'inclde'; known keys here: exclude, include, name, sha256, uri",
        error("models:\n  - uri: tos://b/m/\n    name: x\n    inclde: [\"*.json\"]\n"));
    assertEquals(
        "manifest m.yaml line 1: unknown key 'modles'; known keys here: localDir, models",
        error("modles:\n  - uri: s3://b/a/\n"));
  }

  @Test
  void malformedYamlGivesLineNumber() {
    assertEquals(
        "manifest m.yaml line 3: while parsing a block collection",
        error("models:\n  - uri: tos://b/m/\n   name: x\n"));
  }

  @Test
  void wrongValueTypeGivesLineNumber() {
    assertEquals(
        "manifest m.yaml line 2: Cannot deserialize value of type `java.lang.String` from Array value (token"
            + " `JsonToken.START_ARRAY`)",
        error("models:\n  - uri: [1]\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\n\n\t\n"})
  void emptyTextIsRefused(String text) {
    assertEquals("manifest m.yaml is empty; it needs a 'models:' list", error(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"models: []\n", "localDir: /x\n", "---\n", "models:\n"})
  void manifestWithoutModelsIsRefused(String text) {
    assertEquals(
        "manifest m.yaml lists no model; add a 'models:' list with at least one 'uri:'",
        error(text));
  }

  @Test
  void modelWithoutUriIsRefusedByPosition() {
    assertEquals(
        "manifest m.yaml: model 2 has no 'uri'",
        error("models:\n  - uri: s3://b/a/\n  - name: x\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"models:\n  -\n", "models:\n  - uri: \"  \"\n", "models:\n  - uri: ''\n"})
  void modelWithEmptyUriIsRefused(String text) {
    assertEquals("manifest m.yaml: model 1 has no 'uri'", error(text));
  }

  @Test
  void readParsesFileAndNamesItInErrors(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("models.yaml");
    Files.writeString(file, YAML);
    assertEquals(Manifest.parse(YAML, "x"), Manifest.read(file));

    Path empty = dir.resolve("empty.yaml");
    Files.writeString(empty, "\n");
    assertEquals(
        "manifest " + empty + " is empty; it needs a 'models:' list",
        assertThrows(IllegalArgumentException.class, () -> Manifest.read(empty)).getMessage());
  }

  @Test
  void missingFileIsRefused(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertEquals(
        "manifest " + missing + " does not exist",
        assertThrows(IllegalArgumentException.class, () -> Manifest.read(missing)).getMessage());
  }
}
