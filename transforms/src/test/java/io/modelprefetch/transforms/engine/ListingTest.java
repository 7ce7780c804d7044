package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.Filters;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.s3.Lister;
import io.modelprefetch.transforms.structure.ModelListing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a shard index carries of its model's listing, and which objects carry it. */
class ListingTest {

  private static final ModelKey MODEL = new ModelKey("m", "s3://b/m/", "/models/m");
  private static final ClientRecipe RECIPE =
      new ClientRecipe(
          "http://127.0.0.1:9",
          "us-east-1",
          true,
          true,
          CredentialsSource.of(CredentialsSource.Type.ANONYMOUS),
          null,
          16);

  private static ObjectRef object(String relativePath) {
    return new ObjectRef(
        MODEL,
        ObjectUri.Scheme.S3,
        "b",
        "m/" + relativePath,
        relativePath,
        10,
        "\"e\"",
        null,
        RECIPE);
  }

  /** A sink that records what it is told, as lines. */
  private static final class Lines implements Listing.Sink {
    final List<String> lines = new ArrayList<>();

    @Override
    public void object(ObjectRef object) {
      lines.add("object " + object.relativePath());
    }

    @Override
    public void refused(FileResult refusal) {
      lines.add("refused " + refusal.relativePath());
    }

    @Override
    public void filtered(String relativePath) {
      lines.add("filtered " + relativePath);
    }

    @Override
    public void modelFailed(FileResult failure) {
      lines.add("failed " + failure.error());
    }
  }

  @Test
  void aRecordingsListingHoldsTheKeptAndTheDroppedPathsButNoRefusedKey() {
    Lines next = new Lines();
    Listing.Recording recording = new Listing.Recording(next);
    recording.object(object("model.safetensors.index.json"));
    recording.object(object("model-00001-of-00002.safetensors"));
    recording.filtered("model-00002-of-00002.safetensors");
    recording.refused(
        FileResult.objectFailure(object("../escape.safetensors"), 0, 0, "refused: outside"));
    recording.object(object("sub/config.json"));

    ModelListing listing = recording.modelListing();

    assertEquals(
        new ModelListing(
            Set.of(
                "model.safetensors.index.json",
                "model-00001-of-00002.safetensors",
                "sub/config.json"),
            Set.of("model-00002-of-00002.safetensors")),
        listing);
    // Taking the listing reports nothing more to the recording's own sink.
    assertEquals(
        List.of(
            "object model.safetensors.index.json",
            "object model-00001-of-00002.safetensors",
            "filtered model-00002-of-00002.safetensors",
            "refused ../escape.safetensors",
            "object sub/config.json"),
        next.lines);
  }

  @Test
  void aRecordingsEntriesReportItAgainInItsOrderAndCarryTheListingOnIndexesOnly() {
    Listing.Recording recording = new Listing.Recording(Listing.IGNORED);
    recording.object(object("model.safetensors.index.json"));
    recording.object(object("model-00001-of-00002.safetensors"));
    recording.filtered("model-00002-of-00002.safetensors");
    recording.refused(
        FileResult.objectFailure(object("../escape.safetensors"), 0, 0, "refused: outside"));

    Lines replayed = new Lines();
    List<Listing.Entry> entries = recording.entries(true);
    entries.forEach(e -> e.reportTo(replayed));

    assertEquals(
        List.of(
            "object model.safetensors.index.json",
            "object model-00001-of-00002.safetensors",
            "filtered model-00002-of-00002.safetensors",
            "refused ../escape.safetensors"),
        replayed.lines);
    assertEquals(recording.modelListing(), entries.get(0).object().listing());
    assertEquals(null, entries.get(1).object().listing(), "only a shard index carries the listing");
    assertEquals(
        null,
        recording.entries(false).get(0).object().listing(),
        "not without the structure check");
    assertEquals(
        3, recording.accepted(), "two objects and a refused key; a filtered one is not accepted");
  }

