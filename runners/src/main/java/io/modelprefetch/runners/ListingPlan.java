package io.modelprefetch.runners;

import io.modelprefetch.transforms.engine.Listing;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.storage.SafeFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * What a job would fetch, listed in this JVM with the pipeline's own listing code ({@link
 * Listing#list}): per model, each object with whether it is already in place. Reads the
 * destination, writes nothing. Used by {@code --dry-run} and the space check.
 */
record ListingPlan(List<ModelPlan> models) {

  /** One listed object and whether the local copy already matches it (size and ETag). */
  record Entry(ObjectRef object, boolean present) {}

  /**
   * One model's listing.
   *
   * @param error why the listing yields nothing to fetch (failed or empty), or null
   * @param refused keys refused because they would leave the model folder
   * @param listing the listing as made, for a pipeline in this JVM to reuse; null when it failed
   */
  record ModelPlan(
      ModelSource model,
      List<Entry> entries,
      List<FileResult> refused,
      @Nullable String error,
      Listing.@Nullable Recording listing) {

    long bytes() {
      return entries.stream().mapToLong(e -> e.object().sizeBytes()).sum();
    }

    long bytesToFetch() {
      return entries.stream()
          .filter(e -> !e.present())
          .mapToLong(e -> e.object().sizeBytes())
          .sum();
    }

    boolean ok() {
      return error == null && refused.isEmpty();
    }
  }

  /** Lists every model of {@code job}; with {@code forceDownload} nothing counts as present. */
  static ListingPlan of(Job job) {
    List<ModelPlan> models = new ArrayList<>();
    for (ModelSource model : job.models()) {
      models.add(list(model, job.fetch().forceDownload()));
    }
    return new ListingPlan(List.copyOf(models));
  }

  private static ModelPlan list(ModelSource model, boolean force) {
    String refusal =
        HadoopFiles.isUri(model.modelDir())
            ? null
            : SafeFolder.modelRefusal(Path.of(model.modelDir()));
    if (refusal != null) { // nothing of it is listed: the pipeline refuses it the same way
      return new ModelPlan(model, List.of(), List.of(), "refused: " + refusal, null);
    }
    List<Entry> entries = new ArrayList<>();
    List<FileResult> refused = new ArrayList<>();
    String[] error = {null};
    Listing.Recording listing =
        new Listing.Recording(
            new Listing.Sink() {
              @Override
              public void object(ObjectRef object) {
                entries.add(new Entry(object, !force && LocalFiles.isPresent(object)));
              }

              @Override
              public void refused(FileResult refusal) {
                refused.add(refusal);
              }

              @Override
              public void filtered(String relativePath) {}

              @Override
              public void modelFailed(FileResult failure) {
                error[0] = failure.error();
              }
            });
    var s3 = S3Clients.acquire(model.client());
    try {
      Listing.list(s3, model, listing);
    } catch (SdkException | IllegalStateException e) {
      error[0] = "listing failed: " + S3Errors.describe(e, model.uri());
      listing = null; // the pipeline lists again and reports the failure itself
    } finally {
      S3Clients.release(model.client());
    }
    entries.sort(Comparator.comparing(e -> e.object().relativePath()));
    return new ModelPlan(model, List.copyOf(entries), List.copyOf(refused), error[0], listing);
  }

  long objects() {
    return models.stream().mapToLong(m -> m.entries().size()).sum();
  }

  long bytes() {
    return models.stream().mapToLong(ModelPlan::bytes).sum();
  }

  long bytesToFetch() {
    return models.stream().mapToLong(ModelPlan::bytesToFetch).sum();
  }

  boolean ok() {
    return models.stream().allMatch(ModelPlan::ok);
  }

  /** Whether every model listed fine and each of its objects is in place: nothing to fetch. */
  boolean allPresent() {
    return ok()
        && models.stream()
            .allMatch(m -> !m.entries().isEmpty() && m.entries().stream().allMatch(Entry::present));
  }
}
