package io.modelprefetch.transforms;

import org.apache.beam.sdk.transforms.Reshuffle;

/**
 * The redistribution after a fan-out: a random key per element on a cluster, so every worker gets a
 * share; or a few keys in one JVM, where the runner hands a step one bundle per key and a step with
 * a few large bundles keeps its own pool busy (see {@code FetchSettings#spreadBuckets}).
 */
final class Spread {

  private Spread() {}

  static <T> Reshuffle.ViaRandomKey<T> over(int buckets) {
    Reshuffle.ViaRandomKey<T> reshuffle = Reshuffle.viaRandomKey();
    return buckets > 0 ? reshuffle.withNumBuckets(buckets) : reshuffle;
  }
}
