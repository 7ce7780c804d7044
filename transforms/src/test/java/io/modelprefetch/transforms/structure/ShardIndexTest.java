package io.modelprefetch.transforms.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A shard index against the model's listing: what fails, what is only noted, and the exact lines.
 */
class ShardIndexTest {

  private static final String INDEX = "model.safetensors.index.json";

  /** An index whose weight_map maps one tensor to each of {@code shards}. */
  private static String index(String... shards) {
    List<String> entries = new ArrayList<>();
    for (int i = 0; i < shards.length; i++) {
      entries.add("\"model.layers." + i + ".weight\": \"" + shards[i] + "\"");
    }
    return "{\n  \"metadata\": {\"total_size\": 1234},\n  \"weight_map\": {\n    "
        + String.join(",\n    ", entries)
        + "\n  }\n}\n";
  }

  private static String shard(int number, int count) {
    return String.format("model-%05d-of-%05d.safetensors", number, count);
  }

  private static Set<String> set(String... paths) {
    return Set.copyOf(Arrays.asList(paths));
  }

  private static Structure check(
      String indexPath, String json, Set<String> kept, Set<String> dropped) throws IOException {
    return ShardIndex.check(
        indexPath,
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
        new ModelListing(kept, dropped));
  }

  private static Structure check(String json, Set<String> kept) throws IOException {
    return check(INDEX, json, kept, Set.of());
  }

  @Test
  void indexNamingEveryShardTheStoreHoldsIsOk() throws IOException {
    String json = index(shard(1, 3), shard(2, 3), shard(3, 3), shard(3, 3));

    assertEquals(
        Structure.ok("shard-index", List.of()),
        check(json, set(INDEX, "config.json", shard(1, 3), shard(2, 3), shard(3, 3))));
  }

  @Test
  void namedShardMissingFromTheStoreFails() throws IOException {
    String json = index(shard(1, 3), shard(2, 3), shard(3, 3));

    assertEquals(
        Structure.failed(
            "shard-index",
            "the index names a shard the store does not hold: "
                + "model-00002-of-00003.safetensors (the model's upload is incomplete: upload it)"),
        check(json, set(INDEX, shard(1, 3), shard(3, 3))));
  }

  @Test
  void shardTheIndexDoesNotNameFails() throws IOException {
    String json = index(shard(1, 3), shard(2, 3));

    assertEquals(
        Structure.failed(
            "shard-index",
            "the index does not name a shard of its naming that the store "
                + "holds, so it lacks its tensors (upload the index written with these shards): "
                + "model-00003-of-00003.safetensors"),
        check(json, set(INDEX, shard(1, 3), shard(2, 3), shard(3, 3))));
  }

  @Test
  void unnamedShardFailsEvenWhenTheFiltersDropIt() throws IOException {
    String json = index(shard(1, 3));

    assertEquals(
        "the index does not name 2 shards of its naming that the store holds, so it lacks their tensors "
            + "(upload the index written with these shards): model-00002-of-00003.safetensors, "
            + "model-00003-of-00003.safetensors (dropped by the filters)",
        check(INDEX, json, set(INDEX, shard(1, 3), shard(2, 3)), set(shard(3, 3))).failure());
  }

  @Test
  void namedShardTheFiltersDropIsANoteNotAFailure() throws IOException {
    String json = index(shard(1, 2), shard(2, 2));

    assertEquals(
        Structure.ok(
            "shard-index",
            List.of(
                "the filters drop a shard the index names: "
                    + "model-00002-of-00002.safetensors (the local copy lacks its tensors)")),
        check(INDEX, json, set(INDEX, shard(1, 2)), set(shard(2, 2))));
  }

  @Test
  void consolidatedFileBesideTheShardsIsNotTheIndexBusiness() throws IOException {
    String json = index(shard(1, 2), shard(2, 2));

    assertEquals(
        Structure.ok("shard-index", List.of()),
        check(
            json, set(INDEX, shard(1, 2), shard(2, 2), "consolidated.safetensors", "params.json")));
  }

  @Test
  void countWithoutItsLastShardFails() throws IOException {
    String json = index(shard(1, 4), shard(2, 4), shard(3, 4));

    assertEquals(
        Structure.failed(
            "shard-index",
            "the shard names say there are 4 shards, but 1 is neither named "
                + "by the index nor held by the store: model-00004-of-00004.safetensors"),
        check(json, set(INDEX, shard(1, 4), shard(2, 4), shard(3, 4))));
  }

  @Test
  void shardNumberedBeyondItsCountFails() throws IOException {
    String json = index(shard(1, 2), shard(2, 2), shard(3, 2));

    assertEquals(
        Structure.failed(
            "shard-index",
            "the index names a shard numbered outside 1 to 2: "
                + "model-00003-of-00002.safetensors"),
        check(json, set(INDEX, shard(1, 2), shard(2, 2), shard(3, 2))));
  }

  @Test
  void shardsOfAnotherCountAreNotedAsLeftovers() throws IOException {
    String json = index(shard(1, 2), shard(2, 2));

    assertEquals(
        Structure.ok(
            "shard-index",
            List.of(
                "the store holds 2 files with the index's shard prefix but "
                    + "another count than 2, not checked against this index: model-00001-of-00003.safetensors, "
                    + "model-00002-of-00003.safetensors")),
        check(json, set(INDEX, shard(1, 2), shard(2, 2), shard(1, 3), shard(2, 3))));
  }

