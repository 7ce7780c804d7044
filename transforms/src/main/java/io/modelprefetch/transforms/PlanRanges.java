package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.engine.Planner;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.verify.DigestPlan;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Decides, per object, whether it must be fetched and how. An object already present with the
 * same size and ETag is reported as present. Any other gets its temporary file, its {@link
 * DigestPlan} (what its ranges compute, from what the store keeps) and is cut into ranges (aligned
 * to its upload parts when the plan digests them), emitted under {@link #RANGES} and redistributed
 * across workers. Ranges a killed run already wrote and journaled are emitted as {@link
 * RangeTask#local} ranges: read back from the file for their digests, not fetched again.
 */
public final class PlanRanges extends PTransform<PCollection<ObjectRef>, PCollectionTuple> {

  public static final TupleTag<RangeTask> RANGES = new TupleTag<>("ranges") {};

  private final FetchSettings settings;

  private PlanRanges(FetchSettings settings) {
    this.settings = settings;
  }

  public static PlanRanges with(FetchSettings settings) {
    return new PlanRanges(settings);
  }

  @Override
  public PCollectionTuple expand(PCollection<ObjectRef> objects) {
    PCollectionTuple planned = objects.apply("Plan object",
        ParDo.of(new PlanFn(settings)).withOutputTags(RANGES, TupleTagList.of(Results.TAG)));
    PCollection<RangeTask> spread =
        planned.get(RANGES).setCoder(Coders.RANGE)
            .apply("Spread ranges", Spread.over(settings.spreadBuckets()));
    return PCollectionTuple.of(RANGES, spread)
        .and(Results.TAG, planned.get(Results.TAG).setCoder(Coders.RESULT));
  }

  /** Plans each object ({@link Planner}) and routes the outcome, counting it. */
  static final class PlanFn extends DoFn<ObjectRef, RangeTask> {
    private final FetchSettings settings;
    private transient S3Clients.Lease clients;
    private transient FetchRuntime runtime;
    private transient Planner planner;

    PlanFn(FetchSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      clients = S3Clients.Lease.forListing();
      runtime = FetchRuntime.acquire(settings);
      planner = new Planner(runtime);
    }

    @ProcessElement
    public void process(@Element ObjectRef object, MultiOutputReceiver out) {
      Planner.Planned planned = planner.plan(clients.get(object.client()), object);
      if (planned instanceof Planner.Ranges ranges) {
        PrefetchMetrics.counter(PrefetchMetrics.RANGES_RESUMED).inc(ranges.resumed());
        ranges.tasks().forEach(out.get(RANGES)::output);
      } else if (planned instanceof Planner.Present present) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_PRESENT).inc();
        out.get(Results.TAG).output(present.result());
      } else if (planned instanceof Planner.Refused refused) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
        out.get(Results.TAG).output(refused.result());
      }
    }

    @Teardown
    public void teardown() {
      if (clients != null) {
        clients.releaseAll();
        clients = null;
      }
      if (runtime != null) {
        runtime.release();
        runtime = null;
      }
    }
  }
}
