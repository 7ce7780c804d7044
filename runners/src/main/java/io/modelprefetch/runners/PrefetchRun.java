package io.modelprefetch.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.pipeline.PrefetchOptions;
import io.modelprefetch.pipeline.PrefetchPipeline;
import io.modelprefetch.transforms.PrefetchMetrics;
import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.engine.Listing;
import io.modelprefetch.transforms.engine.Progress;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.report.Report;
import io.modelprefetch.transforms.storage.CompletionMarker;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.storage.ModelLock;
import io.modelprefetch.transforms.storage.SafeFolder;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a resolved {@link Job} and turns its report into the exit status and the output. When the
 * report cannot be read here (a TaskManager of a cluster wrote it on its own disk), the job's
 * {@link PrefetchMetrics} counters decide the exit status.
 */
final class PrefetchRun {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int LOCKED = 3;

  /** {@code --report -}: the report on stdout. */
  static final String STDOUT = "-";

  private static final Duration LOCK_POLL = Duration.ofMillis(200);

  private static final Logger LOG = LoggerFactory.getLogger(PrefetchRun.class);

  private PrefetchRun() {}

  /**
   * Runs {@code job}. Prints the path of each complete model on {@code out}, one per line, and the
   * summary and failures on {@code err}.
   *
   * @return {@link #OK} when every object is verified in place, else {@link #FAILED}
   */
  static int execute(Job job, PrintStream out, PrintStream err) throws IOException {
    return execute(job, null, RunnerChoice.DIRECT, LockPolicy.NO_WAIT, Display.LINES, out, err);
  }

  /**
   * How progress is shown while the pipeline runs in this JVM: a line every {@code interval} (zero:
   * only the final figures), or one line redrawn in place when {@code redraw} (a terminal); and
   * {@code metricsFile} ({@code --metrics-file}, or null), rewritten every interval and at the end.
   */
  record Display(Duration interval, boolean redraw, @Nullable Path metricsFile) {
    static final Display LINES = new Display(ProgressReporter.DEFAULT_INTERVAL, false);

    Display(Duration interval, boolean redraw) {
      this(interval, redraw, null);
    }
  }

  /** Whether to wait for another run that holds a model's lock, and for how long. */
  record LockPolicy(boolean waitForLock, Duration timeout) {
    static final LockPolicy NO_WAIT = new LockPolicy(false, Duration.ZERO);
  }

  /**
   * Runs {@code job} holding the lock of every model folder: one writer per model. A model whose
   * lock another run holds ends the run with {@link #LOCKED}, at once or after {@code lock}'s
   * timeout. Workers on a remote cluster write folders this process may not see: there, the
   * schedule must keep runs apart. Progress shows as {@code display} says.
   *
   * @param listing the job's listing made in this JVM before the run (for the space check), or
   *     null. When it shows every file in place, no pipeline runs: the completion markers and the
   *     report are written here.
   */
  static int execute(
      Job job,
      @Nullable ListingPlan listing,
      RunnerChoice runner,
      LockPolicy lock,
      Display display,
      PrintStream out,
      PrintStream err)
      throws IOException {
    if (runner.remoteWorkers()) {
      return execute(job, null, runner, display, out, err);
    }
    if (!job.pipelineArgs().isEmpty()) {
      pipelineOptions(job); // bad options are bad input: refuse them before a lock writes anything
    }
    List<ModelLock> held = new ArrayList<>();
    List<Path> created = new ArrayList<>();
    try {
      // A fixed order, so two runs over overlapping models cannot each hold what the other needs.
      // Hadoop file system destinations have no OS lock to take: the schedule keeps runs apart
      // there.
      for (Path dir :
          job.models().stream()
              .map(ModelSource::modelDir)
              .filter(d -> !HadoopFiles.isUri(d))
              .map(Path::of)
              .sorted()
              .distinct()
              .toList()) {
        if (SafeFolder.modelRefusal(dir) != null) {
          continue; // a link in the model's place: the listing step refuses the model by name,
          // writing nothing
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
          created.add(dir);
        }
        Optional<ModelLock> taken;
        try {
          taken = ModelLock.tryAcquire(dir);
        } catch (ModelLock.LockException e) {
          err.println("model-prefetch: " + e.getMessage());
          return USAGE; // found before anything of the models is written
        }
        if (taken.isEmpty() && lock.waitForLock()) {
          err.println(
              "model-prefetch: waiting up to "
                  + lock.timeout()
                  + " for "
                  + dir
                  + ", which another prefetch is writing ("
                  + ModelLock.holder(dir)
                  + ")");
          taken = ModelLock.acquire(dir, lock.timeout(), LOCK_POLL);
          if (taken.isEmpty()) {
            err.println(
                "model-prefetch: gave up after "
                    + lock.timeout()
                    + " waiting for "
                    + dir
                    + ", still written by "
                    + ModelLock.holder(dir)
                    + "; raise --lock-timeout or try later");
            return LOCKED;
          }
        } else if (taken.isEmpty()) {
          err.println(
              "model-prefetch: "
                  + dir
                  + " is being written by another prefetch ("
                  + ModelLock.holder(dir)
                  + "); pass --wait to wait for it");
          return LOCKED;
        }
        held.add(taken.get());
      }
      return execute(job, listing, runner, display, out, err);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("model-prefetch: interrupted while waiting for a model's lock");
      return FAILED;
    } finally {
      for (ModelLock l : held) {
        l.close();
      }
      created.forEach(PrefetchRun::removeIfOnlyTheLock);
    }
  }

