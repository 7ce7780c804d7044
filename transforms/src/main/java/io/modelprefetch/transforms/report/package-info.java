/**
 * The JSON report a run writes: per model and per file outcome, evidence and totals, in the schema
 * of {@code docs/report-schema.json}.
 */
@NullMarked
package io.modelprefetch.transforms.report;

import org.jspecify.annotations.NullMarked;
