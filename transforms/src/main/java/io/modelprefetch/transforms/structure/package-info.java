/**
 * A model checked as a model: safetensors headers, shard indexes against the listing, configuration
 * JSON. Depends on nothing else here.
 */
@NullMarked
package io.modelprefetch.transforms.structure;

import org.jspecify.annotations.NullMarked;