  @Test
  void indexInASubfolderNamesShardsRelativeToItsFolder() throws IOException {
    String indexPath = "transformer/diffusion_pytorch_model.safetensors.index.json";
    String json =
        index(
            "diffusion_pytorch_model-00001-of-00002.safetensors",
            "diffusion_pytorch_model-00002-of-00002.safetensors");
    Set<String> kept =
        set(
            indexPath,
            "transformer/diffusion_pytorch_model-00001-of-00002.safetensors",
            "transformer/diffusion_pytorch_model-00002-of-00002.safetensors",
            "vae/diffusion_pytorch_model-00003-of-00002.safetensors",
            "diffusion_pytorch_model-00003-of-00002.safetensors");

    assertEquals(Structure.ok("shard-index", List.of()), check(indexPath, json, kept, Set.of()));
    assertEquals(
        "the index names a shard the store does not hold: "
            + "transformer/diffusion_pytorch_model-00002-of-00002.safetensors (the model's upload is incomplete: upload "
            + "it)",
        check(
                indexPath,
                json,
                set(
                    indexPath,
                    "transformer/diffusion_pytorch_model-00001-of-00002.safetensors",
                    "diffusion_pytorch_model-00002-of-00002.safetensors"),
                Set.of())
            .failure());
  }

  @Test
  void shardNamesOutsideOneNamingSkipTheNamingRulesWithANote() throws IOException {
    String json = index(shard(1, 2), "extra.safetensors");

    assertEquals(
        Structure.ok(
            "shard-index",
            List.of(
                "the index's shard names follow no single "
                    + "<prefix>-NNNNN-of-MMMMM pattern: shards it does not name were not looked for")),
        check(json, set(INDEX, "extra.safetensors", shard(1, 2), shard(2, 2))));
  }

  @Test
  void singleFileIndexHasNoNamingToCheck() throws IOException {
    String json = index("model.safetensors", "model.safetensors");

    assertEquals(
        Structure.ok("shard-index", List.of()),
        check(json, set(INDEX, "model.safetensors", shard(1, 2))));
  }

  @Test
  void shardOutsideTheModelFails() throws IOException {
    String json = index("../other-model/model.safetensors", "model.safetensors");

    assertEquals(
        "the index names a shard outside the model: ../other-model/model.safetensors",
        check(json, set(INDEX, "model.safetensors")).failure());
    assertEquals(
        Structure.Status.OK,
        check(
                "a/" + INDEX,
                index("../b/model.safetensors"),
                set("a/" + INDEX, "b/model.safetensors"),
                Set.of())
            .status());
  }

  @Test
  void everyBrokenRuleIsReportedInOneLine() throws IOException {
    String json =
        index(
            shard(1, 9),
            shard(2, 9),
            shard(3, 9),
            shard(4, 9),
            shard(5, 9),
            shard(6, 9),
            shard(7, 9));

    assertEquals(
        "the index names 7 shards the store does not hold: model-00001-of-00009.safetensors, "
            + "model-00002-of-00009.safetensors, model-00003-of-00009.safetensors, model-00004-of-00009.safetensors, "
            + "model-00005-of-00009.safetensors and 2 more (the model's upload is incomplete: upload them); the shard "
            + "names say there are 9 shards, but 2 are neither named by the index nor held by the store: "
            + "model-00008-of-00009.safetensors, model-00009-of-00009.safetensors",
        check(json, set(INDEX)).failure());
  }

  @Test
  void indexThatIsNotAJsonObjectOfShardNamesFails() throws IOException {
    assertEquals(
        "the index is not valid JSON: Unexpected character ('}' (code 125)): was expecting double-quote to "
            + "start field name at line 1, column 26",
        check("{\"weight_map\": {\"a\": \"x\",}}", set(INDEX)).failure());
    assertEquals(
        "the index is an array, a shard index is a JSON object", check("[]", set(INDEX)).failure());
    assertEquals(
        "the index is empty, a shard index is a JSON object", check("", set(INDEX)).failure());
    assertEquals(
        "the index's weight_map is an array, it must be an object of tensor names to shard files",
        check("{\"weight_map\": []}", set(INDEX)).failure());
    assertEquals(
        "the index's weight_map maps tensor 'lm_head.weight' to a number 2, it must name a shard file",
        check("{\"weight_map\": {\"lm_head.weight\": 2}}", set(INDEX)).failure());
    assertEquals(
        "the index's weight_map is empty: it names no shard",
        check("{\"weight_map\": {}}", set(INDEX)).failure());
    assertEquals(
        "the index goes on after its JSON object, at line 1, column 22",
        check("{\"weight_map\": {}}   {}", set(INDEX)).failure());
  }

  @Test
  void indexWithoutAWeightMapIsCheckedAsJsonOnly() throws IOException {
    assertEquals(
        Structure.ok("shard-index", List.of("the index has no weight_map: checked as JSON only")),
        check("{\"metadata\": {}}", set(INDEX)));
  }
}
