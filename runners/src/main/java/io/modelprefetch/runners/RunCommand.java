package io.modelprefetch.runners;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run}: prefetch models from S3 or TOS into a local folder. */
@Command(
    name = "run",
    description = "Prefetch models from s3:// or tos:// into a local folder, verified.",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    // One string per paragraph: picocli wraps each on its own.
    footer = {
      "",
      "Credentials: for tos://, TOS_ACCESS_KEY and TOS_SECRET_KEY (and TOS_SECURITY_TOKEN for temporary keys);"
          + " for s3://, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or else the AWS SDK's"
          + " default chain (profile, web identity/IRSA, container or instance role); or \"ak\" and \"sk\" in"
          + " --download-extra-config. On a Flink cluster (--flink-master host:port) each TaskManager takes its keys"
          + " from its own environment. Extra trusted CAs: AWS_CA_BUNDLE=ca.pem.",
      "",
      "AIBrix variables: DOWNLOADER_LOCAL_DIR, DOWNLOADER_NUM_THREADS, DOWNLOADER_PART_THRESHOLD,"
          + " DOWNLOADER_PART_CHUNKSIZE, DOWNLOADER_ALLOW_FILE_SUFFIX, DOWNLOADER_FORCE_DOWNLOAD,"
          + " DOWNLOADER_CHECK_FILE_EXIST (0: fetch every file again), TOS_ENDPOINT, TOS_REGION, AWS_ENDPOINT_URL,"
          + " AWS_REGION. A flag wins over --download-extra-config, which wins over the environment, then --config.",
      "",
      "Any other --name=value is passed to Beam as a pipeline option (e.g. --maxBundleSize=100).",
      "",
      "Commands: run (the default: 'prefetch [run] [OPTIONS]'), status, doctor, demo, help [COMMAND].",
      "",
      "Exit status: 0 every object verified in place; 1 some object failed; 2 bad input or configuration;"
          + " 3 another run is writing a model and --wait was not given (or its --lock-timeout ran out)."
    })
final class RunCommand implements Callable<Integer> {

  private static final String FLINK_MASTER_OPTION = "--flinkMaster=";

  @Option(
      names = "--model-uri",
      paramLabel = "URI",
      description = "s3://bucket/prefix/, tos://bucket/prefix/ or a single object; repeatable.")
  @Nullable List<String> modelUris;

