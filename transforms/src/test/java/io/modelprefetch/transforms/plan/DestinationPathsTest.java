package io.modelprefetch.transforms.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.plan.DestinationPaths.Mapping;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DestinationPathsTest {

  private static void assertMapped(String expected, Mapping mapping) {
    assertEquals(new Mapping(expected, null), mapping);
    assertEquals(Optional.of(expected), mapping.path());
  }

  private static void assertRefused(String reason, Mapping mapping) {
    assertEquals(reason, mapping.refusal());
    assertNull(mapping.relativePath());
    assertEquals(Optional.empty(), mapping.path());
  }

  @ParameterizedTest
  @CsvSource({
    "models/llama/, models/llama/config.json, config.json",
    "models/llama/, models/llama/tokenizer/vocab.json, tokenizer/vocab.json",
    "'', config.json, config.json",
    "'', a/b/c.safetensors, a/b/c.safetensors",
    "models/llama/, models/llama/.gitattributes, .gitattributes",
    "models/llama/, models/llama/sub/.cache/x, sub/.cache/x",
    "models/llama/, models/llama/..weights, ..weights",
    "models/llama/, models/llama/a.../b, a.../b",
  })
  void keyUnderPrefixMapsToPathBelowIt(String prefix, String key, String relative) {
    assertMapped(relative, DestinationPaths.relativePath(prefix, key, false));
  }

  @ParameterizedTest
  @CsvSource({
    "models/llama/config.json, config.json",
    "config.json, config.json",
    "a/b/c/model-00001-of-00002.safetensors, model-00001-of-00002.safetensors",
  })
  void singleObjectMapsToItsFileName(String key, String relative) {
    assertMapped(relative, DestinationPaths.relativePath(key, key, true));
  }

  @Test
  void singleObjectNamedDotDotIsRefused() {
    assertRefused(
        "key 'a/..' contains a '..' segment that would escape the model directory",
        DestinationPaths.relativePath("a/..", "a/..", true));
  }

  @Test
  void singleObjectWithTrailingSlashHasNoFileName() {
    assertRefused(
        "key 'a/b/' has no file name below its prefix",
        DestinationPaths.relativePath("a/b/", "a/b/", true));
  }

  @Test
  void keyOutsidePrefixIsRefused() {
    assertRefused(
        "key 'models/other/x.json' is outside the prefix 'models/llama/'",
        DestinationPaths.relativePath("models/llama/", "models/other/x.json", false));
  }

  @Test
  void keyEqualToPrefixHasNoFileName() {
    assertRefused(
        "key 'models/llama/' has no file name below its prefix",
        DestinationPaths.relativePath("models/llama/", "models/llama/", false));
  }

  @ParameterizedTest
  @CsvSource({
    "models/llama/, models/llama/../../etc/passwd, ..",
    "models/llama/, models/llama/a/../../b, ..",
    "'', .., ..",
    "models/llama/, models/llama/a/.., ..",
    "models/llama/, models/llama/./config.json, .",
    "models/llama/, models/llama/a/./b, .",
    "'', a/., .",
  })
  void dotAndDotDotSegmentsAreRefused(String prefix, String key, String segment) {
    assertRefused(
        "key '"
            + key
            + "' contains a '"
            + segment
            + "' segment that would escape the model directory",
        DestinationPaths.relativePath(prefix, key, false));
  }

  @Test
  void absoluteKeyUnderEmptyPrefixIsRefused() {
    assertRefused(
        "key '/etc/passwd' would be written to an absolute path",
        DestinationPaths.relativePath("", "/etc/passwd", false));
  }

  @Test
  void doubleSlashAfterPrefixIsRefusedAsAbsolute() {
    assertRefused(
        "key 'models/llama//etc/passwd' would be written to an absolute path",
        DestinationPaths.relativePath("models/llama/", "models/llama//etc/passwd", false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a//b", "a/b/", "a/b//"})
  void emptySegmentIsRefused(String key) {
    assertRefused(
        "key '" + key + "' contains an empty path segment",
        DestinationPaths.relativePath("", key, false));
  }

  @Test
  void nulByteIsRefused() {
    assertRefused(
        "key 'models/a\\x00b' contains a NUL byte",
        DestinationPaths.relativePath("models/", "models/a\0b", false));
  }

  @Test
  void aRefusedKeyIsQuotedWithItsControlsEscaped() {
    assertRefused(
        "key 'm/../x\\nmodel-prefetch: 1 model(s), 6 object(s): 6 verified' contains a '..' segment that would"
            + " escape the model directory",
        DestinationPaths.relativePath(
            "m/", "m/../x\nmodel-prefetch: 1 model(s), 6 object(s): 6 verified", false));
  }

  @Test
  void aKeyWithANewlineStillMapsToItsExactPath() {
    assertMapped(
        "evil\nline.json", DestinationPaths.relativePath("m/", "m/evil\nline.json", false));
  }

  @Test
  void aNameOf255BytesMapsAndOneOf256IsRefused() {
    String longest = "a".repeat(250) + ".json";
    assertMapped("sub/" + longest, DestinationPaths.relativePath("m/", "m/sub/" + longest, false));
    String tooLong = "\u00e9" + "a".repeat(249) + ".json"; // 2 + 249 + 5 bytes in UTF-8
    assertRefused(
        "key 'm/"
            + tooLong
            + "' has a name of 256 bytes; file systems take at most 255 bytes per name",
        DestinationPaths.relativePath("m/", "m/" + tooLong, false));
  }

  @Test
  void nonAsciiKeysAreRefusedWhereTheJvmCannotNameFilesInUtf8() {
    assertMapped(
        "caf\u00e9/\u914d\u7f6e.json",
        DestinationPaths.relativePath("m/", "m/caf\u00e9/\u914d\u7f6e.json", false, "UTF-8"));
    assertMapped(
        "config.json",
        DestinationPaths.relativePath("m/", "m/config.json", false, "ANSI_X3.4-1968"));
    assertRefused(
        "key 'm/caf\u00e9.json' cannot be written as a UTF-8 file name: this JVM names files in ANSI_X3.4-1968"
            + " because its locale is not UTF-8; run it with LC_ALL=C.UTF-8 (the ./prefetch launcher sets it)",
        DestinationPaths.relativePath("m/", "m/caf\u00e9.json", false, "ANSI_X3.4-1968"));
    assertRefused(
        "key 'm/caf\u00e9.json' cannot be written as a UTF-8 file name: this JVM names files in ISO-8859-1"
            + " because its locale is not UTF-8; run it with LC_ALL=C.UTF-8 (the ./prefetch launcher sets it)",
        DestinationPaths.relativePath("m/", "m/caf\u00e9.json", false, "ISO-8859-1"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {".cache", ".cache/s3/download/config.json.lock", ".cache/tos/download/x.metadata"})
  void keysInTheCacheFolderAreRefused(String relative) {
    String key = "models/llama/" + relative;
    assertRefused(
        "key '" + key + "' would overwrite the download bookkeeping in .cache/",
        DestinationPaths.relativePath("models/llama/", key, false));
  }

  @Test
  void singleObjectNamedCacheIsRefused() {
    assertRefused(
        "key 'models/.cache' would overwrite the download bookkeeping in .cache/",
        DestinationPaths.relativePath("models/.cache", "models/.cache", true));
  }

  @Test
  void namesThatOnlyStartLikeCacheAreAccepted() {
    assertMapped(".cached/x", DestinationPaths.relativePath("", ".cached/x", false));
    assertMapped(".cache2", DestinationPaths.relativePath("", ".cache2", false));
  }

  @Test
  void resolvePlacesRelativePathUnderModelDir(@TempDir Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    assertEquals(
        root.resolve("tokenizer").resolve("vocab.json"),
        DestinationPaths.resolve(dir, "tokenizer/vocab.json"));
  }

  @Test
  void resolveNormalisesInnerDotDotThatStaysInside(@TempDir Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    assertEquals(root.resolve("b"), DestinationPaths.resolve(dir, "a/../b"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "a/../../x", "/etc/passwd", "", ".", "a/.."})
  void resolveRefusesPathsThatEscapeOrEqualTheModelDir(String relative, @TempDir Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DestinationPaths.resolve(dir, relative));
    assertEquals("relative path '" + relative + "' escapes " + root, e.getMessage());
  }

  @Test
  void resolveRefusesSiblingWithSharedNamePrefix(@TempDir Path dir) {
    Path model = dir.resolve("llama");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DestinationPaths.resolve(model, "../llama-evil/x"));
    assertEquals(
        "relative path '../llama-evil/x' escapes " + model.toAbsolutePath().normalize(),
        e.getMessage());
  }
}
