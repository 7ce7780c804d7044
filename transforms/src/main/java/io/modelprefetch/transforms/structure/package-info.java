/**
 * A model checked as a model: safetensors headers, shard indexes against the listing, configuration
 * JSON. Depends on nothing else here.
 */
package io.modelprefetch.transforms.structure;
