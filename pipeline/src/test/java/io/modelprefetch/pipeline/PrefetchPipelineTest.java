package io.modelprefetch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.transforms.engine.Listing;
import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.Filters;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectUri;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.junit.jupiter.api.Test;

/** The graph reads like the data flow and spreads work after each fan-out. */
class PrefetchPipelineTest {

  static final ModelSource MODEL =
      new ModelSource(
          "s3://bkt/m/",
          ObjectUri.parse("s3://bkt/m/"),
          "m",
          "/tmp/m",
          Filters.NONE,
          new ClientRecipe(
              "http://127.0.0.1:9",
              "us-east-1",
              true,
              true,
              CredentialsSource.of(CredentialsSource.Type.ANONYMOUS),
              null,
              16));

  @Test
  void topLevelStepsFollowTheDataFlow() {
    PrefetchOptions options = PipelineOptionsFactory.create().as(PrefetchOptions.class);
    options.setReportPath("/tmp/report.json");
    Pipeline pipeline = PrefetchPipeline.build(Pipeline.create(options), List.of(MODEL), List.of());

    List<String> reshuffles = new ArrayList<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (node.getTransform() instanceof Reshuffle) {
              reshuffles.add(node.getFullName());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });

    assertEquals(
        List.of(
            "Read manifest",
            "Expand listings",
            "Plan ranges",
            "Fetch ranges",
            "Commit gathered files",
            "Gather outcomes",
            "Mark complete",
            "Report"),
        topLevelSteps(pipeline));
    assertEquals(
        List.of(
            "Expand listings/Report listing/Spread objects/Reshuffle",
            "Plan ranges/Spread ranges/Reshuffle"),
        reshuffles);
  }

  @Test
  void listingsMadeBeforeTheRunAreItsInputAndAreNotListedAgain() {
    PrefetchOptions options = PipelineOptionsFactory.create().as(PrefetchOptions.class);
    List<Listing.Entry> listed =
        List.of(new Listing.Entry(Listing.Entry.Kind.FILTERED, null, null, "README.md"));
    Pipeline pipeline =
        PrefetchPipeline.build(
            Pipeline.create(options), List.of(MODEL), List.of(), Map.of(MODEL, listed));

    assertEquals(
        List.of(
            "Listings made before the run",
            "Plan ranges",
            "Fetch ranges",
            "Commit gathered files",
            "Gather outcomes",
            "Mark complete"),
        topLevelSteps(pipeline));
  }

  @Test
  void filesAreCommittedByTheFetchStepWhenInOneBundleAndOtherwiseAfterGathering() {
    PrefetchOptions options = PipelineOptionsFactory.create().as(PrefetchOptions.class);
    Pipeline pipeline = PrefetchPipeline.build(Pipeline.create(options), List.of(MODEL), List.of());

    assertEquals(
        List.of("Fetch ranges/Ranged GET and commit files fetched in one bundle"),
        steps(pipeline, "Fetch ranges"));
    assertEquals(
        List.of(
            "Commit gathered files/Key by file",
            "Commit gathered files/Gather ranges",
            "Commit gathered files/Verify and rename"),
        steps(pipeline, "Commit gathered files"));
  }

  private static List<String> topLevelSteps(Pipeline pipeline) {
    return steps(pipeline, null);
  }

  /** The full names of the steps directly inside {@code parent}, or at the top level for null. */
  private static List<String> steps(Pipeline pipeline, String parent) {
    List<String> steps = new ArrayList<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (!node.isRootNode() && isIn(node)) {
              steps.add(node.getFullName());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            if (isIn(node)) {
              steps.add(node.getFullName());
            }
          }

          private boolean isIn(TransformHierarchy.Node node) {
            TransformHierarchy.Node enclosing = node.getEnclosingNode();
            return parent == null
                ? enclosing.isRootNode()
                : !enclosing.isRootNode() && enclosing.getFullName().equals(parent);
          }
        });
    return steps;
  }

  @Test
  void optionsCarryTheFetchSettingsWithDefaults() {
    PrefetchOptions options =
        PipelineOptionsFactory.fromArgs("--numThreads=8", "--forceDownload=true")
            .as(PrefetchOptions.class);

    assertEquals(
        FetchSettings.defaults().withMaxInFlightRanges(8).withForceDownload(true),
        PrefetchOptions.fetchSettings(options));
  }

  @Test
  void directIoIsOnUnlessTheOptionTurnsItOff() {
    PrefetchOptions off =
        PipelineOptionsFactory.fromArgs("--directIo=false").as(PrefetchOptions.class);

    assertEquals(
        true,
        PrefetchOptions.fetchSettings(PipelineOptionsFactory.create().as(PrefetchOptions.class))
            .directIo());
    assertEquals(FetchSettings.defaults().withDirectIo(false), PrefetchOptions.fetchSettings(off));
  }

  @Test
  void structureCheckIsOnUnlessTheOptionTurnsItOff() {
    PrefetchOptions off =
        PipelineOptionsFactory.fromArgs("--structureCheck=false").as(PrefetchOptions.class);

    assertEquals(
        true,
        PrefetchOptions.fetchSettings(PipelineOptionsFactory.create().as(PrefetchOptions.class))
            .structureCheck());
    assertEquals(
        FetchSettings.defaults().withStructureCheck(false), PrefetchOptions.fetchSettings(off));
  }
}
