package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.Listing;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The coders of the elements that flow once per object or range: the listed object, its ranges,
 * their outcomes and the object's result. Field by field, with Beam's own coders: Java
 * serialization (Beam's {@code SerializableCoder}) writes class descriptors into every element and
 * runs the reflective record path on each decode. That cost is paid at every shuffle on a cluster,
 * and in every grouping step of the DirectRunner, which copies grouped elements through their
 * coder.
 */
public final class Coders {

  private static final Coder<String> TEXT = NullableCoder.of(StringUtf8Coder.of());
  private static final Coder<Long> LONG = VarLongCoder.of();
  private static final Coder<Integer> INT = VarIntCoder.of();
  private static final Coder<Boolean> FLAG = BooleanCoder.of();
  private static final Coder<List<String>> TEXTS = ListCoder.of(StringUtf8Coder.of());
  private static final Coder<Map<String, Integer>> COUNTS =
      MapCoder.of(StringUtf8Coder.of(), VarIntCoder.of());
  private static final Coder<List<Long>> SIZES = ListCoder.of(VarLongCoder.of());
  private static final Coder<Map<String, String>> HEXES =
      MapCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
  private static final Coder<Map<Long, List<String>>> PARTS = MapCoder.of(VarLongCoder.of(), TEXTS);

  public static final Coder<ObjectRef> OBJECT = new ObjectCoder();
  public static final Coder<RangeTask> RANGE = new RangeCoder();
  public static final Coder<FetchedRange> FETCHED = new FetchedCoder();
  public static final Coder<FileResult> RESULT = new ResultCoder();
  public static final Coder<Listing.Entry> ENTRY = new EntryCoder();

  private Coders() {}

  private static final class ObjectCoder extends CustomCoder<ObjectRef> {
    @Override
    public void encode(ObjectRef o, OutputStream out) throws IOException {
      encodeModel(o.model(), out);
      TEXT.encode(o.scheme().name(), out);
      TEXT.encode(o.bucket(), out);
      TEXT.encode(o.key(), out);
      TEXT.encode(o.relativePath(), out);
      LONG.encode(o.sizeBytes(), out);
      TEXT.encode(o.etag(), out);
      TEXT.encode(o.expectedSha256(), out);
      encodeRecipe(o.client(), out);
      ModelListing listing = o.listing();
      FLAG.encode(listing != null, out);
      if (listing != null) {
        // Sorted, so that equal listings encode to equal bytes.
        TEXTS.encode(new ArrayList<>(new TreeSet<>(listing.kept())), out);
        TEXTS.encode(new ArrayList<>(new TreeSet<>(listing.dropped())), out);
      }
    }

    @Override
    public ObjectRef decode(InputStream in) throws IOException {
      return new ObjectRef(
          decodeModel(in),
          ObjectUri.Scheme.valueOf(TEXT.decode(in)),
          TEXT.decode(in),
          TEXT.decode(in),
          TEXT.decode(in),
          LONG.decode(in),
          TEXT.decode(in),
          TEXT.decode(in),
          decodeRecipe(in),
          FLAG.decode(in)
              ? new ModelListing(Set.copyOf(TEXTS.decode(in)), Set.copyOf(TEXTS.decode(in)))
              : null);
    }
  }

  private static final class RangeCoder extends CustomCoder<RangeTask> {
    @Override
    public void encode(RangeTask t, OutputStream out) throws IOException {
      OBJECT.encode(t.object(), out);
      INT.encode(t.index(), out);
      INT.encode(t.count(), out);
      LONG.encode(t.first(), out);
      LONG.encode(t.lastInclusive(), out);
      encodePlan(t.plan(), out);
      FLAG.encode(t.local(), out);
    }

    @Override
    public RangeTask decode(InputStream in) throws IOException {
      return new RangeTask(
          OBJECT.decode(in),
          INT.decode(in),
          INT.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          decodePlan(in),
          FLAG.decode(in));
    }
  }

  private static final class FetchedCoder extends CustomCoder<FetchedRange> {
    @Override
    public void encode(FetchedRange r, OutputStream out) throws IOException {
      RANGE.encode(r.task(), out);
      LONG.encode(r.bytesFetched(), out);
      boolean tasksPlan = r.plan().equals(r.task().plan());
      FLAG.encode(tasksPlan, out);
      if (!tasksPlan) {
        encodePlan(r.plan(), out);
      }
      encodeDigests(r.digests(), out);
      Map<String, Integer> retries = new HashMap<>();
      r.retriesByCause().forEach((cause, n) -> retries.put(cause.name(), n));
      COUNTS.encode(retries, out);
      LONG.encode(r.fetchMillis(), out);
      TEXT.encode(r.error(), out);
      FLAG.encode(r.objectChanged(), out);
    }

    @Override
    public FetchedRange decode(InputStream in) throws IOException {
      RangeTask task = RANGE.decode(in);
      long bytesFetched = LONG.decode(in);
      DigestPlan plan = FLAG.decode(in) ? task.plan() : decodePlan(in);
      RangeDigests.Result digests = decodeDigests(in);
      Map<RetryCause, Integer> retries = new EnumMap<>(RetryCause.class);
      COUNTS.decode(in).forEach((cause, n) -> retries.put(RetryCause.valueOf(cause), n));
      return new FetchedRange(
          task,
          bytesFetched,
          plan,
          digests,
          retries,
          LONG.decode(in),
          TEXT.decode(in),
          FLAG.decode(in));
    }
  }

  private static final class EntryCoder extends CustomCoder<Listing.Entry> {
    private static final Coder<ObjectRef> OBJECT_OR_NULL = NullableCoder.of(OBJECT);
    private static final Coder<FileResult> RESULT_OR_NULL = NullableCoder.of(RESULT);

    @Override
    public void encode(Listing.Entry e, OutputStream out) throws IOException {
      TEXT.encode(e.kind().name(), out);
      OBJECT_OR_NULL.encode(e.object(), out);
      RESULT_OR_NULL.encode(e.result(), out);
      TEXT.encode(e.relativePath(), out);
    }

    @Override
    public Listing.Entry decode(InputStream in) throws IOException {
      return new Listing.Entry(
          Listing.Entry.Kind.valueOf(TEXT.decode(in)),
          OBJECT_OR_NULL.decode(in),
          RESULT_OR_NULL.decode(in),
          TEXT.decode(in));
    }
  }

  private static final class ResultCoder extends CustomCoder<FileResult> {
    @Override
    public void encode(FileResult r, OutputStream out) throws IOException {
      encodeModel(r.model(), out);
      TEXT.encode(r.uri(), out);
      TEXT.encode(r.relativePath(), out);
      LONG.encode(r.sizeBytes(), out);
      TEXT.encode(r.etag(), out);
      TEXT.encode(r.verifiedBy(), out);
      TEXTS.encode(r.checks(), out);
      TEXT.encode(r.status().name(), out);
      LONG.encode(r.bytesFetched(), out);
      INT.encode(r.retries(), out);
      TEXT.encode(r.error(), out);
      TEXT.encode(r.structure().name(), out);
      TEXTS.encode(r.structureNotes(), out);
    }

    @Override
    public FileResult decode(InputStream in) throws IOException {
      return new FileResult(
          decodeModel(in),
          TEXT.decode(in),
          TEXT.decode(in),
          LONG.decode(in),
          TEXT.decode(in),
          TEXT.decode(in),
          TEXTS.decode(in),
          FileResult.Status.valueOf(TEXT.decode(in)),
          LONG.decode(in),
          INT.decode(in),
          TEXT.decode(in),
          Structure.Status.valueOf(TEXT.decode(in)),
          TEXTS.decode(in));
    }
  }

  private static void encodePlan(DigestPlan plan, OutputStream out) throws IOException {
    StoredEvidence known = plan.known();
    StoredChecksum checksum = known.checksum();
    FLAG.encode(checksum != null, out);
    if (checksum != null) {
      TEXT.encode(checksum.algorithm().name(), out);
      TEXT.encode(checksum.type().name(), out);
      INT.encode(checksum.partCount(), out);
      TEXT.encode(checksum.base64(), out);
    }
    TEXT.encode(known.tosCrc64(), out);
    TEXT.encode(known.uploaderMd5Hex(), out);
    LONG.encode(known.partBytes(), out);
    TEXT.encode(known.problem(), out);
    TEXT.encode(plan.crc() == null ? null : plan.crc().name(), out);
    TEXTS.encode(plan.wholeDigests(), out);
    SIZES.encode(plan.partMd5Bytes(), out);
    LONG.encode(plan.shaPartBytes(), out);
  }

  private static DigestPlan decodePlan(InputStream in) throws IOException {
    StoredChecksum checksum =
        FLAG.decode(in)
            ? new StoredChecksum(
                StoredChecksum.Algorithm.valueOf(TEXT.decode(in)),
                StoredChecksum.Type.valueOf(TEXT.decode(in)),
                INT.decode(in),
                TEXT.decode(in))
            : null;
    StoredEvidence known =
        new StoredEvidence(
            checksum, TEXT.decode(in), TEXT.decode(in), LONG.decode(in), TEXT.decode(in));
    String crc = TEXT.decode(in);
    return new DigestPlan(
        known,
        crc == null ? null : CrcAlgorithm.valueOf(crc),
        TEXTS.decode(in),
        SIZES.decode(in),
        LONG.decode(in));
  }

  private static void encodeDigests(RangeDigests.Result digests, OutputStream out)
      throws IOException {
    BlockCrcs crcs = digests.crcs();
    FLAG.encode(crcs != null, out);
    if (crcs != null) {
      TEXT.encode(crcs.algorithm().name(), out);
      LONG.encode(crcs.blockBytes(), out);
      LONG.encode(crcs.offsetBytes(), out);
      LONG.encode(crcs.lengthBytes(), out);
      long[] pieces = crcs.pieceCrcs();
      INT.encode(pieces.length, out);
      for (long crc : pieces) {
        BigEndianLongCoder.of().encode(crc, out);
      }
    }
    HEXES.encode(digests.wholeHex(), out);
    PARTS.encode(digests.partMd5Hex(), out);
    TEXTS.encode(digests.partShaHex(), out);
  }

  private static RangeDigests.Result decodeDigests(InputStream in) throws IOException {
    BlockCrcs crcs = null;
    if (FLAG.decode(in)) {
      CrcAlgorithm algorithm = CrcAlgorithm.valueOf(TEXT.decode(in));
      long block = LONG.decode(in);
      long offset = LONG.decode(in);
      long length = LONG.decode(in);
      long[] pieces = new long[INT.decode(in)];
      for (int i = 0; i < pieces.length; i++) {
        pieces[i] = BigEndianLongCoder.of().decode(in);
      }
      crcs = BlockCrcs.of(algorithm, block, offset, length, pieces);
    }
    return new RangeDigests.Result(crcs, HEXES.decode(in), PARTS.decode(in), TEXTS.decode(in));
  }

  private static void encodeModel(ModelKey model, OutputStream out) throws IOException {
    TEXT.encode(model.name(), out);
    TEXT.encode(model.uri(), out);
    TEXT.encode(model.modelDir(), out);
    FLAG.encode(model.destination() != null, out);
    if (model.destination() != null) {
      encodeRecipe(model.destination(), out);
    }
  }

  private static ModelKey decodeModel(InputStream in) throws IOException {
    return new ModelKey(
        TEXT.decode(in),
        TEXT.decode(in),
        TEXT.decode(in),
        FLAG.decode(in) ? decodeRecipe(in) : null);
  }

  private static void encodeRecipe(ClientRecipe recipe, OutputStream out) throws IOException {
    TEXT.encode(recipe.endpoint(), out);
    TEXT.encode(recipe.region(), out);
    FLAG.encode(recipe.pathStyle(), out);
    FLAG.encode(recipe.checksumWhenRequired(), out);
    TEXT.encode(recipe.credentials().type().name(), out);
    TEXT.encode(recipe.credentials().handle(), out);
    TEXT.encode(recipe.caBundlePath(), out);
    INT.encode(recipe.maxConnections(), out);
  }

  private static ClientRecipe decodeRecipe(InputStream in) throws IOException {
    return new ClientRecipe(
        TEXT.decode(in),
        TEXT.decode(in),
        FLAG.decode(in),
        FLAG.decode(in),
        new CredentialsSource(CredentialsSource.Type.valueOf(TEXT.decode(in)), TEXT.decode(in)),
        TEXT.decode(in),
        INT.decode(in));
  }
}