  /**
   * Runs {@code job} on {@code runner}, whose pipeline arguments already select it, showing
   * progress as {@code display} says while the workers share this JVM.
   */
  private static int execute(
      Job job,
      @Nullable ListingPlan listing,
      RunnerChoice runner,
      Display display,
      PrintStream out,
      PrintStream err)
      throws IOException {
    // Without --report, a cluster's report would land on some TaskManager's disk, unread: the
    // job's metrics decide instead.
    // "--report -": the report goes to stdout, so the pipeline writes it to a temporary file.
    boolean reportToStdout = STDOUT.equals(job.reportPath());
    boolean temporaryReport = job.reportPath() == null || reportToStdout;
    Path report;
    if (reportToStdout) {
      report = Files.createTempFile("model-prefetch-report-", ".json");
    } else if (job.reportPath() != null) {
      report = Path.of(job.reportPath()).toAbsolutePath();
    } else if (runner.remoteWorkers()) {
      report = null;
    } else {
      report = Files.createTempFile("model-prefetch-report-", ".json");
    }
    job.notes().forEach(note -> LOG.info(note));
    for (ModelSource model : job.models()) {
      LOG.info(
          "Prefetching {} into {} ({})", model.uri(), model.modelDir(), model.client().describe());
    }

    // The report's startedAt is taken while the graph is built, after this instant; an older
    // report at the same path is a leftover of another run.
    long launchedAtMillis = System.currentTimeMillis();
    MetricsFile metrics =
        display.metricsFile() == null
            ? null
            : new MetricsFile(
                display.metricsFile(), job.models(), Instant.ofEpochMilli(launchedAtMillis));
    if (runner.remoteWorkers()) {
      LOG.info(
          "Progress: the TaskManagers do the work; the figures come from the job's metrics at the end");
    }
    try {
      PipelineResult result = null;
      if (listing != null && !runner.remoteWorkers() && listing.allPresent()) {
        LOG.info(
            "Every file is in place already (size and ETag sidecar): nothing to fetch, no pipeline to run");
        recordPresent(
            job,
            listing,
            Objects.requireNonNull(report, "a run in this JVM has a report"),
            launchedAtMillis);
      } else {
        PrefetchOptions options = pipelineOptions(job);
        if (runner.kind() == RunnerChoice.Kind.FLINK) {
          stageJobJar(options.as(FlinkPipelineOptions.class), runner);
        } else {
          tuneDirectRunner(options, job.pipelineArgs());
        }
        options.setReportPath(report == null ? "" : report.toString());
        // The workers share this JVM: the listing just made is their input, the store is not listed
        // again.
        Map<ModelSource, List<Listing.Entry>> listed = new LinkedHashMap<>();
        if (listing != null && !runner.remoteWorkers()) {
          listing.models().stream()
              .filter(m -> m.listing() != null)
              .forEach(
                  m ->
                      listed.put(
                          m.model(),
                          Listing.of(m.model(), m.listing(), job.fetch().structureCheck())));
        }
        Pipeline pipeline =
            PrefetchPipeline.build(Pipeline.create(options), job.models(), job.notes(), listed);
        PipelineResult.State state;
        // The workers in this JVM report their progress to it; on a cluster there is none to see.
        Progress progress = new Progress();
        try (FetchRuntime.Watch watching =
                runner.remoteWorkers() ? null : FetchRuntime.watch(progress);
            ProgressReporter reporter =
                runner.remoteWorkers()
                    ? null
                    : new ProgressReporter(
                        job.models(),
                        progress,
                        err,
                        display.interval(),
                        display.redraw(),
                        () -> FetchRuntime.streamsNow().inFlight(),
                        metrics == null ? null : () -> metrics.writeLive(progress))) {
          if (metrics != null && !runner.remoteWorkers()) {
            metrics.writeLive(progress);
          }
          result = pipeline.run();
          state = result.waitUntilFinish();
        }
        if (state != PipelineResult.State.DONE) {
          err.println("model-prefetch: the pipeline ended in state " + state);
          return finalMetrics(metrics, FAILED, null, result.metrics(), err);
        }
      }
      JsonNode written = readReport(report, launchedAtMillis);
      int status;
      if (written != null && reportToStdout) {
        status = summarize(written, new PrintStream(OutputStream.nullOutputStream()), err);
        out.print(Files.readString(report));
        out.println();
        out.flush();
      } else if (written != null) {
        status = summarize(written, out, err);
      } else {
        err.println(
            report == null
                ? "model-prefetch: no report on a cluster without --report (give one on a folder shared with the TaskManagers for per-object details); the job's metrics decide the exit status"
                : "model-prefetch: report "
                    + report
                    + " is not readable here (written on a TaskManager's own disk?); the job's metrics decide the exit status");
        status =
            summarizeMetrics(
                Objects.requireNonNull(result, "no report: a pipeline ran").metrics(),
                job.models(),
                out,
                err);
      }
      return finalMetrics(metrics, status, written, result == null ? null : result.metrics(), err);
    } catch (UsageException e) {
      throw e; // a bad pipeline option: bad input, not a failed run
    } catch (RuntimeException e) {
      err.println("model-prefetch: the pipeline failed: " + rootMessage(e));
      return finalMetrics(metrics, FAILED, null, null, err);
    } finally {
      if (temporaryReport && report != null) {
        Files.deleteIfExists(report);
      }
    }
  }

