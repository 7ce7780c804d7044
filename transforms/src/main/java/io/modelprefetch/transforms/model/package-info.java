/**
 * Values every stage passes along: a model source and its key, object references and ranges, the
 * fetch settings and the client recipe workers rebuild the S3 client from (never secrets), filters,
 * file results and retry causes. Immutable, serializable, and depending only on {@link
 * io.modelprefetch.transforms.verify} and {@link io.modelprefetch.transforms.structure} for the
 * evidence they carry.
 */
@NullMarked
package io.modelprefetch.transforms.model;

import org.jspecify.annotations.NullMarked;
