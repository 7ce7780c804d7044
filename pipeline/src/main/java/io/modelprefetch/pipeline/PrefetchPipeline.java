package io.modelprefetch.pipeline;

import io.modelprefetch.transforms.CommitFiles;
import io.modelprefetch.transforms.ExpandListings;
import io.modelprefetch.transforms.FetchRanges;
import io.modelprefetch.transforms.FetchWholeFiles;
import io.modelprefetch.transforms.MarkComplete;
import io.modelprefetch.transforms.PlanRanges;
import io.modelprefetch.transforms.WriteReport;
import io.modelprefetch.transforms.engine.Listing;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.storage.HadoopFiles;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;

/**
 * The prefetch graph: read manifest → expand listings → plan ranges → fetch ranges (committing the
 * files fetched in one bundle) → commit gathered files → report (and each complete model's marker).
 * Listings and ranges are redistributed after each fan-out.
 */
public final class PrefetchPipeline {

  private PrefetchPipeline() {}

  /**
   * Adds the prefetch of {@code models} to {@code pipeline}, configured by its {@link
   * PrefetchOptions}; each model is listed by the pipeline.
   *
   * @param notes endpoint rewrites to show in the report
   */
  public static Pipeline build(Pipeline pipeline, List<ModelSource> models, List<String> notes) {
    return build(pipeline, models, notes, Map.of());
  }

  /**
   * As {@link #build(Pipeline, List, List)}, with the listings of some models already made (by the
   * command line, for its space check: {@link Listing#of(ModelSource, Listing.Recording,
   * boolean)}): they are the pipeline's input for those models, which are not listed again.
   */
  public static Pipeline build(
      Pipeline pipeline,
      List<ModelSource> models,
      List<String> notes,
      Map<ModelSource, List<Listing.Entry>> listings) {
    PrefetchOptions options = pipeline.getOptions().as(PrefetchOptions.class);
    FetchSettings settings = PrefetchOptions.fetchSettings(options);

    Listed listed = listings(pipeline, models, listings, settings);
    PCollection<FileResult> outcomes;
    if (models.stream().anyMatch(m -> HadoopFiles.isUri(m.modelDir()))) {
      // A Hadoop file system cannot be written at random offsets: whole files per worker.
      PCollection<FileResult> published =
          listed.objects().apply("Fetch whole files", FetchWholeFiles.with(settings));
      outcomes =
          PCollectionList.of(listed.results())
              .and(published)
              .apply("Gather outcomes", Flatten.pCollections());
    } else {
      PlanRanges plan = PlanRanges.with(settings);
      PCollectionTuple planned = listed.objects().apply("Plan ranges", plan);
      // Files are committed in two named steps, the same way: a file whose ranges all came in one
      // bundle by the fetch step ("Fetch ranges/Ranged GET and commit files fetched in one
      // bundle"), with no shuffle and while the others download; the others' ranges (spread over
      // workers, or partly resumed) are gathered by file and committed after it.
      FetchRanges fetch = FetchRanges.with(settings);
      PCollectionTuple fetched = planned.get(plan.ranges()).apply("Fetch ranges", fetch);
      PCollection<FileResult> committed =
          fetched.get(fetch.fetched()).apply("Commit gathered files", CommitFiles.with(settings));
      outcomes =
          PCollectionList.of(listed.results())
              .and(planned.get(plan.results()))
              .and(fetched.get(fetch.committed()))
              .and(committed)
              .apply("Gather outcomes", Flatten.pCollections());
    }
    outcomes.apply("Mark complete", MarkComplete.create());
    String reportPath = options.getReportPath();
    if (reportPath != null && !reportPath.isEmpty()) {
      List<ModelKey> keys = models.stream().map(ModelKey::of).toList();
      outcomes.apply(
          "Report",
          WriteReport.to(
              new WriteReport.Spec(reportPath, System.currentTimeMillis(), keys, notes)));
    }
    return pipeline;
  }

  /** The objects the listings found, and the failures and refusals they reported. */
  private record Listed(PCollection<ObjectRef> objects, PCollection<FileResult> results) {}

  /** The models' listings: made by the pipeline, or given, or both. */
  private static Listed listings(
      Pipeline pipeline,
      List<ModelSource> models,
      Map<ModelSource, List<Listing.Entry>> given,
      FetchSettings settings) {
    List<ModelSource> toList = models.stream().filter(m -> !given.containsKey(m)).toList();
    List<List<Listing.Entry>> entries =
        models.stream().filter(given::containsKey).map(given::get).toList();
    Listed listed = null;
    if (!toList.isEmpty()) {
      ExpandListings expand = ExpandListings.with(settings);
      PCollectionTuple out =
          pipeline
              .apply(
                  "Read manifest",
                  Create.of(toList).withCoder(SerializableCoder.of(ModelSource.class)))
              .apply("Expand listings", expand);
      listed = new Listed(out.get(expand.objects()), out.get(expand.results()));
    }
    if (entries.isEmpty() && listed != null) {
      return listed;
    }
    ExpandListings.Listed replay = ExpandListings.listed(settings, entries);
    PCollectionTuple out = pipeline.apply("Listings made before the run", replay);
    Listed replayed = new Listed(out.get(replay.objects()), out.get(replay.results()));
    if (listed == null) {
      return replayed;
    }
    return new Listed(
        PCollectionList.of(listed.objects())
            .and(replayed.objects())
            .apply("Join listed objects", Flatten.pCollections()),
        PCollectionList.of(listed.results())
            .and(replayed.results())
            .apply("Join listing results", Flatten.pCollections()));
  }
}