  /**
   * Writes the metrics file at the end of a run that ended with {@code status}, when there is one;
   * returns the status, or {@link #FAILED} when the file could not be written (monitoring would
   * otherwise keep showing the last run's figures).
   */
  private static int finalMetrics(
      @Nullable MetricsFile metrics,
      int status,
      @Nullable JsonNode report,
      @Nullable MetricResults beam,
      PrintStream err) {
    if (metrics == null) {
      return status;
    }
    try {
      metrics.writeFinal(status == OK, report, beam);
      return status;
    } catch (IOException | RuntimeException e) {
      err.println("model-prefetch: --metrics-file could not be written: " + e);
      return FAILED;
    }
  }

  /**
   * What the pipeline writes for a job whose files are all in place: each model's completion
   * marker, then the report.
   */
  private static void recordPresent(Job job, ListingPlan listing, Path report, long startedAtMillis)
      throws IOException {
    List<FileResult> results = new ArrayList<>();
    Map<String, List<FileResult>> byModel = new LinkedHashMap<>();
    for (ListingPlan.ModelPlan model : listing.models()) {
      for (ListingPlan.Entry entry : model.entries()) {
        FileResult present = FileResult.present(entry.object());
        results.add(present);
        byModel.computeIfAbsent(present.model().modelDir(), k -> new ArrayList<>()).add(present);
      }
    }
    for (List<FileResult> files : byModel.values()) {
      try {
        CompletionMarker.write(files.get(0).model(), files, Instant.now());
      } catch (CompletionMarker.MarkerException e) {
        results.add(
            FileResult.modelFailure(
                files.get(0).model(),
                e.getMessage())); // the files are in place, the model is not marked
      }
    }
    List<ModelKey> keys = job.models().stream().map(ModelKey::of).toList();
    Report.write(
        Report.build(
            results, keys, Instant.ofEpochMilli(startedAtMillis), Instant.now(), job.notes()),
        report);
  }

