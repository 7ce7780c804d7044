package io.modelprefetch.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.model.RetryCause;
import io.modelprefetch.transforms.structure.ModelListing;
import io.modelprefetch.transforms.structure.Structure;
import io.modelprefetch.transforms.verify.BlockCrcs;
import io.modelprefetch.transforms.verify.CrcAlgorithm;
import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.RangeDigests;
import io.modelprefetch.transforms.verify.StoredChecksum;
import io.modelprefetch.transforms.verify.StoredEvidence;
import io.modelprefetch.transforms.verify.Verification;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class CodersTest {

  private static final ClientRecipe TOS =
      new ClientRecipe(
          "https://tos-s3-cn-beijing.volces.com",
          "cn-beijing",
          false,
          true,
          CredentialsSource.of(CredentialsSource.Type.TOS_ENVIRONMENT),
          "/etc/ca.pem",
          64);
  private static final ClientRecipe ANONYMOUS =
      new ClientRecipe(
          null,
          "us-east-1",
          true,
          false,
          new CredentialsSource(CredentialsSource.Type.IN_PROCESS, "keys-7"),
          null,
          1);

  /** Every optional field set, Unicode in names. */
  private static final ObjectRef FULL =
      new ObjectRef(
          new ModelKey("llama", "s3a://bucket/models/llama/", "/models/llama", ANONYMOUS),
          ObjectUri.Scheme.TOS,
          "b",
          "models/llama/模型 +=&@.safetensors",
          "模型 +=&@.safetensors",
          5L << 30,
          "\"abc-3\"",
          "a".repeat(64),
          TOS);

  /** Every optional field null. */
  private static final ObjectRef BARE =
      new ObjectRef(
          new ModelKey("m", "s3://b/m/", "/models/m"),
          ObjectUri.Scheme.S3,
          "b",
          "m/config.json",
          "config.json",
          0,
          null,
          null,
          ANONYMOUS);

  /** A shard index with its model's listing. */
  private static final ObjectRef INDEX =
      new ObjectRef(
          new ModelKey("m", "s3://b/m/", "/models/m"),
          ObjectUri.Scheme.S3,
          "b",
          "m/model.safetensors.index.json",
          "model.safetensors.index.json",
          3000,
          "\"e\"",
          null,
          ANONYMOUS,
          new ModelListing(
              Set.of("model.safetensors.index.json", "model-00001-of-00002.safetensors", "模型.json"),
              Set.of("model-00002-of-00002.safetensors")));

  @Test
  void objectsRangesOutcomesAndResultsDecodeToEqualValues() throws Exception {
    StoredEvidence known =
        new StoredEvidence(
            StoredChecksum.fromHeader("x-amz-checksum-crc32c", "d52a0A==-6", "COMPOSITE"),
            "1234567890",
            "0cc175b9c0f1b6a831c399e269772661",
            5L << 20,
            "x-amz-checksum-sha1 value \"@\" is not base64");
    DigestPlan plan =
        new DigestPlan(
            known,
            CrcAlgorithm.CRC32C,
            List.of(DigestPlan.MD5, DigestPlan.SHA256),
            List.of(8L << 20, 5L << 20),
            16L << 20);
    RangeTask range = new RangeTask(FULL, 3, 80, 3L << 26, (4L << 26) - 1, plan, false);
    RangeTask whole = new RangeTask(BARE, 0, 1, 0, -1, DigestPlan.SIZE_ONLY, true);
    BlockCrcs.Accumulator crcs = BlockCrcs.accumulate(CrcAlgorithm.CRC32C, 1 << 20, 3L << 26);
    crcs.update(new byte[(3 << 20) + 5], 0, (3 << 20) + 5);
    RangeDigests.Result digests =
        new RangeDigests.Result(
            crcs.finish(),
            Map.of(DigestPlan.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
            Map.of(
                8L << 20,
                List.of("0cc175b9c0f1b6a831c399e269772661", "92eb5ffee6ae2fec3ad71c777531578f")),
            List.of("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    FetchedRange fetched =
        new FetchedRange(
            range,
            1L << 26,
            plan,
            digests,
            Map.of(RetryCause.THROTTLED, 2, RetryCause.TRUNCATED, 1),
            1234,
            null,
            false);
    DigestPlan answered =
        DigestPlan.choose(
            0,
            null,
            false,
            new StoredEvidence(
                StoredChecksum.fromHeader("x-amz-checksum-crc32", "v7h4HQ==", null),
                null,
                null,
                0,
                null),
            Verification.FULL);
    FetchedRange fromAnswer =
        new FetchedRange(whole, 0, answered, RangeDigests.Result.NONE, Map.of(), 0, null, false);
    FetchedRange failed = FetchedRange.failed(whole, 10, Map.of(), 5, "NoSuchKey: gone", true);
    FileResult verified =
        new FileResult(
            FULL.model(),
            FULL.uri(),
            FULL.relativePath(),
            FULL.sizeBytes(),
            FULL.etag(),
            "sha256",
            List.of("size", "multipart-md5", "sha256"),
            FileResult.Status.VERIFIED,
            5L << 30,
            3,
            null);

    FileResult malformed =
        FileResult.objectFailure(FULL, 5L << 30, 0, "the source object is malformed: ...")
            .withStructure(
                Structure.Status.FAILED,
                List.of("the filters drop a shard the index names: a (…)"));

    roundTrip(
        Coders.OBJECT, FULL, BARE, INDEX, FULL.withListing(new ModelListing(Set.of(), Set.of())));
    roundTrip(
        Coders.RANGE, range, whole, new RangeTask(INDEX, 0, 1, 0, -1, DigestPlan.SIZE_ONLY, false));
    roundTrip(Coders.FETCHED, fetched, fromAnswer, failed);
    roundTrip(
        Coders.RESULT,
        verified,
        FileResult.present(BARE),
        FileResult.modelFailure(BARE.model(), "listing: 403"),
        verified.withStructure(Structure.Status.OK, List.of()),
        malformed);
  }

  @Test
  void aListingEncodesToTheSameBytesWhateverOrderItsSetsIterateIn() throws Exception {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      paths.add("model-" + i + "-of-200.safetensors");
    }
    Set<String> forward = new LinkedHashSet<>(paths);
    Collections.reverse(paths);
    Set<String> backward = new LinkedHashSet<>(paths);

    byte[] one =
        CoderUtils.encodeToByteArray(
            Coders.OBJECT, BARE.withListing(new ModelListing(forward, Set.of("x"))));
    byte[] other =
        CoderUtils.encodeToByteArray(
            Coders.OBJECT, BARE.withListing(new ModelListing(backward, Set.of("x"))));

    assertArrayEquals(one, other);
  }

  @Test
  void anObjectTakesAFractionOfItsJavaSerialization() throws Exception {
    int fieldByField = CoderUtils.encodeToByteArray(Coders.OBJECT, FULL).length;
    int java = CoderUtils.encodeToByteArray(SerializableCoder.of(ObjectRef.class), FULL).length;
    assertTrue(
        fieldByField * 3 < java, fieldByField + " bytes field by field, " + java + " serialized");
  }

  /** Each value alone, and all of them one after another in one stream (as in a list or a KV). */
  @SafeVarargs
  private static <T> void roundTrip(Coder<T> coder, T... values) throws Exception {
    for (T value : values) {
      assertEquals(
          value, CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, value)));
    }
    Coder<List<T>> list = ListCoder.of(coder);
    assertEquals(
        List.of(values),
        CoderUtils.decodeFromByteArray(list, CoderUtils.encodeToByteArray(list, List.of(values))));
  }
}
