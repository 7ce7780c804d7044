package io.modelprefetch.pipeline;

import io.modelprefetch.transforms.CommitFiles;
import io.modelprefetch.transforms.ExpandListings;
import io.modelprefetch.transforms.FetchRanges;
import io.modelprefetch.transforms.FetchWholeFiles;
import io.modelprefetch.transforms.MarkComplete;
import io.modelprefetch.transforms.PlanRanges;
import io.modelprefetch.transforms.Results;
import io.modelprefetch.transforms.WriteReport;
import io.modelprefetch.transforms.engine.Listing;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
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
 * The prefetch graph: read manifest → expand listings → plan ranges → fetch ranges → verify and
 * commit → report (and each complete model's marker). Listings and ranges are redistributed after
 * each fan-out.
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
   * command line, for its space check: {@link Listing#of(ModelSource, Listing.Recording, boolean)}):
   * they are the pipeline's input for those models, which are not listed again.
   */
  public static Pipeline build(Pipeline pipeline, List<ModelSource> models, List<String> notes,
      Map<ModelSource, List<Listing.Entry>> listings) {
    PrefetchOptions options = pipeline.getOptions().as(PrefetchOptions.class);
    FetchSettings settings = PrefetchOptions.fetchSettings(options);

    PCollectionTuple listed = listings(pipeline, models, listings, settings);
    PCollection<FileResult> outcomes;
    if (models.stream().anyMatch(m -> HadoopFiles.isUri(m.modelDir()))) {
      // A Hadoop file system cannot be written at random offsets: whole files per worker.
      PCollection<FileResult> published =
          listed.get(ExpandListings.OBJECTS).apply("Fetch whole files", FetchWholeFiles.with(settings));
      outcomes = PCollectionList.of(listed.get(Results.TAG)).and(published)
          .apply("Gather outcomes", Flatten.pCollections());
    } else {
      PCollectionTuple planned = listed.get(ExpandListings.OBJECTS).apply("Plan ranges", PlanRanges.with(settings));
      // Files whose ranges all came in one bundle are committed by the fetch step; the others'
      // ranges (spread over workers) are gathered and committed after it.
      PCollectionTuple fetched = planned.get(PlanRanges.RANGES).apply("Fetch ranges", FetchRanges.with(settings));
      PCollection<FileResult> committed =
          fetched.get(FetchRanges.RANGES).apply("Verify and commit", CommitFiles.with(settings));
      outcomes = PCollectionList.of(listed.get(Results.TAG)).and(planned.get(Results.TAG))
          .and(fetched.get(FetchRanges.FILES)).and(committed)
          .apply("Gather outcomes", Flatten.pCollections());
    }
    outcomes.apply("Mark complete", MarkComplete.create());
    String reportPath = options.getReportPath();
    if (reportPath != null && !reportPath.isEmpty()) {
      List<ModelKey> keys = models.stream().map(ModelKey::of).toList();
      outcomes.apply("Report", WriteReport.to(new WriteReport.Spec(reportPath, System.currentTimeMillis(), keys, notes)));
    }
    return pipeline;
  }

  /** The models' listings: made by the pipeline, or given, or both, as one tuple. */
  private static PCollectionTuple listings(Pipeline pipeline, List<ModelSource> models,
      Map<ModelSource, List<Listing.Entry>> given, FetchSettings settings) {
    List<ModelSource> toList = models.stream().filter(m -> !given.containsKey(m)).toList();
    List<Listing.Entry> entries = models.stream().filter(given::containsKey).flatMap(m -> given.get(m).stream())
        .toList();
    PCollectionTuple listed = null;
    if (!toList.isEmpty()) {
      listed = pipeline.apply("Read manifest", Create.of(toList).withCoder(SerializableCoder.of(ModelSource.class)))
          .apply("Expand listings", ExpandListings.with(settings));
    }
    if (entries.isEmpty() && listed != null) {
      return listed;
    }
    PCollectionTuple replayed = pipeline.apply("Listings made before the run", ExpandListings.listed(settings, entries));
    if (listed == null) {
      return replayed;
    }
    return PCollectionTuple
        .of(ExpandListings.OBJECTS, PCollectionList.of(listed.get(ExpandListings.OBJECTS))
            .and(replayed.get(ExpandListings.OBJECTS)).apply("Join listed objects", Flatten.pCollections()))
        .and(Results.TAG, PCollectionList.of(listed.get(Results.TAG)).and(replayed.get(Results.TAG))
            .apply("Join listing results", Flatten.pCollections()));
  }
}
