package io.modelprefetch.transforms.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.structure.SafetensorsFiles.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-file entry: which check a relative path gets, and its outcome on a local file. */
class ModelStructureTest {

  @TempDir Path dir;

  private static final ModelListing NONE = new ModelListing(Set.of(), Set.of());

  @Test
  void checkFollowsTheFileName() {
    assertEquals("safetensors", ModelStructure.checkFor("model-00001-of-00002.safetensors"));
    assertEquals("safetensors", ModelStructure.checkFor("transformer/consolidated.safetensors"));
    assertEquals("shard-index", ModelStructure.checkFor("model.safetensors.index.json"));
    assertEquals("shard-index", ModelStructure.checkFor("pytorch_model.bin.index.json"));
    assertEquals("json", ModelStructure.checkFor("config.json"));
    assertEquals("json", ModelStructure.checkFor("text_encoder/config.json"));
    assertEquals("json", ModelStructure.checkFor("generation_config.json"));
    assertEquals("json", ModelStructure.checkFor("tokenizer_config.json"));
    assertEquals("json", ModelStructure.checkFor("tokenizer.json"));
    assertNull(ModelStructure.checkFor("vocab.json"));
    assertNull(ModelStructure.checkFor("README.md"));
    assertNull(ModelStructure.checkFor("pytorch_model.bin"));
    assertNull(ModelStructure.checkFor("model.safetensors.bak"));
  }

  @Test
  void eachKindOfFileGetsItsCheck() throws IOException {
    Path shard =
        SafetensorsFiles.write(
            dir.resolve("s.safetensors"), List.of(new Tensor("w", "BF16", 2, 2)));
    Path index =
        Files.writeString(
            dir.resolve("i.json"), "{\"weight_map\": {\"w\": \"model.safetensors\"}}");
    Path config = Files.writeString(dir.resolve("c.json"), "{\"hidden_size\": 8,}");
    Path readme = Files.writeString(dir.resolve("r.md"), "# not checked");
    ModelListing listing = new ModelListing(Set.of("model.safetensors.index.json"), Set.of());

    assertEquals(
        Structure.ok("safetensors", List.of()),
        ModelStructure.check("model.safetensors", shard, NONE));
    assertEquals(
        Structure.failed(
            "shard-index",
            "the index names a shard the store does not hold: "
                + "model.safetensors (the model's upload is incomplete: upload it)"),
        ModelStructure.check("model.safetensors.index.json", index, listing));
    assertEquals(
        Structure.failed(
            "json",
            "the file is not valid JSON: Unexpected character ('}' (code 125)): was "
                + "expecting double-quote to start field name at line 1, column 19"),
        ModelStructure.check("config.json", config, NONE));
    assertEquals(Structure.NOT_APPLICABLE, ModelStructure.check("README.md", readme, NONE));
  }

  @Test
  void shardIndexWithoutAListingIsRefused() throws IOException {
    Path index = Files.writeString(dir.resolve("i.json"), "{\"weight_map\": {}}");

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelStructure.check("model.safetensors.index.json", index, null));
    assertEquals(
        "checking the shard index model.safetensors.index.json needs the model's listing, which is null",
        e.getMessage());
    assertEquals(
        Structure.Status.OK,
        ModelStructure.check("config.json", Files.writeString(dir.resolve("c.json"), "{}"), null)
            .status());
  }

  @Test
  void statusLabelsAreTheReportWords() {
    assertEquals(
        List.of("ok", "failed", "not-applicable"),
        List.of(Structure.Status.values()).stream().map(Structure.Status::label).toList());
  }
}
