/**
 * The manifest of model URIs a run reads (JSON or YAML, typed records); depends on nothing else
 * here.
 */
@NullMarked
package io.modelprefetch.transforms.manifest;

import org.jspecify.annotations.NullMarked;
