/**
 * The Beam transforms of a prefetch: list the models ({@link
 * io.modelprefetch.transforms.ExpandListings}), plan ranges ({@link
 * io.modelprefetch.transforms.PlanRanges}), fetch whole small files and ranges ({@link
 * io.modelprefetch.transforms.FetchWholeFiles}, {@link io.modelprefetch.transforms.FetchRanges}),
 * commit them ({@link io.modelprefetch.transforms.CommitFiles}), mark complete models ({@link
 * io.modelprefetch.transforms.MarkComplete}) and write the report ({@link
 * io.modelprefetch.transforms.WriteReport}). Their DoFns are shells: each calls one method of the
 * Beam-free engine ({@link io.modelprefetch.transforms.engine}) and maps its result to outputs and
 * counters. Only this package depends on Beam.
 */
@NullMarked
package io.modelprefetch.transforms;

import org.jspecify.annotations.NullMarked;
