package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** The DirectRunner's per-element immutability and encodability checks are off unless asked for. */
class DirectRunnerDefaultsTest {

  static DirectOptions relaxed(String... args) {
    DirectOptions options = PipelineOptionsFactory.fromArgs(args).as(DirectOptions.class);
    PrefetchRun.relaxDirectRunnerChecks(options, List.of(args));
    return options;
  }

  @Test
  void checksAreOffByDefaultAndOtherDefaultsStay() {
    DirectOptions options = relaxed();
    DirectOptions untouched = PipelineOptionsFactory.create().as(DirectOptions.class);

    assertEquals(false, options.isEnforceImmutability());
    assertEquals(false, options.isEnforceEncodability());
    assertEquals(untouched.getTargetParallelism(), options.getTargetParallelism());
    assertEquals(untouched.isBlockOnRun(), options.isBlockOnRun());
  }

  @Test
  void anExplicitOptionWinsEvenWhenItIsTrue() {
    DirectOptions options = relaxed("--enforceImmutability=true");

    assertEquals(true, options.isEnforceImmutability());
    assertEquals(false, options.isEnforceEncodability());
    assertEquals(true, relaxed("--enforceEncodability=true").isEnforceEncodability());
  }
}