  /**
   * Builds {@code job}'s pipeline options and graph once on a background thread and drops them,
   * where a pipeline will most likely run in this JVM (a model folder has no completion marker):
   * the first build loads and checks Beam's option interfaces, about a second of one core, which
   * then overlaps the listing instead of following it. A failure is left to the run's own build,
   * which reports it.
   */
  static void warmUp(Job job, RunnerChoice runner) {
    boolean likelyToRun =
        !runner.remoteWorkers()
            && job.models().stream()
                .anyMatch(
                    m ->
                        HadoopFiles.isUri(m.modelDir())
                            || !Files.exists(CompletionMarker.path(ModelKey.of(m))));
    if (!likelyToRun) {
      return;
    }
    Thread warmUp =
        new Thread(
            () -> {
              try {
                PrefetchPipeline.build(
                    Pipeline.create(pipelineOptions(job)), job.models(), job.notes());
              } catch (RuntimeException e) {
                // The run builds them again and says what is wrong.
              }
            },
            "prefetch-warm-up");
    warmUp.setDaemon(true);
    warmUp.start();
  }

  static PrefetchOptions pipelineOptions(Job job) {
    refuseOptionsSetByFlags(job.pipelineArgs());
    PrefetchOptions options;
    try {
      options =
          PipelineOptionsFactory.fromArgs(job.pipelineArgs().toArray(String[]::new))
              .as(PrefetchOptions.class);
    } catch (IllegalArgumentException e) {
      throw new UsageException("pipeline option: " + firstLine(e.getMessage()));
    }
    options.as(ApplicationNameOptions.class).setAppName("model-prefetch");
    options.setNumThreads(job.fetch().maxInFlightRanges());
    options.setPartThresholdBytes(job.fetch().partThresholdBytes());
    options.setPartSizeBytes(job.fetch().partSizeBytes());
    options.setForceDownload(job.fetch().forceDownload());
    options.setVerify(job.fetch().verification());
    options.setDirectIo(job.fetch().directIo());
    options.setRequireDigest(job.fetch().requireDigest());
    options.setStallTimeoutMillis(job.fetch().stallTimeoutMillis());
    options.setStructureCheck(job.fetch().structureCheck());
    return options;
  }

  /**
   * The pipeline options the command line sets from its own flags, with the flag to give instead: a
   * pass-through value would otherwise be silently overwritten.
   */
  private static final Map<String, String> SET_BY_FLAGS =
      Map.of(
          "numThreads",
          "--num-threads",
          "partThresholdBytes",
          "--part-threshold",
          "partSizeBytes",
          "--part-size",
          "forceDownload",
          "--force-download",
          "verify",
          "--verify",
          "directIo",
          "--direct-io",
          "requireDigest",
          "--require-digest",
          "stallTimeoutMillis",
          "--stall-timeout",
          "reportPath",
          "--report",
          "structureCheck",
          "--structure-check");

  /** Refuses a pass-through pipeline option that one of the command line's flags sets. */
  static void refuseOptionsSetByFlags(List<String> pipelineArgs) {
    for (String arg : pipelineArgs) {
      String name = arg.startsWith("--") ? arg.substring(2).split("=", 2)[0] : "";
      String flag = SET_BY_FLAGS.get(name);
      if (flag != null) {
        throw new UsageException(
            "pipeline option "
                + arg
                + " is set by the command line's "
                + flag
                + " flag, which would overwrite it; give "
                + flag
                + " instead");
      }
    }
  }

