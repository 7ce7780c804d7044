/**
 * Pure planning: where a key lands under the model folder, and how an object splits into ranges
 * aligned to its upload parts.
 */
@NullMarked
package io.modelprefetch.transforms.plan;

import org.jspecify.annotations.NullMarked;