  @Option(
      names = "--local-dir",
      paramLabel = "DIR",
      description =
          "Destination root; a model lands in DIR/<model-name>/. Env: DOWNLOADER_LOCAL_DIR. Default: "
              + JobResolver.DEFAULT_LOCAL_DIR)
  @Nullable String localDir;

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description = "Folder name of the model. Default: the last path segment of the URI.")
  @Nullable String modelName;

  @Option(
      names = "--manifest",
      paramLabel = "FILE",
      description = "YAML or JSON manifest of many models.")
  @Nullable Path manifest;

  @Option(
      names = "--include",
      paramLabel = "GLOB",
      description = "Fetch only matching relative paths; repeatable.")
  @Nullable List<String> include;

  @Option(
      names = "--exclude",
      paramLabel = "GLOB",
      description = "Skip matching relative paths; repeatable.")
  @Nullable List<String> exclude;

  @CommandLine.Mixin EndpointOptions connection = new EndpointOptions();

  @Option(
      names = "--num-threads",
      paramLabel = "N",
      description =
          "Ranged GETs in flight at once, 1..1024. Env: DOWNLOADER_NUM_THREADS. Default: 4.")
  @Nullable Integer numThreads;

  @Option(
      names = "--part-threshold",
      paramLabel = "SIZE",
      description =
          "Objects larger than this are fetched in parallel ranges. Env: DOWNLOADER_PART_THRESHOLD. Default: 64MiB.")
  @Nullable String partThreshold;

  @Option(
      names = "--part-size",
      paramLabel = "SIZE",
      description =
          "Size of each ranged GET, at least 1MiB. Env: DOWNLOADER_PART_CHUNKSIZE. Default: 64MiB.")
  @Nullable String partSize;

  // Its own field, so that an error names the flag that was typed.
  @Option(names = "--part-chunksize", paramLabel = "SIZE", description = "The same as --part-size.")
  @Nullable String partChunksize;

  @Option(
      names = "--allow-file-suffix",
      paramLabel = "SUFFIX[,SUFFIX...]",
      description =
          "Fetch only the listed objects whose key ends with one of these, as AIBrix matches them: a plain,"
              + " case-sensitive ends-with (config.json also keeps generation_config.json; an empty item keeps"
              + " everything). Env: DOWNLOADER_ALLOW_FILE_SUFFIX. Default: all files.")
  @Nullable List<String> allowFileSuffix;

  @Option(
      names = "--force-download",
      arity = "0..1",
      paramLabel = "BOOL",
      description =
          "Fetch files even when already present. Env: DOWNLOADER_FORCE_DOWNLOAD. Default: false.")
  @Nullable Boolean forceDownload;

  @Option(
      names = "--verify",
      paramLabel = "full|all|size",
      description =
          "full: check every object by the cheapest digest the store keeps (a CRC before a SHA before"
              + " an MD5) and a manifest's sha256; all: every digest the store keeps; size: only sizes and a manifest's"
              + " sha256, no digest computed (faster, weaker, like rclone --ignore-checksum). Env: DOWNLOADER_VERIFY."
              + " Default: full.")
  @Nullable String verify;

  @Option(
      names = "--direct-io",
      paramLabel = "true|false",
      description =
          "true: write ranges of 8 MiB and more with O_DIRECT, past the page cache, on local ext4, xfs"
              + " and btrfs (buffered elsewhere, e.g. NFS, FUSE, tmpfs); false: keep the written files in the page cache,"
              + " for a model served right after the download on this node. Env: DOWNLOADER_DIRECT_IO. Default: true.")
  @Nullable String directIo;

  @Option(
      names = "--require-digest",
      arity = "0..1",
      paramLabel = "BOOL",
      description =
          "Fail an object whose store keeps no digest of it (no MD5 ETag, no S3 or TOS checksum, no"
              + " uploader's MD5) instead of committing it checked by its size alone. Env: DOWNLOADER_REQUIRE_DIGEST."
              + " Default: false.")
  @Nullable Boolean requireDigest;

  @Option(
      names = "--stall-timeout",
      paramLabel = "DURATION",
      description =
          "A response body that delivers less than 64 KiB in this long is abandoned and its range"
              + " retried; at least 100ms. Env: DOWNLOADER_STALL_TIMEOUT. Default: 30s.")
  @Nullable String stallTimeout;

  @Option(
      names = "--structure-check",
      paramLabel = "on|off",
      description =
          "on: check each verified file's structure before its final name (a *.safetensors header and"
              + " its tensors' offsets, sizes and layout; a *.index.json shard index against the listing; config.json,"
              + " generation_config.json, tokenizer_config.json and tokenizer.json as JSON) and fail a malformed one,"
              + " not committed and not fetched again; off: for unusual files. Env: DOWNLOADER_STRUCTURE_CHECK."
              + " Default: on.")
  @Nullable String structureCheck;

  @Option(
      names = "--enable-progress-bar",
      arity = "0..1",
      paramLabel = "BOOL",
      description =
          "On a terminal, show progress as one line redrawn in place; elsewhere a line every"
              + " --progress-interval. Default: false.")
  @Nullable Boolean enableProgressBar;

  @Option(
      names = "--progress-interval",
      paramLabel = "DURATION",
      description =
          "How often progress (files, bytes, throughput, ETA per model) is shown on stderr, e.g. 5s, 500ms;"
              + " 0 shows only the final figures. Default: 5s.")
  @Nullable String progressInterval;

  @Option(
      names = "--metrics-file",
      paramLabel = "FILE",
      description =
          "Write the run's counters, bytes, durations and per-model outcome here in the Prometheus text"
              + " format (node_exporter's textfile collector: FILE in its directory, named *.prom), atomically, every"
              + " --progress-interval while the run goes on (in this JVM) and at its end.")
  @Nullable String metricsFile;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description =
          "Write the JSON report here; '-' writes it to stdout instead of the model paths.")
  @Nullable String report;

  @Option(
      names = "--runner",
      paramLabel = "RUNNER",
      description = "direct (this JVM) or flink. Default: direct.")
  @Nullable String runner;

  @Option(
      names = "--flink-master",
      paramLabel = "MASTER",
      description =
          "With --runner flink: [local] (embedded in this JVM), host:port of a running cluster's JobManager (REST),"
              + " or [auto] under 'flink run'. Default: [local].")
  @Nullable String flinkMaster;

  @Option(
      names = "--parallelism",
      paramLabel = "N",
      description =
          "Parallel workers: Flink's parallelism, or the DirectRunner's targetParallelism. Default: the runner's.")
  @Nullable Integer parallelism;

  @Option(
      names = "--wait",
      description =
          "When another run is writing a model, wait for it (up to --lock-timeout)"
              + " instead of exiting with status 3.")
  boolean waitForLock;

  @Option(
      names = "--lock-timeout",
      paramLabel = "DURATION",
      description = "How long --wait waits for another run, e.g. 90s, 30m, 2h. Default: 30m.")
  @Nullable String lockTimeout;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "YAML file of per-cluster settings (s3/tos endpoint and region, addressing, partSize, partThreshold,"
              + " numThreads, localDir, runner, parallelism); below flags and environment. No secrets.")
  @Nullable Path configFile;

  @Option(
      names = "--dry-run",
      description =
          "List what would be fetched (per object: fetch or present, size, path) and the totals;"
              + " fetch nothing, write nothing.")
  boolean dryRun;

  @Option(
      names = "--max-bytes",
      paramLabel = "SIZE",
      description =
          "Refuse to start (exit 2) when the bytes still to fetch exceed SIZE, e.g. 200GiB. Default: no limit.")
  @Nullable String maxBytes;

  @Option(
      names = "--skip-space-check",
      description =
          "Start even when the bytes to fetch exceed the destination's usable space; a file that cannot fit"
              + " then fails on its own and the others land.")
  boolean skipSpaceCheck;

  /** Test and diagnostic: stands in for the destination's usable space in the free-space check. */
  @Option(names = "--assume-free-bytes", paramLabel = "SIZE", hidden = true)
  @Nullable String assumeFreeBytes;

  @Option(
      names = "--every",
      paramLabel = "DURATION",
      description =
          "Run again every DURATION (e.g. 15m, 1h) in this process, until it is stopped: a node's long-lived"
              + " prefetch that picks up an edited manifest and pays the JVM's start and warm-up once. A failed"
              + " run is reported and the next one runs at its time; bad input (status 2) ends it. Default: run"
              + " once.")
  @Nullable String every;

  /**
   * Test and benchmark: with --every, stop after this many runs (its exit status the last one's).
   */
  @Option(names = "--every-runs", paramLabel = "N", hidden = true)
  long everyRuns;

  @Option(names = "--verbose", description = "Log at debug level, libraries included.")
  boolean verbose;

  static final java.time.Duration DEFAULT_LOCK_TIMEOUT = java.time.Duration.ofMinutes(30);

  @CommandLine.Unmatched @Nullable List<String> pipelineArgs;

  @CommandLine.Spec CommandLine.Model.@Nullable CommandSpec spec; // set by picocli

  private final Main.Context context;

  RunCommand(Main.Context context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    if (every == null) {
      if (everyRuns != 0) {
        throw new UsageException("--every-runs counts the runs of --every; give --every too");
      }
      return runOnce();
    }
    if (everyRuns < 0) {
      throw new UsageException(
          "--every-runs '" + everyRuns + "' is below 0; give a count, or 0 for no end");
    }
    java.time.Duration period = Values.duration("--every", every);
    if (period.isZero()) {
      throw new UsageException(
          "--every '" + every + "' is no period; give e.g. 15m, or leave it out to run once");
    }
    if (period.compareTo(java.time.Duration.ofDays(366)) > 0) {
      throw new UsageException("--every '" + every + "' is over a year; give e.g. 15m, 1h or 24h");
    }
    if (dryRun) {
      throw new UsageException(
          "--every does not go with --dry-run, which fetches nothing; keep one");
    }
    return Repeat.every(period, every, everyRuns, this::runOnce, Repeat.SYSTEM, context.err());
  }

  private int runOnce() throws Exception {
    ClusterConfig config = ClusterConfig.read(configFile);
    JobResolver.Flags flags = flags();
    RunnerChoice runnerChoice = runnerChoice(config);
    Job job = new JobResolver(context.env(), config).resolve(flags, runnerChoice);
    PrefetchRun.LockPolicy lock = lockPolicy();
    PrefetchRun.Display display = display();
    Long maxBytesLimit = maxBytes == null ? null : Values.size("--max-bytes", maxBytes);
    Long assumedFree =
        assumeFreeBytes == null ? null : Values.size("--assume-free-bytes", assumeFreeBytes);
    java.util.function.ToLongFunction<Path> usableSpace =
        assumedFree == null ? SpaceCheck.USABLE_SPACE : folder -> assumedFree;
    if (dryRun) {
      return DryRun.print(ListingPlan.of(job), context.out(), context.err());
    }
    // The destination of a cluster's workers is not this machine's to measure; a limit still
    // applies.
    // A local run lists here once: for the space check, and to skip the pipeline when all is in
    // place.
    boolean measureHere = !runnerChoice.remoteWorkers() && !skipSpaceCheck;
    ListingPlan listing = null;
    if (measureHere || maxBytesLimit != null) {
      PrefetchRun.warmUp(job, runnerChoice);
      listing = ListingPlan.of(job);
      SpaceCheck.check(listing, maxBytesLimit, usableSpace, measureHere);
    }
    return PrefetchRun.execute(
        job, listing, runnerChoice, lock, display, context.out(), context.err());
  }

  private PrefetchRun.Display display() {
    java.time.Duration interval =
        progressInterval == null
            ? ProgressReporter.DEFAULT_INTERVAL
            : Values.duration("--progress-interval", progressInterval);
    // A redrawn line only makes sense on a terminal; a log file gets whole lines.
    return new PrefetchRun.Display(
        interval,
        Boolean.TRUE.equals(enableProgressBar) && ProgressReporter.stderrIsTerminal(),
        metricsFile == null ? null : MetricsFile.check(metricsFile));
  }

  private PrefetchRun.LockPolicy lockPolicy() {
    java.time.Duration timeout =
        lockTimeout == null ? DEFAULT_LOCK_TIMEOUT : Values.duration("--lock-timeout", lockTimeout);
    return new PrefetchRun.LockPolicy(waitForLock, timeout);
  }

  /**
   * The runner flags; a Beam-style {@code --flinkMaster=} among the pipeline options counts too.
   */
  RunnerChoice runnerChoice() {
    return runnerChoice(ClusterConfig.NONE);
  }

  /** The runner flags, then {@code --config}'s {@code runner} and {@code parallelism}. */
  RunnerChoice runnerChoice(ClusterConfig config) {
    String passThroughMaster = null;
    for (String arg : passThrough()) {
      if (arg.startsWith(FLINK_MASTER_OPTION)) {
        passThroughMaster = arg.substring(FLINK_MASTER_OPTION.length());
      }
    }
    Sources sources = Sources.of(flags(), context.env(), config);
    Sources.Resolved<String> runnerName = sources.resolve(Setting.RUNNER);
    return RunnerChoice.of(
        runnerName.source() == null ? "--runner" : runnerName.source(),
        runnerName.value(),
        flinkMaster,
        passThroughMaster,
        sources.valueOrNull(Setting.PARALLELISM));
  }

  private List<String> passThrough() {
    return pipelineArgs == null ? List.of() : pipelineArgs;
  }

  /** What the command line gives; each setting's flag by its name, for {@link Setting}. */
  JobResolver.Flags flags() {
    List<String> passThrough = new ArrayList<>();
    for (String arg : passThrough()) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new UsageException(
            "unknown option or argument '"
                + arg
                + "'; see 'prefetch run --help' (Beam options are written --name=value)");
      }
      if (!arg.startsWith(FLINK_MASTER_OPTION)) {
        passThrough.add(arg);
      }
    }
    if (partSize != null && partChunksize != null) {
      throw new UsageException(
          "both --part-size and --part-chunksize were given; they are the same option, keep one");
    }
    if (partChunksize != null) {
      Values.partSize("--part-chunksize", partChunksize);
    }
    Map<String, String> settings = new HashMap<>();
    settings.put("--local-dir", localDir);
    settings.put("--num-threads", Objects.toString(numThreads, null));
    settings.put("--part-threshold", partThreshold);
    settings.put("--part-size", partSize != null ? partSize : partChunksize);
    // One text, as the variable gives it: the setting splits it on commas, as each flag's value.
    settings.put(
        "--allow-file-suffix", allowFileSuffix == null ? null : String.join(",", allowFileSuffix));
    settings.put("--force-download", Objects.toString(forceDownload, null));
    settings.put("--verify", verify);
    settings.put("--direct-io", directIo);
    settings.put("--require-digest", Objects.toString(requireDigest, null));
    settings.put("--stall-timeout", stallTimeout);
    settings.put("--structure-check", structureCheck);
    settings.put("--endpoint", connection.endpoint);
    settings.put("--region", connection.region);
    settings.put("--addressing", connection.addressing);
    settings.put("--runner", runner);
    settings.put("--parallelism", Objects.toString(parallelism, null));
    return new JobResolver.Flags(
        modelUris,
        modelName,
        manifest,
        include,
        exclude,
        connection.extraConfig,
        report,
        passThrough,
        settings);
  }
}
