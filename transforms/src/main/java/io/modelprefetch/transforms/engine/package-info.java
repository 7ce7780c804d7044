/**
 * The download engine, free of Beam: listing a model, planning its ranges, transferring them with
 * adaptive concurrency and a stall watchdog, digesting in order, committing a file under its final
 * name, and the progress a run shows. One {@link io.modelprefetch.transforms.engine.FetchRuntime}
 * per JVM and settings owns the pools and clients; DoFns acquire it in {@code @Setup} and release
 * it in {@code @Teardown}, and the last release shuts them down. No mutable static state lives
 * outside the runtime.
 */
@NullMarked
package io.modelprefetch.transforms.engine;

import org.jspecify.annotations.NullMarked;
