package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.verify.Etags;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Gathers the ranges of each object, verifies the whole file and moves it to its final name.
 *
 * <p>Evidence, strongest first: the MD5 of the content against an ETag without {@code -N} suffix
 * ({@code md5}); otherwise the size alone ({@code size}, weak). A file that fails is removed and
 * reported with the expected and actual values; nothing appears under its final name.
 */
public final class CommitFiles extends PTransform<PCollection<FetchedRange>, PCollection<FileResult>> {

  public static CommitFiles create() {
    return new CommitFiles();
  }

  @Override
  public PCollection<FileResult> expand(PCollection<FetchedRange> ranges) {
    return ranges
        .apply("Key by file", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(FetchedRange.class)))
            .via(r -> KV.of(r.task().object().destinationKey(), r)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(FetchedRange.class)))
        .apply("Gather ranges", GroupByKey.create())
        .apply("Verify and rename", ParDo.of(new CommitFn()))
        .setCoder(SerializableCoder.of(FileResult.class));
  }

  static final class CommitFn extends DoFn<KV<String, Iterable<FetchedRange>>, FileResult> {

    @ProcessElement
    public void process(@Element KV<String, Iterable<FetchedRange>> file, OutputReceiver<FileResult> out) {
      // A retried bundle may deliver a range twice; keep one per index.
      TreeMap<Integer, FetchedRange> byIndex = new TreeMap<>();
      for (FetchedRange range : file.getValue()) {
        byIndex.merge(range.task().index(), range, (a, b) -> a.ok() ? a : b);
      }
      List<FetchedRange> ranges = new ArrayList<>(byIndex.values());
      ObjectRef object = ranges.get(0).task().object();
      long bytesFetched = ranges.stream().mapToLong(FetchedRange::bytesFetched).sum();
      int retries = ranges.stream().mapToInt(FetchedRange::retries).sum();
      FileResult result = commit(object, ranges, bytesFetched, retries);
      if (result.status() == FileResult.Status.FAILED) {
        LocalFiles.discard(object);
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
      } else {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_VERIFIED).inc();
      }
      out.output(result);
    }

    private static FileResult commit(ObjectRef object, List<FetchedRange> ranges, long bytesFetched, int retries) {
      int expectedCount = ranges.get(0).task().count();
      var failed = ranges.stream().filter(r -> !r.ok()).min(Comparator.comparingInt(r -> r.task().index()));
      if (failed.isPresent()) {
        return FileResult.objectFailure(object, bytesFetched, retries, failed.get().error());
      }
      if (ranges.size() != expectedCount) {
        return FileResult.objectFailure(object, bytesFetched, retries,
            "only " + ranges.size() + " of " + expectedCount + " ranges arrived");
      }
      try {
        long size = LocalFiles.temporarySize(object);
        if (size != object.sizeBytes()) {
          return FileResult.objectFailure(object, bytesFetched, retries,
              "size mismatch: expected " + object.sizeBytes() + " bytes, got " + size);
        }
        String verifiedBy = "size";
        if (Etags.isPlainMd5(object.etag())) {
          String actual = expectedCount == 1 ? ranges.get(0).md5Hex() : LocalFiles.md5OfTemporary(object);
          String expected = Etags.normalize(object.etag());
          if (!expected.equals(actual)) {
            return FileResult.objectFailure(object, bytesFetched, retries,
                "md5 mismatch: expected " + expected + " (ETag), got " + actual);
          }
          verifiedBy = "md5";
        }
        LocalFiles.commit(object);
        return new FileResult(object.model(), object.uri(), object.relativePath(), object.sizeBytes(),
            object.etag(), verifiedBy, FileResult.Status.VERIFIED, bytesFetched, retries, null);
      } catch (IOException e) {
        return FileResult.objectFailure(object, bytesFetched, retries,
            "cannot commit " + LocalFiles.target(object) + ": " + PlanRanges.describe(e));
      }
    }
  }
}
