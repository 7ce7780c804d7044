package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.engine.WholeFiles;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.storage.HadoopFiles;
import java.io.IOException;
import java.util.Objects;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.jspecify.annotations.Nullable;

/**
 * Fetches objects for a Hadoop file system destination ({@link HadoopFiles}): each object whole on
 * one worker, its ranges in parallel into a node-local staging file (in a folder of the user's
 * alone under {@code java.io.tmpdir}), verified with the same evidence, refetches and structural
 * check as {@link CommitFiles} (on the staging file, before it is published), then published to the
 * destination. Objects are spread across workers by the listing step's redistribution.
 */
public final class FetchWholeFiles
    extends PTransform<PCollection<ObjectRef>, PCollection<FileResult>> {

  private final FetchSettings settings;

  private FetchWholeFiles(FetchSettings settings) {
    this.settings = settings;
  }

  public static FetchWholeFiles with(FetchSettings settings) {
    return new FetchWholeFiles(settings);
  }

  @Override
  public PCollection<FileResult> expand(PCollection<ObjectRef> objects) {
    return objects
        .apply("Fetch, verify and publish", ParDo.of(new WholeFileFn(settings)))
        .setCoder(Coders.RESULT);
  }

  /** Fetches, verifies and publishes each object ({@link WholeFiles}), counting the outcome. */
  static final class WholeFileFn extends RuntimeFn<ObjectRef, FileResult> {
    private transient @Nullable WholeFiles files; // null until @Setup and after @Teardown

    WholeFileFn(FetchSettings settings) {
      super(settings, Clients.FETCH);
    }

    @Override
    void started(FetchRuntime runtime, S3Clients.Lease clients) {
      files = new WholeFiles(runtime, clients::get);
    }

    @ProcessElement
    public void process(@Element ObjectRef object, OutputReceiver<FileResult> out)
        throws IOException, InterruptedException {
      WholeFiles.Fetched fetched = Objects.requireNonNull(files, "set in @Setup").fetch(object);
      if (fetched instanceof WholeFiles.Present present) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_PRESENT).inc();
        out.output(present.result());
      } else if (fetched instanceof WholeFiles.Done done) {
        done.ranges().forEach(PrefetchMetrics::countRange);
        PrefetchMetrics.counted(done.outcome());
        out.output(done.result());
      }
    }

    @Override
    void stopping() throws IOException {
      if (files != null) {
        files.close();
        files = null;
      }
    }
  }
}
