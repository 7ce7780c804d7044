package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.plan.DestinationPaths;
import io.modelprefetch.transforms.s3.Lister;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.storage.SafeFolder;
import io.modelprefetch.transforms.structure.ModelListing;
import io.modelprefetch.transforms.text.Printable;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A model's listing: all pages of its prefix (or one object by HEAD), each key mapped to a safe
 * relative path and passed through the filters, reported to a {@link Sink} as objects to fetch,
 * refused keys, filtered paths and, when nothing is to be fetched, the model's failure. Shared by
 * the pipeline's listing step, the command line's space check (whose {@link Recording} the pipeline
 * then takes as its input instead of listing again) and {@code --dry-run}. Touches no metric and no
 * local file.
 */
public final class Listing {

  private Listing() {}

  /**
   * The entries of {@code model}'s whole listing, or one {@link Entry.Kind#MODEL_FAILED} entry: a
   * model folder that is a link (nothing of it is listed, fetched or written), or a listing that
   * failed (a listing is reported once it is whole, so one that fails on a later page fetches
   * nothing).
   */
  public static List<Entry> of(S3Client s3, ModelSource model, boolean attachListings) {
    return of(Lister.sdk(s3), model, attachListings);
  }

  /** {@link #of(S3Client, ModelSource, boolean)}, through {@code lister}. */
  public static List<Entry> of(Lister lister, ModelSource model, boolean attachListings) {
    ModelKey key = ModelKey.of(model);
    List<Entry> refused = refusal(model);
    if (refused != null) {
      return refused;
    }
    try {
      Recording listing = new Recording(IGNORED);
      list(lister, model, listing);
      return listing.entries(attachListings);
    } catch (SdkException | IllegalStateException e) {
      return List.of(
          new Entry(
              Entry.Kind.MODEL_FAILED,
              null,
              FileResult.modelFailure(key, "listing failed: " + S3Errors.describe(e, model.uri())),
              null));
    }
  }

  /**
   * The entries a pipeline reports for {@code model} from {@code listing}, made before the run (the
   * command line's space check): the listing's, or the model's refusal when its folder is a link.
   */
  public static List<Entry> of(ModelSource model, Recording listing, boolean attachListings) {
    List<Entry> refused = refusal(model);
    return refused != null ? refused : listing.entries(attachListings);
  }

  /**
   * The model's failure when its folder (or its bookkeeping) is a link or of the wrong kind, else
   * null.
   */
  private static @Nullable List<Entry> refusal(ModelSource model) {
    String refusal =
        HadoopFiles.isUri(model.modelDir())
            ? null
            : SafeFolder.modelRefusal(Path.of(model.modelDir()));
    return refusal == null
        ? null
        : List.of(
            new Entry(
                Entry.Kind.MODEL_FAILED,
                null,
                FileResult.modelFailure(ModelKey.of(model), "refused: " + refusal),
                null));
  }

  /**
   * Where {@link #list} reports one model's listing: each object to fetch, each key refused because
   * it would escape the model folder, each object the filters dropped, and the model's failure when
   * the listing found nothing to fetch.
   */
  public interface Sink {
    void object(ObjectRef object);

    void refused(FileResult refusal);

    void filtered(String relativePath);

    void modelFailed(FileResult failure);
  }

  /** One report of a listing, as data: it can be handed over, encoded and reported again. */
  public record Entry(
      Kind kind,
      @Nullable ObjectRef object,
      @Nullable FileResult result,
      @Nullable String relativePath)
      implements Serializable {

    /** What an entry reports. */
    public enum Kind {
      /** {@link #object} to fetch. */
      OBJECT,
      /** {@link #result}: a key refused (it would leave the model folder, or is malformed). */
      REFUSED,
      /** {@link #relativePath} was listed and dropped by the filters. */
      FILTERED,
      /** {@link #result}: the model's listing failed, found nothing, or the model was refused. */
      MODEL_FAILED
    }

    /** Tells {@code sink} what this entry reports. */
    public void reportTo(Sink sink) {
      switch (kind) {
        case OBJECT ->
            sink.object(Objects.requireNonNull(object, "an OBJECT entry has its object"));
        case REFUSED ->
            sink.refused(Objects.requireNonNull(result, "a REFUSED entry has a result"));
        case FILTERED ->
            sink.filtered(Objects.requireNonNull(relativePath, "a FILTERED entry has a path"));
        case MODEL_FAILED ->
            sink.modelFailed(Objects.requireNonNull(result, "a MODEL_FAILED entry has a result"));
      }
    }
  }

