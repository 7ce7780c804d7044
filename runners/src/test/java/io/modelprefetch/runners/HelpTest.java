package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * run is the default command, so the help people ask for is run's, and it says where keys come
 * from.
 */
class HelpTest {

  @ParameterizedTest
  @ValueSource(strings = {"--help", "-h"})
  void topLevelHelpIsRunsHelp(String flag) {
    Cli top = Cli.run(Map.of(), flag);
    Cli run = Cli.run(Map.of(), "run", "--help");

    assertEquals(0, top.status(), top.toString());
    assertEquals(run.out(), top.out());
    assertEquals("", top.err());
    assertTrue(top.out().startsWith("Usage: prefetch run [-hV]"), top.out());
    for (String option :
        List.of(
            "--model-uri=URI",
            "--local-dir=DIR",
            "--download-extra-config=JSON",
            "--allow-file-suffix=SUFFIX",
            "--metrics-file=FILE",
            "--enable-progress-bar")) {
      assertTrue(top.out().contains(option), option + " in\n" + top.out());
    }
  }

  @Test
  void helpSaysWhereCredentialsComeFromAndNamesTheOtherCommands() {
    String help = Cli.run(Map.of(), "--help").out().replaceAll("\\s+", " ");
    for (String text :
        List.of(
            "TOS_ACCESS_KEY and TOS_SECRET_KEY (and TOS_SECURITY_TOKEN",
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)",
            "the AWS SDK's default chain",
            "\"ak\" and \"sk\" in --download-extra-config",
            "Commands: run (the default: 'prefetch [run] [OPTIONS]'),"
                + " status, doctor, demo, help [COMMAND].",
            "Exit status: 0 every object verified in place")) {
      assertTrue(help.contains(text), text + " in\n" + help);
    }
  }

  @Test
  void noArgumentsShowRunsHelpOnStderrAndExitTwo() {
    Cli cli = Cli.run(Map.of());

    assertEquals(2, cli.status(), cli.toString());
    assertEquals("", cli.out(), "stdout carries only model paths");
    assertEquals(
        Cli.run(Map.of(), "run", "--help").out()
            + "model-prefetch: nothing to fetch: give --model-uri"
            + " s3://bucket/prefix/ (or tos://...) or --manifest FILE\n",
        cli.err());
  }

  @Test
  void versionStaysTopLevel() {
    Cli cli = Cli.run(Map.of(), "--version");
    assertEquals(0, cli.status(), cli.toString());
    assertEquals("model-prefetch 0.1.0\n", cli.out());
  }

  @Test
  void eachCommandHasItsOwnHelp() {
    assertTrue(Cli.run(Map.of(), "status", "--help").out().startsWith("Usage: prefetch status"));
    assertTrue(Cli.run(Map.of(), "help", "status").out().startsWith("Usage: prefetch status"));
    assertTrue(Cli.run(Map.of(), "doctor", "--help").out().startsWith("Usage: prefetch doctor"));
  }
}
