package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.pipeline.PrefetchOptions;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/**
 * The DirectRunner runs without per-element checks, on one runner thread, with one bucket between
 * steps, unless the user gave another value.
 */
class DirectRunnerDefaultsTest {

  static PrefetchOptions tuned(String... args) {
    PrefetchOptions options = PipelineOptionsFactory.fromArgs(args).as(PrefetchOptions.class);
    PrefetchRun.tuneDirectRunner(options, List.of(args));
    return options;
  }

  @Test
  void defaultsForOneJvmAndOtherOptionsStay() {
    PrefetchOptions options = tuned();
    DirectOptions direct = options.as(DirectOptions.class);
    DirectOptions untouched = PipelineOptionsFactory.create().as(DirectOptions.class);

    assertEquals(false, direct.isEnforceImmutability());
    assertEquals(false, direct.isEnforceEncodability());
    assertEquals(1, direct.getTargetParallelism());
    assertEquals(1, options.getSpreadBuckets());
    assertEquals(untouched.isBlockOnRun(), direct.isBlockOnRun());
  }

  @Test
  void anExplicitOptionWinsEvenWhenItIsTrueOrZero() {
    DirectOptions direct = tuned("--enforceImmutability=true").as(DirectOptions.class);

    assertEquals(true, direct.isEnforceImmutability());
    assertEquals(false, direct.isEnforceEncodability());
    assertEquals(
        true, tuned("--enforceEncodability=true").as(DirectOptions.class).isEnforceEncodability());
    assertEquals(3, tuned("--targetParallelism=3").as(DirectOptions.class).getTargetParallelism());
    assertEquals(0, tuned("--spreadBuckets=0").getSpreadBuckets());
  }
}
