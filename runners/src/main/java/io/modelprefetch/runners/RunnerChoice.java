package io.modelprefetch.runners;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Where the pipeline runs: the DirectRunner in this JVM, Flink embedded in this JVM ({@code
 * [local]}), or a Flink cluster ({@code host:port}, or {@code [auto]} under {@code flink run}).
 *
 * @param kind the runner
 * @param flinkMaster Flink's master for {@link Kind#FLINK}: {@code [local]}, {@code [auto]} or
 *     {@code host:port}; null for the DirectRunner
 * @param parallelism the parallelism, or null for the runner's default
 */
record RunnerChoice(Kind kind, @Nullable String flinkMaster, @Nullable Integer parallelism) {

  /** The runners the command line offers. */
  enum Kind {
    DIRECT,
    FLINK
  }

  static final String LOCAL = "[local]";

  /**
   * The jar built next to the CLI's own for cluster submission: the CLI without Flink or Hadoop.
   */
  static final String JOB_JAR_NAME = "model-prefetch-flink-job.jar";

  /** The DirectRunner with its default parallelism: what a run without runner flags gets. */
  static final RunnerChoice DIRECT = new RunnerChoice(Kind.DIRECT, null, null);

  RunnerChoice {
    if (parallelism != null && (parallelism < 1 || parallelism > 4096)) {
      throw new UsageException("--parallelism " + parallelism + " is out of range; give 1..4096");
    }
    if (kind == Kind.DIRECT && flinkMaster != null) {
      throw new UsageException("--flink-master '" + flinkMaster + "' needs --runner flink");
    }
    if (kind == Kind.FLINK) {
      flinkMaster = flinkMaster == null || flinkMaster.isBlank() ? LOCAL : flinkMaster.strip();
      if (!flinkMaster.startsWith("[") && !flinkMaster.matches("[^\\s/:]+:\\d{1,5}")) {
        throw new UsageException(
            "--flink-master '"
                + flinkMaster
                + "' is not [local], [auto] or host:port; give the JobManager's REST address, e.g. 127.0.0.1:8081");
      }
    }
  }

  /**
   * Parses the command line's runner flags; {@code passThroughMaster} is a Beam-style {@code
   * --flinkMaster=} given among the pipeline options, or null.
   */
  static RunnerChoice of(
      @Nullable String runner,
      @Nullable String flinkMaster,
      @Nullable String passThroughMaster,
      @Nullable Integer parallelism) {
    return of("--runner", runner, flinkMaster, passThroughMaster, parallelism);
  }

  /**
   * As {@link #of(String, String, String, Integer)}, naming {@code runnerSource} when the runner is
   * unknown.
   */
  static RunnerChoice of(
      String runnerSource,
      @Nullable String runner,
      @Nullable String flinkMaster,
      @Nullable String passThroughMaster,
      @Nullable Integer parallelism) {
    if (flinkMaster != null && passThroughMaster != null) {
      throw new UsageException(
          "both --flink-master and --flinkMaster= were given; keep --flink-master");
    }
    String master = flinkMaster != null ? flinkMaster : passThroughMaster;
    String name = runner == null ? "direct" : runner.strip().toLowerCase(Locale.ROOT);
    Kind kind =
        switch (name) {
          case "direct", "directrunner" -> Kind.DIRECT;
          case "flink", "flinkrunner" -> Kind.FLINK;
          default ->
              throw new UsageException(runnerSource + " '" + runner + "' is not direct or flink");
        };
    return new RunnerChoice(kind, master, parallelism);
  }

  /**
   * Whether the workers run in other JVMs, which cannot see keys held by this one: a Flink cluster,
   * not the DirectRunner or embedded Flink.
   */
  boolean remoteWorkers() {
    return kind == Kind.FLINK && !LOCAL.equals(flinkMaster);
  }

  /** The Beam pipeline options that select this runner. */
  List<String> pipelineArgs() {
    List<String> args = new ArrayList<>();
    if (kind == Kind.DIRECT) {
      if (parallelism != null) {
        args.add("--targetParallelism=" + parallelism);
      }
      return args;
    }
    args.add("--runner=FlinkRunner");
    args.add("--flinkMaster=" + flinkMaster);
    if (parallelism != null) {
      args.add("--parallelism=" + parallelism);
    }
    return args;
  }

  /**
   * The Flink job jar built beside the jar (or classes folder) this class was loaded from, or this
   * jar itself when it is the job jar; null when there is none.
   */
  static @Nullable Path jobJar() {
    try {
      var source = RunnerChoice.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return null;
      }
      Path self = Path.of(source.getLocation().toURI());
      if (self.getFileName() != null && self.getFileName().toString().equals(JOB_JAR_NAME)) {
        return self;
      }
      // Beside target/model-prefetch.jar or target/classes: both live in target/.
      Path dir = self.getParent();
      Path candidate = dir == null ? null : dir.resolve(JOB_JAR_NAME);
      return candidate != null && Files.isRegularFile(candidate) ? candidate : null;
    } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
      return null;
    }
  }
}