  @Test
  void onlyShardIndexesNeedTheListingAndKeepItAcrossVersionsAndStaging() {
    assertTrue(object("model.safetensors.index.json").needsListing());
    assertTrue(object("sub/pytorch_model.bin.index.json").needsListing());
    assertFalse(object("config.json").needsListing());
    assertFalse(object("model-00001-of-00002.safetensors").needsListing());
    assertFalse(object("index.json.bak").needsListing());

    ModelListing listing = new ModelListing(Set.of("a.safetensors"), Set.of("b.safetensors"));
    ObjectRef index = object("model.safetensors.index.json").withListing(listing);
    ModelKey staging = new ModelKey("m", "s3://b/m/", "/tmp/staging/0123");
    assertEquals(listing, index.withVersion(11, "\"f\"").listing());
    assertEquals(listing, index.withModel(staging).listing());
    assertEquals(staging, index.withModel(staging).model());
  }

  /**
   * A store that answers a script: HEADs from {@code heads}, pages in order, each after the token
   * the previous one gave. Records the tokens it was asked for.
   */
  private static final class ScriptedLister implements Lister {
    final Map<String, Listed> heads;
    final List<Page> pages;
    final List<String> asked = new ArrayList<>();

    ScriptedLister(Map<String, Listed> heads, Page... pages) {
      this.heads = heads;
      this.pages = List.of(pages);
    }

    @Override
    public Listed head(String bucket, String key) {
      return heads.get(bucket + "/" + key);
    }

    @Override
    public Page page(String bucket, String prefix, String continuationToken) {
      asked.add(bucket + "/" + prefix + " after " + continuationToken);
      return pages.get(asked.size() - 1);
    }
  }

  private static Lister.Listed listed(String key) {
    return new Lister.Listed(key, 10L, "\"e\"");
  }

  private static ModelSource model(String uri) {
    return new ModelSource(uri, ObjectUri.parse(uri), "m", "/models/m", Filters.NONE, RECIPE);
  }

  @Test
  void everyPageIsListedAfterTheTokenOfTheOneBeforeAndFolderMarkersAreNoFiles() {
    ScriptedLister store =
        new ScriptedLister(
            Map.of(),
            new Lister.Page(List.of(listed("m/config.json"), listed("m/sub/")), "t1", true),
            new Lister.Page(List.of(listed("m/sub/tokenizer.json")), null, false));
    Lines sink = new Lines();

    assertEquals(2, Listing.list(store, model("s3://models/m/"), sink));

    assertEquals(List.of("models/m/ after null", "models/m/ after t1"), store.asked);
    assertEquals(List.of("object config.json", "object sub/tokenizer.json"), sink.lines);
  }

  @Test
  void aKeyThatIsAnObjectIsListedByItsHeadAlone() {
    ScriptedLister store =
        new ScriptedLister(Map.of("models/m/config.json", listed("m/config.json")));
    Lines sink = new Lines();

    assertEquals(1, Listing.list(store, model("s3://models/m/config.json"), sink));

    assertEquals(List.of(), store.asked);
    assertEquals(List.of("object config.json"), sink.lines);
  }

  @Test
  void aTokenGivenTwiceFailsTheListingAsALoop() {
    ScriptedLister store =
        new ScriptedLister(
            Map.of(),
            new Lister.Page(List.of(listed("m/a.json")), "t1", true),
            new Lister.Page(List.of(), "t1", true));

    Listing.MalformedListingException loop =
        assertThrows(
            Listing.MalformedListingException.class,
            () -> Listing.list(store, model("s3://models/m/"), new Lines()));

    assertEquals(
        "the listing of s3://models/m/ loops: page 2 gave the continuation token 't1' that an earlier"
            + " page gave (with no object); the store (or a proxy in front of it) does not page"
            + " correctly: check the endpoint",
        loop.getMessage());
  }

  @Test
  void aTruncatedPageWithoutATokenFailsTheListing() {
    ScriptedLister store =
        new ScriptedLister(Map.of(), new Lister.Page(List.of(listed("m/a.json")), "", true));

    Listing.MalformedListingException stopped =
        assertThrows(
            Listing.MalformedListingException.class,
            () -> Listing.list(store, model("s3://models/m/"), new Lines()));

    assertEquals(
        "the store answered page 1 of the listing of s3://models/m/ as truncated but gave no"
            + " continuation token, so the rest cannot be listed; check the endpoint and any proxy"
            + " in front of it",
        stopped.getMessage());
  }
}
