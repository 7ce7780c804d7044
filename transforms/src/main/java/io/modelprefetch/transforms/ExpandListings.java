package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.engine.Listing;
import io.modelprefetch.transforms.engine.ProgressListener;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.s3.S3Clients;
import java.util.List;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
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
 * filters applied) and reports the listing: the objects to fetch under {@link #OBJECTS},
 * redistributed across workers, and under {@link Results#TAG} a failure for each model whose
 * listing failed or found nothing, and for each key refused. With {@link
 * FetchSettings#structureCheck}, a shard index carries its model's whole listing, which its check
 * reads; no other object does.
 *
 * <p>{@link #with} lists in the pipeline; {@link #listed} reports a listing the command line made
 * just before the run (for its space check), given as the pipeline's input, so the store is not
 * listed twice.
 */
public final class ExpandListings {

  public static final TupleTag<ObjectRef> OBJECTS = new TupleTag<>("objects") {};

  private ExpandListings() {}

  /** Lists each model of its input. */
  public static PTransform<PCollection<ModelSource>, PCollectionTuple> with(FetchSettings settings) {
    return new PTransform<>() {
      @Override
      public PCollectionTuple expand(PCollection<ModelSource> models) {
        return models.apply("List objects", ParDo.of(new ListFn(settings.structureCheck())))
            .setCoder(Coders.ENTRY)
            .apply("Report listing", report(settings));
      }
    };
  }

  /** Reports {@code entries}, the listings of the run's models made before it ({@link Listing#of}). */
  public static PTransform<PBegin, PCollectionTuple> listed(FetchSettings settings, List<Listing.Entry> entries) {
    return new PTransform<>() {
      @Override
      public PCollectionTuple expand(PBegin begin) {
        return begin.apply("Listed objects", Create.of(entries).withCoder(Coders.ENTRY))
            .apply("Report listing", report(settings));
      }
    };
  }

  private static PTransform<PCollection<Listing.Entry>, PCollectionTuple> report(FetchSettings settings) {
    return new PTransform<>() {
      @Override
      public PCollectionTuple expand(PCollection<Listing.Entry> entries) {
        PCollectionTuple reported = entries.apply("Count and route",
            ParDo.of(new ReportFn(settings)).withOutputTags(OBJECTS, TupleTagList.of(Results.TAG)));
        PCollection<ObjectRef> spread = reported.get(OBJECTS).setCoder(Coders.OBJECT)
            .apply("Spread objects", Spread.over(settings.spreadBuckets()));
        return PCollectionTuple.of(OBJECTS, spread).and(Results.TAG, reported.get(Results.TAG).setCoder(Coders.RESULT));
      }
    };
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
  static final class ReportFn extends DoFn<Listing.Entry, ObjectRef> {
    private final FetchSettings settings;
    private transient FetchRuntime runtime;

    ReportFn(FetchSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      runtime = FetchRuntime.acquire(settings);
    }

    @ProcessElement
    public void process(@Element Listing.Entry entry, MultiOutputReceiver out) {
      ProgressListener progress = runtime.progress();
      switch (entry.kind()) {
        case OBJECT -> {
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
          progress.listed(entry.object());
          out.get(OBJECTS).output(entry.object());
        }
        case REFUSED -> {
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
          out.get(Results.TAG).output(entry.result());
        }
        case FILTERED -> {
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_LISTED).inc();
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FILTERED).inc();
        }
        case MODEL_FAILED -> {
          PrefetchMetrics.counter(PrefetchMetrics.MODELS_FAILED).inc();
          out.get(Results.TAG).output(entry.result());
        }
      }
    }

    @Teardown
    public void teardown() {
      if (runtime != null) {
        runtime.release();
        runtime = null;
      }
    }
  }
}
