package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.report.Report;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/** Gathers every outcome into one JSON report written at {@code path}. */
public final class WriteReport extends PTransform<PCollection<FileResult>, PDone> {

  /** What the report needs besides the outcomes. */
  public record Spec(String path, long startedAtMillis, List<ModelKey> models, List<String> notes)
      implements Serializable {
    public Spec {
      models = List.copyOf(models);
      notes = List.copyOf(notes);
    }
  }

  private final Spec spec;

  private WriteReport(Spec spec) {
    this.spec = spec;
  }

  public static WriteReport to(Spec spec) {
    return new WriteReport(spec);
  }

  @Override
  public PDone expand(PCollection<FileResult> results) {
    results
        .apply("Gather outcomes", Combine.globally(new ToList()))
        .setCoder(ListCoder.of(Coders.RESULT))
        .apply("Write JSON", ParDo.of(new WriteFn(spec)));
    return PDone.in(results.getPipeline());
  }

  static final class ToList
      extends Combine.CombineFn<FileResult, List<FileResult>, List<FileResult>> {
    @Override
    public List<FileResult> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<FileResult> addInput(List<FileResult> acc, FileResult input) {
      acc.add(input);
      return acc;
    }

    @Override
    public List<FileResult> mergeAccumulators(Iterable<List<FileResult>> accs) {
      List<FileResult> merged = new ArrayList<>();
      accs.forEach(merged::addAll);
      return merged;
    }

    @Override
    public List<FileResult> extractOutput(List<FileResult> acc) {
      return acc;
    }
  }

  static final class WriteFn extends DoFn<List<FileResult>, Void> {
    private final Spec spec;

    WriteFn(Spec spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element List<FileResult> results) throws IOException {
      var report =
          Report.build(
              results,
              spec.models(),
              Instant.ofEpochMilli(spec.startedAtMillis()),
              Instant.now(),
              spec.notes());
      Report.write(report, Path.of(spec.path()));
    }
  }
}