  /**
   * Removes a model folder this run created only to hold its lock, when nothing else landed in it
   * (the listing failed or found nothing): a failed model leaves no trace. A folder with anything
   * else in it is kept; a run that raced for the same lock at this instant finds the folder gone
   * and creates it again.
   */
  private static void removeIfOnlyTheLock(Path modelDir) {
    try (SafeFolder model = SafeFolder.model(modelDir, false)) {
      if (!model.names().equals(List.of(CompletionMarker.FOLDER))) {
        return;
      }
      String lock = ModelLock.file(modelDir).getFileName().toString();
      String parts = Path.of(LocalFiles.PARTS).getFileName().toString();
      try (SafeFolder bookkeeping = model.child(CompletionMarker.FOLDER, false)) {
        if (!List.of(lock, parts).containsAll(bookkeeping.names())) {
          return;
        }
        if (bookkeeping.names().contains(parts)) {
          bookkeeping.deleteEmptyFolder(
              parts); // the failed files' temporary files are gone already
        }
        bookkeeping.delete(lock);
      }
      model.deleteEmptyFolder(CompletionMarker.FOLDER);
      Files.delete(modelDir); // rmdir: a link or a folder that is no longer empty stays
    } catch (IOException e) {
      LOG.debug("Kept {}: {}", modelDir, e.toString());
    }
  }

  /**
   * Settings for the DirectRunner, each unless the user gave it as a pipeline option:
   *
   * <ul>
   *   <li>no immutability or encodability checks: they clone and encode every element, which
   *       dominates a model of many small files;
   *   <li>one runner thread and one bucket between steps: the runner polls for work in a busy loop
   *       on a free thread of its own, so with one thread busy in a step, the poll waits instead of
   *       taking a core from the transfer; each step then gets its work in one bundle and keeps the
   *       fetch and verify pools busy.
   * </ul>
   */
  static void tuneDirectRunner(PrefetchOptions options, List<String> pipelineArgs) {
    DirectOptions direct = options.as(DirectOptions.class);
    if (!given(pipelineArgs, "--enforceImmutability")) {
      direct.setEnforceImmutability(false);
    }
    if (!given(pipelineArgs, "--enforceEncodability")) {
      direct.setEnforceEncodability(false);
    }
    if (!given(pipelineArgs, "--targetParallelism")) {
      direct.setTargetParallelism(1);
    }
    if (!given(pipelineArgs, "--spreadBuckets")) {
      options.setSpreadBuckets(1);
    }
  }

  private static boolean given(List<String> pipelineArgs, String option) {
    return pipelineArgs.stream().anyMatch(a -> a.startsWith(option + "="));
  }

  /**
   * Ships the job jar built beside this CLI to a cluster unless {@code --filesToStage} was given:
   * Beam would otherwise zip and upload the whole class path. Embedded Flink stages nothing.
   */
  private static void stageJobJar(FlinkPipelineOptions options, RunnerChoice runner) {
    if (options.getFilesToStage() != null) {
      return;
    }
    if (!runner.remoteWorkers()) {
      options.setFilesToStage(List.of());
      return;
    }
    Path jobJar = RunnerChoice.jobJar();
    if (jobJar != null) {
      LOG.info("Submitting with {}", jobJar);
      options.setFilesToStage(List.of(jobJar.toString()));
    } else {
      LOG.warn(
          "No {} beside the CLI; Beam stages the whole class path, which is slow. Build it with 'mvn package'"
              + " or give --filesToStage=PATH",
          RunnerChoice.JOB_JAR_NAME);
    }
  }

  /** The report at {@code path} when this run wrote it, else null (none, unreadable, or older). */
  static @Nullable JsonNode readReport(@Nullable Path path, long launchedAtMillis) {
    if (path == null || !Files.isRegularFile(path)) {
      return null;
    }
    try {
      JsonNode report = new ObjectMapper().readTree(path.toFile());
      if (report == null || !report.has("totals")) {
        return null;
      }
      return Instant.parse(report.path("startedAt").asText()).toEpochMilli() >= launchedAtMillis
          ? report
          : null;
    } catch (IOException | DateTimeException e) {
      return null;
    }
  }

