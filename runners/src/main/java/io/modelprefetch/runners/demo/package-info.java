/** The embedded demo: an in-process S3Proxy on 127.0.0.1 seeded with a small valid model. */
package io.modelprefetch.runners.demo;