  /**
   * One model's listing as {@link #list} reported it, to report again: a {@link Sink} that keeps
   * what it is told, in order, and passes it on.
   */
  public static final class Recording implements Sink {
    private final Sink next;
    private final List<Entry> entries = new ArrayList<>();

    /** Records what {@link #list} reports and passes each report on to {@code next}. */
    public Recording(Sink next) {
      this.next = next;
    }

    private void record(Entry entry) {
      entries.add(entry);
      entry.reportTo(next);
    }

    @Override
    public void object(ObjectRef object) {
      record(new Entry(Entry.Kind.OBJECT, object, null, null));
    }

    @Override
    public void refused(FileResult refusal) {
      record(new Entry(Entry.Kind.REFUSED, null, refusal, null));
    }

    @Override
    public void filtered(String relativePath) {
      record(new Entry(Entry.Kind.FILTERED, null, null, relativePath));
    }

    @Override
    public void modelFailed(FileResult failure) {
      record(new Entry(Entry.Kind.MODEL_FAILED, null, failure, null));
    }

    /**
     * How many objects were accepted (kept by the filters, or refused): what {@link #list}
     * returned.
     */
    public long accepted() {
      return entries.stream()
          .filter(e -> e.kind() == Entry.Kind.OBJECT || e.kind() == Entry.Kind.REFUSED)
          .count();
    }

    /**
     * The listing's entries, in order; with {@code attachListings}, each shard index ({@link
     * ObjectRef#needsListing}) carries the model's whole listing ({@link #modelListing}), which its
     * structure check reads.
     */
    public List<Entry> entries(boolean attachListings) {
      ModelListing listing = attachListings ? modelListing() : null;
      List<Entry> out = new ArrayList<>(entries.size());
      for (Entry e : entries) {
        ObjectRef object = e.kind() == Entry.Kind.OBJECT ? e.object() : null;
        out.add(
            listing != null && object != null && object.needsListing()
                ? new Entry(Entry.Kind.OBJECT, object.withListing(listing), null, null)
                : e);
      }
      return out;
    }

    /**
     * The relative paths the listing kept and those the filters dropped (refused keys have none).
     */
    public ModelListing modelListing() {
      Set<String> kept = new HashSet<>();
      Set<String> dropped = new HashSet<>();
      for (Entry e : entries) {
        if (e.kind() == Entry.Kind.OBJECT) {
          kept.add(
              Objects.requireNonNull(e.object(), "an OBJECT entry has its object").relativePath());
        } else if (e.kind() == Entry.Kind.FILTERED) {
          dropped.add(e.relativePath());
        }
      }
      return new ModelListing(kept, dropped);
    }
  }

  /** A sink that keeps nothing: a {@link Recording}'s when its entries are reported later. */
  public static final Sink IGNORED =
      new Sink() {
        @Override
        public void object(ObjectRef object) {}

        @Override
        public void refused(FileResult refusal) {}

        @Override
        public void filtered(String relativePath) {}

        @Override
        public void modelFailed(FileResult failure) {}
      };

  /**
   * Lists {@code model}'s objects (all pages; a single object by HEAD) and reports each to {@code
   * sink}; the plain listing shared by the pipeline and {@code --dry-run}. Touches no metrics and
   * no local file.
   *
   * @return how many objects were accepted (kept by the filters, or refused)
   * @throws SdkException when a request fails
   */
  public static long list(S3Client s3, ModelSource model, Sink sink) {
    return list(Lister.sdk(s3), model, sink);
  }

