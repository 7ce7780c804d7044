/**
 * The pipeline a run builds: {@link io.modelprefetch.pipeline.PrefetchPipeline} wires the
 * transforms from the models (and, on a local run, their listings as input), and {@link
 * io.modelprefetch.pipeline.PrefetchOptions} carries what a runner needs to rebuild the fetch
 * settings on its workers.
 */
@NullMarked
package io.modelprefetch.pipeline;

import org.jspecify.annotations.NullMarked;
