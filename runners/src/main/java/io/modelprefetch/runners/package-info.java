/**
 * The command line: {@code run} (the default), {@code demo}, {@code doctor}, {@code status};
 * resolving flags, extra-config, environment and files into one job, choosing the runner (Direct or
 * Flink), the progress display, the metrics file and the exit status.
 */
@NullMarked
package io.modelprefetch.runners;

import org.jspecify.annotations.NullMarked;