  /** {@link #list(S3Client, ModelSource, Sink)}, through {@code lister}. */
  public static long list(Lister lister, ModelSource model, Sink sink) {
    ModelKey key = ModelKey.of(model);
    var location = model.location();
    if (!location.isPrefixOnly()) {
      Lister.Listed head = lister.head(location.bucket(), location.key());
      if (head != null) {
        emit(model, key, location.key(), "", true, head.sizeBytes(), head.etag(), sink);
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
      Lister.Page response = lister.page(location.bucket(), prefix, token);
      for (Lister.Listed object : response.objects()) {
        if (object.key() == null || object.key().endsWith("/")) {
          continue; // a folder marker, not a file
        }
        seen++;
        if (emit(
            model, key, object.key(), prefix, false, object.sizeBytes(), object.etag(), sink)) {
          accepted++;
        }
      }
      String next = response.nextContinuationToken();
      if (next == null || next.isEmpty()) {
        if (response.truncated()) {
          throw new MalformedListingException(
              "the store answered page "
                  + page
                  + " of the listing of "
                  + location
                  + " as truncated but gave no continuation token, so the rest cannot be listed; check the endpoint and any"
                  + " proxy in front of it");
        }
        break;
      }
      if (!tokens.add(next)) {
        throw new MalformedListingException(
            "the listing of "
                + location
                + " loops: page "
                + page
                + " gave the continuation token '"
                + Printable.escape(abbreviate(next))
                + "' that an earlier page gave"
                + (response.objects().isEmpty() ? " (with no object)" : "")
                + "; the store (or a proxy in front of it)"
                + " does not page correctly: check the endpoint");
      }
      token = next;
    }
    if (accepted == 0 && seen == 0) {
      sink.modelFailed(
          FileResult.modelFailure(
              key,
              "listing of "
                  + location
                  + " found no object; check the bucket, the prefix and the endpoint"));
    } else if (accepted == 0) {
      sink.modelFailed(
          FileResult.modelFailure(
              key,
              "listing of "
                  + location
                  + " found "
                  + seen
                  + " objects but the filters kept none ("
                  + model.filters()
                  + ")"));
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
  private static boolean emit(
      ModelSource model,
      ModelKey key,
      String objectKey,
      String prefix,
      boolean single,
      Long size,
      String etag,
      Sink sink) {
    var location = model.location();
    String uri = location.scheme().prefix() + location.bucket() + "/" + objectKey;
    if (size == null || size < 0) {
      // One malformed entry fails its own object, never the whole run.
      sink.refused(
          new FileResult(
              key,
              uri,
              objectKey,
              0,
              etag,
              null,
              List.of(),
              FileResult.Status.FAILED,
              0,
              0,
              "refused: the listing gives "
                  + Printable.escape(uri)
                  + " "
                  + (size == null ? "no size" : "a size of " + size + " bytes")
                  + ", which no object has; the store's listing is malformed (check the endpoint and any proxy"
                  + " in front of it)"));
      return true;
    }
    DestinationPaths.Mapping mapping = DestinationPaths.relativePath(prefix, objectKey, single);
    if (mapping.relativePath() == null) {
      sink.refused(
          new FileResult(
              key,
              uri,
              objectKey,
              size,
              etag,
              null,
              List.of(),
              FileResult.Status.FAILED,
              0,
              0,
              "refused: " + mapping.refusal()));
      return true;
    }
    if (!model.filters().accepts(objectKey, mapping.relativePath(), !single)) {
      sink.filtered(mapping.relativePath());
      return false;
    }
    sink.object(
        new ObjectRef(
            key,
            location.scheme(),
            location.bucket(),
            objectKey,
            mapping.relativePath(),
            size,
            etag,
            model.sha256().get(mapping.relativePath()),
            model.client()));
    return true;
  }
}
