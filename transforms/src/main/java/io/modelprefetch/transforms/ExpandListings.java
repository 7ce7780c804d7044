package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.Listing;
import io.modelprefetch.transforms.engine.ProgressListener;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.s3.S3Clients;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Lists each model's objects ({@link Listing}: all pages, keys mapped to safe relative paths,
 * filters applied) and reports the listing: the objects to fetch under {@link #objects()},
 * redistributed across workers, and under {@link #results()} a failure for each model whose listing
 * failed or found nothing, and for each key refused. With {@link FetchSettings#structureCheck}, a
 * shard index carries its model's whole listing, which its check reads; no other object does.
 *
 * <p>{@link #with} lists in the pipeline; {@link #listed} reports a listing the command line made
 * just before the run (for its space check), given as the pipeline's input, so the store is not
 * listed twice.
 */
public final class ExpandListings extends PTransform<PCollection<ModelSource>, PCollectionTuple> {

  private final FetchSettings settings;
  private final ReportListing report;

  private ExpandListings(FetchSettings settings) {
    this.settings = settings;
    this.report = new ReportListing(settings);
  }

  /** Lists each model of its input. */
  public static ExpandListings with(FetchSettings settings) {
    return new ExpandListings(settings);
  }

  /**
   * Reports {@code listings}, one per model, made before the run ({@link Listing#of}). Each listing
   * is one input element, flattened in the step that reports it, so a model's objects enter the
   * graph in one bundle as a listing made in the pipeline does.
   */
  public static Listed listed(FetchSettings settings, List<List<Listing.Entry>> listings) {
    return new Listed(settings, listings);
  }

  /** The objects to fetch, redistributed across workers. */
  public TupleTag<ObjectRef> objects() {
    return report.objects;
  }

  /** A failure for each model whose listing failed or found nothing, and for each key refused. */
  public TupleTag<FileResult> results() {
    return report.results;
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelSource> models) {
    return models
        .apply("List objects", ParDo.of(new ListFn(settings.structureCheck())))
        .setCoder(Coders.ENTRY)
        .apply("Report listing", report);
  }

  /** The listings made before the run, reported as {@link ExpandListings} reports its own. */
  public static final class Listed extends PTransform<PBegin, PCollectionTuple> {
    private final List<List<Listing.Entry>> listings;
    private final ReportListing report;

    private Listed(FetchSettings settings, List<List<Listing.Entry>> listings) {
      this.listings = listings.stream().map(List::copyOf).toList();
      this.report = new ReportListing(settings);
    }

    /** As {@link ExpandListings#objects()}. */
    public TupleTag<ObjectRef> objects() {
      return report.objects;
    }

    /** As {@link ExpandListings#results()}. */
    public TupleTag<FileResult> results() {
      return report.results;
    }

    @Override
    public PCollectionTuple expand(PBegin begin) {
      return begin
          .apply("Listings", Create.of(listings).withCoder(ListCoder.of(Coders.ENTRY)))
          .apply("Entries", Flatten.iterables())
          .setCoder(Coders.ENTRY)
          .apply("Report listing", report);
    }
  }

  /** Counts and routes the entries of a listing; spreads the objects across workers. */
  private static final class ReportListing
      extends PTransform<PCollection<Listing.Entry>, PCollectionTuple> {
    private final FetchSettings settings;
    private final TupleTag<ObjectRef> objects = new TupleTag<>("ExpandListings.objects");
    private final TupleTag<FileResult> results = new TupleTag<>("ExpandListings.results");

    ReportListing(FetchSettings settings) {
      this.settings = settings;
    }

    @Override
    public PCollectionTuple expand(PCollection<Listing.Entry> entries) {
      PCollectionTuple reported =
          entries.apply(
              "Count and route",
              ParDo.of(new ReportFn(settings, objects, results))
                  .withOutputTags(objects, TupleTagList.of(results)));
      PCollection<ObjectRef> spread =
          reported
              .get(objects)
              .setCoder(Coders.OBJECT)
              .apply("Spread objects", Spread.over(settings.spreadBuckets()));
      return PCollectionTuple.of(objects, spread)
          .and(results, reported.get(results).setCoder(Coders.RESULT));
    }
  }

  /** One model's listing, or its failure: {@link Listing#of}. */
  static final class ListFn extends DoFn<ModelSource, Listing.Entry> {
    private final boolean attachListings;

    ListFn(boolean attachListings) {
      this.attachListings = attachListings;
    }

    @ProcessElement
    public void process(@Element ModelSource model, OutputReceiver<Listing.Entry> out) {
      S3Client s3 = S3Clients.acquire(model.client());
      try {
        Listing.of(s3, model, attachListings).forEach(out::output);
      } finally {
        S3Clients.release(model.client());
      }
    }
  }

  /** Counts each entry of a listing in the metrics and the run's progress, and routes it. */
  static final class ReportFn extends RuntimeFn<Listing.Entry, ObjectRef> {
    private final TupleTag<ObjectRef> objects;
    private final TupleTag<FileResult> results;

    ReportFn(FetchSettings settings, TupleTag<ObjectRef> objects, TupleTag<FileResult> results) {
      super(settings, Clients.LISTING); // it asks for no client, so it holds none
      this.objects = objects;
      this.results = results;
    }

    @ProcessElement
    public void process(@Element Listing.Entry entry, MultiOutputReceiver out) {
      ProgressListener progress = runtime().progress();
      switch (entry.kind()) {
        case OBJECT -> {
          ObjectRef object = Objects.requireNonNull(entry.object(), "an OBJECT entry has one");
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
          progress.listed(object);
          out.get(objects).output(object);
        }
        case REFUSED -> {
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
          out.get(results).output(entry.result());
        }
        case FILTERED -> {
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FILTERED).inc();
        }
        case MODEL_FAILED -> {
          PrefetchMetrics.counter(PrefetchMetrics.MODELS_FAILED).inc();
          out.get(results).output(entry.result());
        }
      }
    }
  }
}
