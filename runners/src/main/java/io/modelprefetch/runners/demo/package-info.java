/** The embedded demo: an in-process S3Proxy on 127.0.0.1 seeded with a small valid model. */
@NullMarked
package io.modelprefetch.runners.demo;

import org.jspecify.annotations.NullMarked;
