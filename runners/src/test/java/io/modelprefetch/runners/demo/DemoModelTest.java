package io.modelprefetch.runners.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.structure.ModelListing;
import io.modelprefetch.transforms.structure.ModelStructure;
import io.modelprefetch.transforms.structure.Structure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo model is a model its structure check accepts, file by file, at the sizes it names. */
class DemoModelTest {

  @TempDir Path dir;

  @Test
  void everyFileOfTheDemoModelPassesItsStructureCheckAtItsSize() throws IOException {
    List<DemoModel.File> model = DemoModel.SMALL_MODEL;
    ModelListing listing =
        new ModelListing(
            model.stream().map(DemoModel.File::relativePath).collect(Collectors.toSet()), Set.of());
    Map<String, String> outcomes = new TreeMap<>();
    for (DemoModel.File file : model) {
      byte[] content = DemoModel.content(file, model);
      if (file.sizeBytes() > 0) {
        assertEquals(file.sizeBytes(), content.length, file.relativePath());
      }
      Path local = dir.resolve(file.relativePath());
      Files.createDirectories(local.getParent());
      Files.write(local, content);
      Structure structure = ModelStructure.check(file.relativePath(), local, listing);
      assertEquals(List.of(), structure.notes(), file.relativePath());
      outcomes.put(file.relativePath(), structure.status().label());
    }
    assertEquals(
        Map.ofEntries(
            Map.entry("config.json", "ok"),
            Map.entry("generation_config.json", "ok"),
            Map.entry("tokenizer.json", "ok"),
            Map.entry("tokenizer_config.json", "ok"),
            Map.entry("special_tokens_map.json", "not-applicable"),
            Map.entry("model.safetensors.index.json", "ok"),
            Map.entry("model-00001-of-00003.safetensors", "ok"),
            Map.entry("model-00002-of-00003.safetensors", "ok"),
            Map.entry("model-00003-of-00003.safetensors", "ok"),
            Map.entry("original/params.json", "not-applicable"),
            Map.entry("original/tokenizer.model", "not-applicable")),
        outcomes);
    String index =
        new String(
            DemoModel.content(DemoModel.File.single("model.safetensors.index.json", 0), model));
    assertEquals(
        true,
        index.contains("\"model-00002-of-00003.weight\": \"model-00002-of-00003.safetensors\""),
        index);
  }

  @Test
  void contentIsTheSameOnEveryCall() {
    DemoModel.File shard = DemoModel.File.single("sub/w.safetensors", 3 * DemoModel.MIB + 5);
    assertArrayEquals(DemoModel.content(shard), DemoModel.content(shard));
  }

  @Test
  void aSafetensorsFileTooSmallForItsHeaderIsRefusedByName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DemoModel.content(DemoModel.File.single("w.safetensors", 64)));
    assertEquals(
        "w.safetensors: 64 bytes cannot hold a safetensors header of 96 bytes; give it 104 bytes or more, or"
            + " another name",
        e.getMessage());
  }
}
