package io.modelprefetch.transforms.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FiltersTest {

  private static Filters include(String... globs) {
    return new Filters(List.of(globs), List.of(), List.of());
  }

  private static Filters exclude(String... globs) {
    return new Filters(List.of(), List.of(globs), List.of());
  }

  private static Filters suffixes(String... suffixes) {
    return new Filters(List.of(), List.of(), List.of(suffixes));
  }

  @ParameterizedTest
  @ValueSource(strings = {"config.json", "a/b/c/weights.safetensors", ".cache-like/x", "x"})
  void noFiltersAcceptEverything(String path) {
    assertTrue(Filters.NONE.isEmpty());
    assertTrue(Filters.NONE.accepts(path));
  }

  @ParameterizedTest
  @CsvSource({
    "*.json, config.json, true",
    "*.json, a/b/config.json, true",
    "*.json, a/config.json/weights.bin, false",
    "*.json, config.jsonl, false",
    "*.json, CONFIG.JSON, false",
    "config.json, tokenizer/config.json, true",
    "model-*.safetensors, shards/model-00001-of-00002.safetensors, true",
    "tokenizer*, tokenizer/vocab.json, false",
    "'{*.json,*.txt}', a/merges.txt, true",
  })
  void globWithoutSlashMatchesFileNameAtAnyDepth(String glob, String path, boolean accepted) {
    assertEquals(accepted, include(glob).accepts(path));
  }

  @ParameterizedTest
  @CsvSource({
    "tokenizer/*, tokenizer/vocab.json, true",
    "tokenizer/*, tokenizer/sub/vocab.json, false",
    "tokenizer/*, a/tokenizer/vocab.json, false",
    "tokenizer/**, tokenizer/sub/deep/vocab.json, true",
    "**/*.json, a/b/config.json, true",
    "**/*.json, a/config.json, true",
    "a/*/c.bin, a/b/c.bin, true",
    "a/*/c.bin, a/b/x/c.bin, false",
    "a/**/c.bin, a/b/x/c.bin, true",
  })
  void globWithSlashMatchesWholeRelativePath(String glob, String path, boolean accepted) {
    assertEquals(accepted, include(glob).accepts(path));
  }

  @Test
  void doubleStarSlashGlobAlsoMatchesTopLevelFile() {
    // As in gitignore and rclone, although a Java glob's '**/' needs at least one folder.
    assertTrue(include("**/*.json").accepts("config.json"));
    assertFalse(include("**/*.json").accepts("config.bin"));
  }

  @Test
  void pathIsFetchedWhenAnyIncludeGlobMatches() {
    Filters filters = include("*.safetensors", "*.json");
    assertTrue(filters.accepts("model.safetensors"));
    assertTrue(filters.accepts("tokenizer/config.json"));
    assertFalse(filters.accepts("pytorch_model.bin"));
  }

  @Test
  void excludeWinsOverInclude() {
    Filters filters = new Filters(List.of("*.json"), List.of("tokenizer/**"), List.of());
    assertTrue(filters.accepts("config.json"));
    assertFalse(filters.accepts("tokenizer/tokenizer.json"));
  }

  @Test
  void excludeAloneDropsOnlyMatchingPaths() {
    Filters filters = exclude("*.bin", "original/**");
    assertFalse(filters.accepts("pytorch_model.bin"));
    assertFalse(filters.accepts("sub/pytorch_model.bin"));
    assertFalse(filters.accepts("original/consolidated.00.pth"));
    assertTrue(filters.accepts("model.safetensors"));
  }

  /**
   * AIBrix's rule ({@code BaseDownloader.download_directory}, aibrix/downloader/base.py): {@code
   * any(file.endswith(suffix) for suffix in self.allow_file_suffix)} on the whole object key, case
   * as given, nothing added. The table of what a setting selects, end to end from the variable, is
   * {@code AibrixCompatibilityTest} in the runners module.
   */
  @ParameterizedTest
  @CsvSource({
    "json, models/m/config.json, true",
    "json, models/m/config.jsonl, false",
    "json, models/m/CONFIG.JSON, false",
    "json, models/m/configjson, true",
    ".json, models/m/configjson, false",
    "config.json, models/m/generation_config.json, true",
    "/config.json, models/m/generation_config.json, false",
    "/config.json, models/m/config.json, true",
    "m/config.json, models/m/config.json, true",
  })
  void suffixIsAPlainEndsWithOnTheWholeKey(String suffix, String key, boolean accepted) {
    String relativePath = key.substring("models/m/".length());
    assertEquals(accepted, suffixes(suffix).accepts(key, relativePath, true));
  }

  @Test
  void emptySuffixKeepsEverything() {
    Filters filters = suffixes("json", "");
    assertTrue(filters.accepts("m/model.safetensors", "model.safetensors", true));
    assertEquals(List.of("json", ""), filters.allowSuffixes());
  }

  @Test
  void suffixesDoNotApplyToAnObjectNamedByItsUri() {
    // AIBrix's download_model downloads a single object without filtering it.
    assertFalse(suffixes("json").accepts("m/model.safetensors", "model.safetensors", true));
    assertTrue(suffixes("json").accepts("m/model.safetensors", "model.safetensors", false));
    assertFalse(
        include("*.json").accepts("m/model.safetensors", "model.safetensors", false),
        "globs still apply");
  }

  @Test
  void anyAllowedSuffixSuffices() {
    Filters filters = suffixes("safetensors", ".json");
    assertEquals(List.of("safetensors", ".json"), filters.allowSuffixes());
    assertTrue(filters.accepts("model.safetensors"));
    assertTrue(filters.accepts("config.json"));
    assertFalse(filters.accepts("model.bin"));
    assertFalse(filters.isEmpty());
  }

  @Test
  void includeAndSuffixMustBothMatch() {
    Filters filters = new Filters(List.of("tokenizer/**"), List.of(), List.of("json"));
    assertTrue(filters.accepts("tokenizer/vocab.json"));
    assertFalse(filters.accepts("tokenizer/merges.txt"));
    assertFalse(filters.accepts("config.json"));
  }

  @Test
  void invalidIncludeGlobIsRefusedNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> include("[abc"));
    assertEquals(
        "invalid glob '[abc': Missing '] near index 3",
        e.getMessage().lines().findFirst().orElseThrow());
    assertInstanceOf(PatternSyntaxException.class, e.getCause());
  }

  @Test
  void invalidExcludeGlobIsRefusedNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> exclude("{a,{b}}"));
    assertEquals(
        "invalid glob '{a,{b}}': Cannot nest groups near index 3",
        e.getMessage().lines().findFirst().orElseThrow());
  }

  @Test
  void invalidGlobErrorIsOneLine() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> include("[abc"));
    assertEquals("invalid glob '[abc': Missing '] near index 3", e.getMessage());
  }

  @Test
  void listsAreCopiedSoCallersCannotChangeThem() {
    List<String> globs = new java.util.ArrayList<>(List.of("*.json"));
    Filters filters = new Filters(globs, List.of(), List.of());
    globs.add("*.bin");
    assertEquals(List.of("*.json"), filters.include());
    assertFalse(filters.accepts("x.bin"));
  }

  @Test
  void toStringListsAllThreeFilters() {
    assertEquals(
        "include=[*.json], exclude=[*.bin], allowSuffixes=[\"json\", \"\"]",
        new Filters(List.of("*.json"), List.of("*.bin"), List.of("json", "")).toString());
  }
}
