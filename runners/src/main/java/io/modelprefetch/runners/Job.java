package io.modelprefetch.runners;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.ModelSource;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A fully resolved prefetch: what to fetch, how, and what to tell Beam.
 *
 * @param models the models, each with its destination and client recipe
 * @param fetch the fetch settings
 * @param notes endpoint rewrites, in plain words
 * @param reportPath where the user wants the JSON report, or null
 * @param pipelineArgs {@code --name=value} options passed through to Beam
 */
record Job(
    List<ModelSource> models,
    FetchSettings fetch,
    List<String> notes,
    @Nullable String reportPath,
    List<String> pipelineArgs) {}
