/**
 * {@code prefetch doctor}: checks an endpoint, its certificate and addressing, credentials and a
 * listing, one line per finding.
 */
@NullMarked
package io.modelprefetch.runners.doctor;

import org.jspecify.annotations.NullMarked;
