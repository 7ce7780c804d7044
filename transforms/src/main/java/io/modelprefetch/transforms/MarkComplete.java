package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.storage.CompletionMarker;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes each model's completion marker ({@code <model>/.prefetch/complete.json}) once every one of
 * its files is verified or present and its listing succeeded; last, after every file.
 */
public final class MarkComplete extends PTransform<PCollection<FileResult>, PDone> {

  public static MarkComplete create() {
    return new MarkComplete();
  }

  @Override
  public PDone expand(PCollection<FileResult> outcomes) {
    outcomes
        .apply(
            "Key by model",
            MapElements.into(
                    TypeDescriptors.kvs(
                        TypeDescriptors.strings(), TypeDescriptor.of(FileResult.class)))
                .via(r -> KV.of(r.model().modelDir(), r)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Coders.RESULT))
        .apply("Gather model", GroupByKey.create())
        .apply("Write marker", ParDo.of(new MarkFn()));
    return PDone.in(outcomes.getPipeline());
  }

  static final class MarkFn extends DoFn<KV<String, Iterable<FileResult>>, Void> {
    @ProcessElement
    public void process(@Element KV<String, Iterable<FileResult>> model) throws IOException {
      List<FileResult> files = new ArrayList<>();
      ModelKey key = null;
      for (FileResult r : model.getValue()) {
        if (r.isModelLevel() || r.status() == FileResult.Status.FAILED) {
          return;
        }
        key = r.model();
        files.add(r);
      }
      if (key != null) {
        CompletionMarker.write(key, files, Instant.now());
      }
    }
  }
}
