package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.plan.RangePlanner;
import io.modelprefetch.transforms.storage.LocalFiles;
import java.io.IOException;
import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Decides, per object, whether it must be fetched and how: an object already present with the
 * same size and ETag is reported as present; any other gets its temporary file and is cut into
 * ranges, emitted under {@link #RANGES} and redistributed across workers.
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
    PCollectionTuple planned =
        objects.apply("Plan object", ParDo.of(new PlanFn(settings)).withOutputTags(RANGES, TupleTagList.of(Results.TAG)));
    PCollection<RangeTask> spread =
        planned.get(RANGES).setCoder(SerializableCoder.of(RangeTask.class))
            .apply("Spread ranges", Reshuffle.viaRandomKey());
    return PCollectionTuple.of(RANGES, spread)
        .and(Results.TAG, planned.get(Results.TAG).setCoder(SerializableCoder.of(FileResult.class)));
  }

  static final class PlanFn extends DoFn<ObjectRef, RangeTask> {
    private final FetchSettings settings;

    PlanFn(FetchSettings settings) {
      this.settings = settings;
    }

    @ProcessElement
    public void process(@Element ObjectRef object, MultiOutputReceiver out) {
      if (!settings.forceDownload() && LocalFiles.isPresent(object)) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_PRESENT).inc();
        out.get(Results.TAG).output(new FileResult(object.model(), object.uri(), object.relativePath(),
            object.sizeBytes(), object.etag(), "etag-sidecar", FileResult.Status.PRESENT, 0, 0, null));
        return;
      }
      try {
        LocalFiles.prepare(object);
      } catch (IOException e) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
        out.get(Results.TAG).output(FileResult.objectFailure(object, 0, 0,
            "cannot create " + LocalFiles.temporary(object) + ": " + describe(e)));
        return;
      }
      List<RangePlanner.Range> ranges =
          RangePlanner.plan(object.sizeBytes(), settings.partThresholdBytes(), settings.partSizeBytes());
      for (int i = 0; i < ranges.size(); i++) {
        RangePlanner.Range r = ranges.get(i);
        out.get(RANGES).output(new RangeTask(object, i, ranges.size(), r.first(), r.lastInclusive()));
      }
    }
  }

  static String describe(IOException e) {
    String kind = e.getClass().getSimpleName();
    return e.getMessage() == null ? kind : kind + " " + e.getMessage();
  }
}
