package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.engine.Planner;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.verify.DigestPlan;
import java.util.Objects;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.jspecify.annotations.Nullable;

/**
 * Decides, per object, whether it must be fetched and how. An object already present with the same
 * size and ETag is reported as present. Any other gets its temporary file, its {@link DigestPlan}
 * (what its ranges compute, from what the store keeps) and is cut into ranges (aligned to its
 * upload parts when the plan digests them), emitted under {@link #ranges()} and redistributed
 * across workers. Ranges a killed run already wrote and journaled are emitted as {@link
 * RangeTask#local} ranges: read back from the file for their digests, not fetched again.
 */
public final class PlanRanges extends PTransform<PCollection<ObjectRef>, PCollectionTuple> {

  private final FetchSettings settings;
  private final TupleTag<RangeTask> ranges = new TupleTag<>("PlanRanges.ranges");
  private final TupleTag<FileResult> results = new TupleTag<>("PlanRanges.results");

  private PlanRanges(FetchSettings settings) {
    this.settings = settings;
  }

  public static PlanRanges with(FetchSettings settings) {
    return new PlanRanges(settings);
  }

  /** The ranges to fetch, redistributed across workers. */
  public TupleTag<RangeTask> ranges() {
    return ranges;
  }

  /** The objects that need no fetch: present already, or refused. */
  public TupleTag<FileResult> results() {
    return results;
  }

  @Override
  public PCollectionTuple expand(PCollection<ObjectRef> objects) {
    PCollectionTuple planned =
        objects.apply(
            "Plan object",
            ParDo.of(new PlanFn(settings, ranges, results))
                .withOutputTags(ranges, TupleTagList.of(results)));
    PCollection<RangeTask> spread =
        planned
            .get(ranges)
            .setCoder(Coders.RANGE)
            .apply("Spread ranges", Spread.over(settings.spreadBuckets()));
    return PCollectionTuple.of(ranges, spread)
        .and(results, planned.get(results).setCoder(Coders.RESULT));
  }

  /** Plans each object ({@link Planner}) and routes the outcome, counting it. */
  static final class PlanFn extends RuntimeFn<ObjectRef, RangeTask> {
    private final TupleTag<RangeTask> ranges;
    private final TupleTag<FileResult> results;
    private transient @Nullable Planner planner; // null until @Setup

    PlanFn(FetchSettings settings, TupleTag<RangeTask> ranges, TupleTag<FileResult> results) {
      super(settings, Clients.LISTING);
      this.ranges = ranges;
      this.results = results;
    }

    @Override
    void started(FetchRuntime runtime, S3Clients.Lease clients) {
      planner = new Planner(runtime);
    }

    @ProcessElement
    public void process(@Element ObjectRef object, MultiOutputReceiver out) {
      Planner.Planned planned =
          Objects.requireNonNull(planner, "set in @Setup")
              .plan(clients().get(object.client()), object);
      if (planned instanceof Planner.Ranges toFetch) {
        PrefetchMetrics.counter(PrefetchMetrics.RANGES_RESUMED).inc(toFetch.resumed());
        toFetch.tasks().forEach(out.get(ranges)::output);
      } else if (planned instanceof Planner.Present present) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_PRESENT).inc();
        out.get(results).output(present.result());
      } else if (planned instanceof Planner.Refused refused) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
        out.get(results).output(refused.result());
      }
    }
  }
}
