package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.Progress;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.plan.DestinationPaths;
import io.modelprefetch.transforms.text.Printable;
import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.storage.SafeFolder;
import io.modelprefetch.transforms.structure.ModelListing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Lists each model's objects (all pages), maps keys to safe relative paths and applies the
 * filters. Emits the objects to fetch under {@link #OBJECTS}, redistributed across workers, and
 * under {@link Results#TAG} a failure for each model whose listing failed or found nothing, and for
 * each key that would escape the model folder. With {@link FetchSettings#structureCheck}, a shard
 * index ({@link ObjectRef#needsListing}) carries its model's whole listing ({@link
 * ObjectRef#listing}), which its check reads; no other object does.
 */
public final class ExpandListings extends PTransform<PCollection<ModelSource>, PCollectionTuple> {

  public static final TupleTag<ObjectRef> OBJECTS = new TupleTag<>("objects") {};

  private final int spreadBuckets;
  private final boolean attachListings;

  private ExpandListings(int spreadBuckets, boolean attachListings) {
    this.spreadBuckets = spreadBuckets;
    this.attachListings = attachListings;
  }

  /**
   * Spreads the listed objects as {@code settings} say ({@link FetchSettings#spreadBuckets}), and
   * gives shard indexes their model's listing when {@link FetchSettings#structureCheck} is on.
   */
  public static ExpandListings with(FetchSettings settings) {
    return new ExpandListings(settings.spreadBuckets(), settings.structureCheck());
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelSource> models) {
    PCollectionTuple listed = models.apply("List objects",
        ParDo.of(new ListFn(attachListings)).withOutputTags(OBJECTS, TupleTagList.of(Results.TAG)));
    PCollection<ObjectRef> spread =
        listed.get(OBJECTS).setCoder(Coders.OBJECT)
            .apply("Spread objects", Spread.over(spreadBuckets));
    return PCollectionTuple.of(OBJECTS, spread)
        .and(Results.TAG, listed.get(Results.TAG).setCoder(Coders.RESULT));
  }

  /**
   * Where {@link #list} reports one model's listing: each object to fetch, each key refused
   * because it would escape the model folder, each object the filters dropped, and the model's
   * failure when the listing found nothing to fetch.
   */
  public interface Sink {
    void object(ObjectRef object);

    void refused(FileResult refusal);

    void filtered(String relativePath);

    void modelFailed(FileResult failure);
  }

  /**
   * One model's listing as {@link #list} reported it, to report again: a {@link Sink} that keeps
   * what it is told and passes it on.
   */
  public static final class Recording implements Sink {
    private final Sink next;
    private final List<Consumer<Sink>> events = new ArrayList<>();
    private long accepted;

    /** Records what {@link #list} reports and passes each report on to {@code next}. */
    public Recording(Sink next) {
      this.next = next;
    }

    private void record(Consumer<Sink> event) {
      events.add(event);
      event.accept(next);
    }

    @Override
    public void object(ObjectRef object) {
      record(sink -> sink.object(object));
      accepted++;
    }

    @Override
    public void refused(FileResult refusal) {
      record(sink -> sink.refused(refusal));
      accepted++;
    }

    @Override
    public void filtered(String relativePath) {
      record(sink -> sink.filtered(relativePath));
    }

    @Override
    public void modelFailed(FileResult failure) {
      record(sink -> sink.modelFailed(failure));
    }

    /** Reports the listing again, in its order, to {@code sink}; returns what {@link #list} returned. */
    public long replay(Sink sink) {
      events.forEach(event -> event.accept(sink));
      return accepted;
    }

    /** The relative paths the listing kept and those the filters dropped (refused keys have none). */
    public ModelListing modelListing() {
      Set<String> kept = new HashSet<>();
      Set<String> dropped = new HashSet<>();
      replay(new Sink() {
        @Override
        public void object(ObjectRef object) {
          kept.add(object.relativePath());
        }

        @Override
        public void refused(FileResult refusal) {}

        @Override
        public void filtered(String relativePath) {
          dropped.add(relativePath);
        }

        @Override
        public void modelFailed(FileResult failure) {}
      });
      return new ModelListing(kept, dropped);
    }
  }

  /** A sink that keeps nothing: a {@link Recording}'s when its events are replayed later. */
  private static final Sink IGNORED = new Sink() {
    @Override
    public void object(ObjectRef object) {}

    @Override
    public void refused(FileResult refusal) {}

    @Override
    public void filtered(String relativePath) {}

    @Override
    public void modelFailed(FileResult failure) {}
  };

  /** Listings this JVM made just before its run, by model; each is taken once. */
  private static final Map<ModelSource, Recording> PRELISTED = new ConcurrentHashMap<>();

  /**
   * Hands the listing of {@code model} that this JVM just made (for the space check) to the
   * pipeline's listing step when it runs in this JVM, which then reports it instead of listing the
   * store again. Workers of another JVM list for themselves. Call {@link #forgetPrelisted} when the
   * run ends.
   */
  public static void prelisted(ModelSource model, Recording listing) {
    PRELISTED.put(model, listing);
  }

  /** Drops the listings {@link #prelisted} handed over and no step took. */
  public static void forgetPrelisted() {
    PRELISTED.clear();
  }

  /**
   * Lists {@code model}'s objects (all pages; a single object by HEAD) and reports each to
   * {@code sink}; the plain listing shared by the pipeline and {@code --dry-run}. Touches no
   * metrics and no local file.
   *
   * @return how many objects were accepted (kept by the filters, or refused)
   * @throws SdkException when a request fails
   */
  public static long list(S3Client s3, ModelSource model, Sink sink) {
    ModelKey key = ModelKey.of(model);
    var location = model.location();
    if (!location.isPrefixOnly()) {
      HeadObjectResponse head = headOrNull(s3, location.bucket(), location.key());
      if (head != null) {
        emit(model, key, location.key(), "", true, head.contentLength(), head.eTag(), sink);
        return 1;
      }
    }
    String prefix = location.keyAsPrefix();
    long seen = 0;
    long accepted = 0;
    // Page by page rather than with the SDK's paginator, which asks forever for a token the store
    // keeps giving back.
    Set<String> tokens = new HashSet<>();
    String token = null;
    for (int page = 1; ; page++) {
      ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(location.bucket()).prefix(prefix);
      ListObjectsV2Response response = s3.listObjectsV2(token == null ? request.build()
          : request.continuationToken(token).build());
      for (S3Object object : response.contents()) {
        if (object.key() == null || object.key().endsWith("/")) {
          continue; // a folder marker, not a file
        }
        seen++;
        if (emit(model, key, object.key(), prefix, false, object.size(), object.eTag(), sink)) {
          accepted++;
        }
      }
      String next = response.nextContinuationToken();
      if (next == null || next.isEmpty()) {
        if (Boolean.TRUE.equals(response.isTruncated())) {
          throw new MalformedListingException("the store answered page " + page + " of the listing of " + location
              + " as truncated but gave no continuation token, so the rest cannot be listed; check the endpoint and any"
              + " proxy in front of it");
        }
        break;
      }
      if (!tokens.add(next)) {
        throw new MalformedListingException("the listing of " + location + " loops: page " + page
            + " gave the continuation token '" + Printable.escape(abbreviate(next)) + "' that an earlier page gave"
            + (response.contents().isEmpty() ? " (with no object)" : "") + "; the store (or a proxy in front of it)"
            + " does not page correctly: check the endpoint");
      }
      token = next;
    }
    if (accepted == 0 && seen == 0) {
      sink.modelFailed(FileResult.modelFailure(key,
          "listing of " + location + " found no object; check the bucket, the prefix and the endpoint"));
    } else if (accepted == 0) {
      sink.modelFailed(FileResult.modelFailure(key,
          "listing of " + location + " found " + seen + " objects but the filters kept none (" + model.filters() + ")"));
    }
    return accepted;
  }

  /** A listing that cannot be right (it loops, or stops in the middle): the model fails, named. */
  public static final class MalformedListingException extends IllegalStateException {
    MalformedListingException(String message) {
      super(message);
    }
  }

  private static String abbreviate(String token) {
    return token.length() <= 64 ? token : token.substring(0, 64) + "...";
  }

  /** Reports one object, or its refusal; returns false only when the filters dropped it. */
  private static boolean emit(ModelSource model, ModelKey key, String objectKey, String prefix, boolean single,
      Long size, String etag, Sink sink) {
    var location = model.location();
    String uri = location.scheme().prefix() + location.bucket() + "/" + objectKey;
    if (size == null || size < 0) {
      // One malformed entry fails its own object, never the whole run.
      sink.refused(new FileResult(key, uri, objectKey, 0, etag, null, List.of(), FileResult.Status.FAILED, 0, 0,
          "refused: the listing gives " + Printable.escape(uri) + " " + (size == null ? "no size" : "a size of " + size
              + " bytes") + ", which no object has; the store's listing is malformed (check the endpoint and any proxy"
              + " in front of it)"));
      return true;
    }
    DestinationPaths.Mapping mapping = DestinationPaths.relativePath(prefix, objectKey, single);
    if (mapping.relativePath() == null) {
      sink.refused(new FileResult(key, uri, objectKey, size, etag, null, List.of(),
          FileResult.Status.FAILED, 0, 0, "refused: " + mapping.refusal()));
      return true;
    }
    if (!model.filters().accepts(objectKey, mapping.relativePath(), !single)) {
      sink.filtered(mapping.relativePath());
      return false;
    }
    sink.object(new ObjectRef(key, location.scheme(), location.bucket(), objectKey,
        mapping.relativePath(), size, etag, model.sha256().get(mapping.relativePath()), model.client()));
    return true;
  }

  private static HeadObjectResponse headOrNull(S3Client s3, String bucket, String key) {
    try {
      return s3.headObject(b -> b.bucket(bucket).key(key));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  static final class ListFn extends DoFn<ModelSource, ObjectRef> {
    private final boolean attachListings;

    ListFn(boolean attachListings) {
      this.attachListings = attachListings;
    }

    @ProcessElement
    public void process(@Element ModelSource model, MultiOutputReceiver out) {
      ModelKey key = ModelKey.of(model);
      String refusal = HadoopFiles.isUri(model.modelDir()) ? null : SafeFolder.modelRefusal(Path.of(model.modelDir()));
      if (refusal != null) { // a link in the model's place: nothing of it is listed, fetched or written
        PRELISTED.remove(model);
        PrefetchMetrics.counter(PrefetchMetrics.MODELS_FAILED).inc();
        out.get(Results.TAG).output(FileResult.modelFailure(key, "refused: " + refusal));
        return;
      }
      ClientRecipe recipe = model.client();
      Recording prelisted = PRELISTED.remove(model);
      S3Client s3 = prelisted == null ? S3Clients.acquire(recipe) : null;
      try {
        // A listing is reported once it is whole: one that fails on a later page fetches nothing.
        Recording listing = prelisted;
        if (listing == null) {
          listing = new Recording(IGNORED);
          list(s3, model, listing);
        }
        ModelListing modelListing = attachListings ? listing.modelListing() : null;
        Sink sink = new Sink() {
          @Override
          public void object(ObjectRef object) {
            PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
            Progress.listed(object);
            out.get(OBJECTS).output(modelListing != null && object.needsListing()
                ? object.withListing(modelListing) : object);
          }

          @Override
          public void refused(FileResult refusal) {
            PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
            PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
            out.get(Results.TAG).output(refusal);
          }

          @Override
          public void filtered(String relativePath) {
            PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
            PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FILTERED).inc();
          }

          @Override
          public void modelFailed(FileResult failure) {
            out.get(Results.TAG).output(failure);
          }
        };
        long accepted = listing.replay(sink);
        if (accepted == 0) {
          PrefetchMetrics.counter(PrefetchMetrics.MODELS_FAILED).inc();
        }
      } catch (SdkException | IllegalStateException e) {
        PrefetchMetrics.counter(PrefetchMetrics.MODELS_FAILED).inc();
        out.get(Results.TAG).output(FileResult.modelFailure(key, "listing failed: " + S3Errors.describe(e, model.uri())));
      } finally {
        if (s3 != null) {
          S3Clients.release(recipe);
        }
      }
    }
  }
}