  /**
   * The exit status from the job's counters: {@link #OK} only when no object or model failed and at
   * least one object was verified or already present (a runner without metrics shows none). Prints
   * the summary, and each model's path when all succeeded.
   */
  static int summarizeMetrics(
      MetricResults metrics, List<ModelSource> models, PrintStream out, PrintStream err) {
    long verified = counter(metrics, PrefetchMetrics.OBJECTS_VERIFIED);
    long present = counter(metrics, PrefetchMetrics.OBJECTS_PRESENT);
    long failed = counter(metrics, PrefetchMetrics.OBJECTS_FAILED);
    long modelsFailed = counter(metrics, PrefetchMetrics.MODELS_FAILED);
    err.println(
        String.format(
            Locale.ROOT,
            "model-prefetch: %d model(s), from the job's metrics: %d verified, %d already present, %d failed, %d model(s) failed",
            models.size(),
            verified,
            present,
            failed,
            modelsFailed));
    if (failed > 0 || modelsFailed > 0) {
      return FAILED;
    }
    if (verified + present == 0) {
      err.println(
          "model-prefetch: the job's metrics show no object verified or present; see the TaskManagers' logs");
      return FAILED;
    }
    models.forEach(model -> out.println(model.modelDir()));
    return OK;
  }

  /**
   * The attempted value of one {@link PrefetchMetrics} counter, summed over steps; 0 when absent.
   */
  static long counter(MetricResults metrics, String name) {
    MetricsFilter filter =
        MetricsFilter.builder()
            .addNameFilter(MetricNameFilter.named(PrefetchMetrics.NAMESPACE, name))
            .build();
    long sum = 0;
    for (MetricResult<Long> result : metrics.queryMetrics(filter).getCounters()) {
      Long attempted = result.getAttempted();
      sum += attempted == null ? 0 : attempted;
    }
    return sum;
  }

  private static int summarize(JsonNode report, PrintStream out, PrintStream err) {
    JsonNode totals = report.path("totals");
    for (JsonNode object : report.path("objects")) {
      if (object.path("status").asText().equals("failed")) {
        err.println(failedLine(object));
      }
    }
    for (JsonNode model : report.path("models")) {
      if (!model.path("error").isNull() && !model.path("error").isMissingNode()) {
        err.println(failedLine(model));
      }
    }
    double seconds = totals.path("seconds").asDouble();
    long fetched = totals.path("bytesFetched").asLong();
    long sizeOnly = totals.path("sizeOnlyObjects").asLong();
    err.println(
        String.format(
            Locale.ROOT,
            "model-prefetch: %d model(s), %d object(s): %d verified, %d already present, %d failed; %s fetched in %.1f s (%s/s)%s",
            totals.path("models").asLong(),
            totals.path("objects").asLong(),
            totals.path("verified").asLong(),
            totals.path("present").asLong(),
            totals.path("failed").asLong(),
            bytes(fetched),
            seconds,
            bytes(totals.path("throughputBytesPerSecond").asLong()),
            sizeOnly == 0
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; %d of them (%s) checked by size only",
                    sizeOnly,
                    bytes(totals.path("sizeOnlyBytes").asLong()))));
    for (JsonNode model : report.path("models")) {
      if (model.path("status").asText().equals("ok")) {
        out.println(Printable.escape(model.path("localPath").asText()));
      }
    }
    return report.path("status").asText().equals("ok") ? OK : FAILED;
  }

  /**
   * {@code FAILED <uri>: <error>} on one line: the URI's key is the store's to choose, so it is
   * escaped ({@link Printable#escape}); the error already quotes keys escaped and is kept on one
   * line.
   */
  static String failedLine(JsonNode entry) {
    return "FAILED "
        + Printable.escape(entry.path("uri").asText())
        + ": "
        + Printable.oneLine(entry.path("error").asText());
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return Printable.oneLine(
        firstLine(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()));
  }

  private static String firstLine(@Nullable String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
