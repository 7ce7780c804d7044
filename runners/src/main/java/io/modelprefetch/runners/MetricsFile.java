package io.modelprefetch.runners;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.transforms.PrefetchMetrics;
import io.modelprefetch.transforms.engine.Progress;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.RetryCause;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.metrics.MetricResults;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --metrics-file FILE}: the run's figures in the Prometheus text exposition format, as
 * node_exporter's textfile collector reads them, rewritten whole (a temporary file in the same
 * folder, renamed over the old one) every progress interval while the run goes on and once at its
 * end.
 *
 * <p>While it runs the figures are the live {@link Progress} of this JVM; at the end, the report
 * (and the job's Beam metrics where the pipeline ran). On a Flink cluster the TaskManagers' work is
 * not seen live, so only the end is written, from the report when it is readable here and from the
 * job's metrics otherwise. {@code model_prefetch_last_success_timestamp_seconds} (for the run and
 * per model) keeps the value the file held before when this run does not succeed, so an alert on
 * its age works across failed runs.
 */
final class MetricsFile {

  static final String PREFIX = "model_prefetch_";
  static final String LAST_SUCCESS = PREFIX + "last_success_timestamp_seconds";
  static final String MODEL_LAST_SUCCESS = PREFIX + "model_last_success_timestamp_seconds";

  private static final Logger LOG = LoggerFactory.getLogger(MetricsFile.class);
  private static final PrometheusTextFormatWriter WRITER =
      PrometheusTextFormatWriter.builder().build();
  private static final Pattern PREVIOUS =
      Pattern.compile(
          "^("
              + LAST_SUCCESS
              + "|"
              + MODEL_LAST_SUCCESS
              + "\\{model=\"((?:[^\"\\\\]|\\\\.)*)\"\\})\\s+(\\S+)\\s*$");

  private final Path file;
  private final List<ModelSource> models;
  private final Instant startedAt;
  private final @Nullable Double previousLastSuccess;
  private final Map<String, Double> previousModelSuccess;
  private boolean liveWriteFailed;

  /** For a run of {@code models} started at {@code startedAt}, into {@code file}. */
  MetricsFile(Path file, List<ModelSource> models, Instant startedAt) {
    this.file = file.toAbsolutePath();
    this.models = models;
    this.startedAt = startedAt;
    Map<String, Double> previous = previous(this.file);
    this.previousLastSuccess = previous.remove("");
    this.previousModelSuccess = previous;
  }

  /**
   * Checks that {@code file} can be written: its folder exists and is writable, and it is not a
   * folder. Throws a {@link UsageException} naming it otherwise.
   */
  static Path check(String file) {
    Path path = Path.of(file).toAbsolutePath().normalize();
    Path folder = path.getParent();
    if (Files.isDirectory(path)) {
      throw new UsageException(
          "--metrics-file '"
              + file
              + "' is a folder; give a file such as "
              + path.resolve("model-prefetch.prom"));
    }
    if (folder == null || !Files.isDirectory(folder)) {
      throw new UsageException(
          "--metrics-file '"
              + file
              + "': its folder "
              + folder
              + " does not exist; create it or"
              + " give node_exporter's textfile directory");
    }
    if (!Files.isWritable(folder)) {
      throw new UsageException(
          "--metrics-file '" + file + "': its folder " + folder + " is not writable by this user");
    }
    return path;
  }

  /** The file with this JVM's live progress: the run is going on. */
  synchronized void writeLive(Progress progress) {
    List<MetricSnapshot> metrics = new ArrayList<>(runMetrics(true, null, null));
    Map<String, Progress.Snapshot> byModel = new LinkedHashMap<>();
    for (ModelSource model : models) {
      byModel.put(model.name(), progress.snapshot(model.modelDir()));
    }
    long fetched = byModel.values().stream().mapToLong(Progress.Snapshot::bytesFetched).sum();
    metrics.add(
        counter(
            "bytes_fetched",
            "Bytes fetched from the object store by this run, refetches included.",
            count(fetched)));
    metrics.addAll(modelMetrics(byModel, null, null));
    try {
      write(metrics);
    } catch (IOException e) {
      if (!liveWriteFailed) {
        liveWriteFailed = true; // said once; the final write reports its own failure
        LOG.warn("--metrics-file {} could not be written: {}", file, e.toString());
      }
    }
  }

  /**
   * The file at the end of the run, from {@code report} (this run's report, or null when it is not
   * readable here) and {@code beam} (the job's metrics, or null when no pipeline ran); {@code
   * succeeded} is the run's outcome.
   */
  synchronized void writeFinal(
      boolean succeeded, @Nullable JsonNode report, @Nullable MetricResults beam)
      throws IOException {
    Instant endedAt = Instant.now();
    List<MetricSnapshot> metrics = new ArrayList<>(runMetrics(false, succeeded, endedAt));
    if (report != null) {
      JsonNode totals = report.path("totals");
      metrics.add(
          counter(
              "bytes_fetched",
              "Bytes fetched from the object store by this run, refetches included.",
              count(totals.path("bytesFetched").asLong())));
      metrics.add(
          counter(
              "objects",
              "Objects of this run by outcome: verified (fetched now), present (already in"
                  + " place), failed.",
              count(totals.path("verified").asLong(), "status", "verified"),
              count(totals.path("present").asLong(), "status", "present"),
              count(totals.path("failed").asLong(), "status", "failed")));
    } else if (beam != null) {
      metrics.add(
          counter(
              "bytes_fetched",
              "Bytes fetched from the object store by this run, refetches included.",
              count(PrefetchRun.counter(beam, PrefetchMetrics.BYTES_FETCHED))));
      metrics.add(
          counter(
              "objects",
              "Objects of this run by outcome: verified (fetched now), present (already in"
                  + " place), failed.",
              count(
                  PrefetchRun.counter(beam, PrefetchMetrics.OBJECTS_VERIFIED),
                  "status",
                  "verified"),
              count(
                  PrefetchRun.counter(beam, PrefetchMetrics.OBJECTS_PRESENT), "status", "present"),
              count(
                  PrefetchRun.counter(beam, PrefetchMetrics.OBJECTS_FAILED), "status", "failed")));
    }
    if (beam != null) {
      metrics.addAll(beamMetrics(beam));
    }
    if (report != null) {
      metrics.addAll(modelMetrics(reportModels(report), modelOutcomes(report, succeeded), endedAt));
    } else {
      metrics.addAll(modelMetrics(new LinkedHashMap<>(), modelOutcomes(null, succeeded), endedAt));
    }
    write(metrics);
  }

  private List<MetricSnapshot> runMetrics(
      boolean running, @Nullable Boolean succeeded, @Nullable Instant endedAt) {
    List<MetricSnapshot> metrics = new ArrayList<>();
    Instant now = endedAt != null ? endedAt : Instant.now();
    metrics.add(
        gauge("running", "1 while the run goes on, 0 once it has ended.", value(running ? 1 : 0)));
    metrics.add(
        gauge(
            "run_start_timestamp_seconds",
            "When the run started, in seconds since the epoch.",
            value(seconds(startedAt))));
    metrics.add(
        gauge(
            "run_duration_seconds",
            "How long the run has taken so far, or took.",
            value((now.toEpochMilli() - startedAt.toEpochMilli()) / 1000.0)));
    metrics.add(gauge("models", "Models in the run.", value(models.size())));
    if (endedAt != null) {
      metrics.add(
          gauge(
              "run_end_timestamp_seconds",
              "When the run ended, in seconds since the epoch.",
              value(seconds(endedAt))));
      metrics.add(
          gauge(
              "run_success",
              "1 when every model of the run is in place and verified, else 0.",
              value(Boolean.TRUE.equals(succeeded) ? 1 : 0)));
    }
    Double lastSuccess =
        Boolean.TRUE.equals(succeeded)
            ? Double.valueOf(
                seconds(Objects.requireNonNull(endedAt, "a run that ended has its end")))
            : previousLastSuccess;
    if (lastSuccess != null) {
      metrics.add(
          gauge(
              "last_success_timestamp_seconds",
              "When a run last succeeded, in seconds since the epoch.",
              value(lastSuccess)));
    }
    return metrics;
  }

  /**
   * Each model's figures; {@code outcomes} (null while running) adds its success and last success,
   * {@code endedAt} for those that succeeded now.
   */
  private List<MetricSnapshot> modelMetrics(
      Map<String, Progress.Snapshot> byModel,
      @Nullable Map<String, Boolean> outcomes,
      @Nullable Instant endedAt) {
    List<MetricSnapshot> metrics = new ArrayList<>();
    if (!byModel.isEmpty()) {
      metrics.add(
          gauge(
              "model_files",
              "Files listed for the model (after the filters).",
              gauges(byModel, Progress.Snapshot::filesTotal)));
      metrics.add(
          gauge(
              "model_files_done",
              "Files of the model in place or failed.",
              gauges(byModel, Progress.Snapshot::filesDone)));
      metrics.add(
          gauge(
              "model_files_failed",
              "Files of the model that failed.",
              gauges(byModel, Progress.Snapshot::filesFailed)));
      metrics.add(
          gauge(
              "model_bytes",
              "Bytes listed for the model.",
              gauges(byModel, Progress.Snapshot::bytesTotal)));
      metrics.add(
          gauge(
              "model_bytes_done",
              "Bytes of the model in place: present, resumed or fetched.",
              gauges(byModel, Progress.Snapshot::bytesDone)));
      metrics.add(
          counter(
              "model_bytes_fetched",
              "Bytes of the model fetched by this run.",
              counts(byModel, Progress.Snapshot::bytesFetched)));
    }
    if (outcomes != null) {
      List<GaugeSnapshot.GaugeDataPointSnapshot> success = new ArrayList<>();
      List<GaugeSnapshot.GaugeDataPointSnapshot> lastSuccess = new ArrayList<>();
      Map<String, Double> last = new LinkedHashMap<>(previousModelSuccess);
      for (Map.Entry<String, Boolean> outcome : outcomes.entrySet()) {
        success.add(gaugePoint(outcome.getValue() ? 1 : 0, outcome.getKey()));
      }
      for (ModelSource model : models) {
        if (Boolean.TRUE.equals(outcomes.get(model.name()))) {
          last.put(
              model.name(),
              seconds(Objects.requireNonNull(endedAt, "outcomes come with their end")));
        }
      }
      last.forEach((name, value) -> lastSuccess.add(gaugePoint(value, name)));
      if (!success.isEmpty()) {
        metrics.add(
            gauge(
                "model_success",
                "1 when the model is in place and verified at the end of this run, else 0.",
                success));
      }
      if (!lastSuccess.isEmpty()) {
        metrics.add(
            gauge(
                "model_last_success_timestamp_seconds",
                "When a run last put the model in place, in seconds since the epoch.",
                lastSuccess));
      }
    }
    return metrics;
  }

  /** Each model's success: the report's, or the run's for every model when there is no report. */
  private Map<String, Boolean> modelOutcomes(@Nullable JsonNode report, boolean succeeded) {
    Map<String, Boolean> outcomes = new LinkedHashMap<>();
    if (report == null) {
      models.forEach(m -> outcomes.put(m.name(), succeeded));
      return outcomes;
    }
    for (JsonNode model : report.path("models")) {
      outcomes.put(model.path("name").asText(), model.path("status").asText().equals("ok"));
    }
    return outcomes;
  }

  /** The report's figures per model, in the shape of {@link Progress.Snapshot}. */
  private static Map<String, Progress.Snapshot> reportModels(JsonNode report) {
    Map<String, Long> fetched = new HashMap<>();
    for (JsonNode object : report.path("objects")) {
      fetched.merge(object.path("model").asText(), object.path("bytesFetched").asLong(), Long::sum);
    }
    Map<String, Progress.Snapshot> byModel = new LinkedHashMap<>();
    for (JsonNode model : report.path("models")) {
      String name = model.path("name").asText();
      long objects = model.path("objects").asLong();
      long failed = model.path("failed").asLong();
      long bytes = model.path("bytes").asLong();
      long failedBytes = 0;
      for (JsonNode object : report.path("objects")) {
        if (object.path("model").asText().equals(name)
            && object.path("status").asText().equals("failed")) {
          failedBytes += object.path("size").asLong();
        }
      }
      byModel.put(
          name,
          new Progress.Snapshot(
              name,
              objects,
              objects,
              failed,
              bytes - failedBytes,
              bytes,
              fetched.getOrDefault(name, 0L)));
    }
    return byModel;
  }

  /** The job's Beam counters that the report does not hold. */
  private static List<MetricSnapshot> beamMetrics(MetricResults beam) {
    List<MetricSnapshot> metrics = new ArrayList<>();
    metrics.add(
        counter(
            "objects_listed",
            "Objects the listings found.",
            count(PrefetchRun.counter(beam, PrefetchMetrics.OBJECTS_LISTED))));
    metrics.add(
        counter(
            "objects_filtered",
            "Objects the filters dropped.",
            count(PrefetchRun.counter(beam, PrefetchMetrics.OBJECTS_FILTERED))));
    metrics.add(
        counter(
            "objects_refetched",
            "Files fetched again whole after a failed verification.",
            count(PrefetchRun.counter(beam, PrefetchMetrics.OBJECTS_REFETCHED))));
    metrics.add(
        counter(
            "models_failed",
            "Models whose listing failed or found nothing to fetch.",
            count(PrefetchRun.counter(beam, PrefetchMetrics.MODELS_FAILED))));
    metrics.add(
        counter(
            "ranges_fetched",
            "Ranged GETs that landed.",
            count(PrefetchRun.counter(beam, PrefetchMetrics.RANGES_FETCHED))));
    metrics.add(
        counter(
            "ranges_resumed",
            "Ranges kept from an interrupted run's journal.",
            count(PrefetchRun.counter(beam, PrefetchMetrics.RANGES_RESUMED))));
    metrics.add(
        counter(
            "range_seconds",
            "Seconds from each range's first request to its bytes on disk, summed;"
                + " divided by ranges_fetched, the mean range latency.",
            count(PrefetchRun.counter(beam, PrefetchMetrics.RANGE_MILLIS_TOTAL) / 1000.0)));
    List<CounterSnapshot.CounterDataPointSnapshot> retries = new ArrayList<>();
    for (RetryCause cause : RetryCause.values()) {
      retries.add(
          count(
              PrefetchRun.counter(beam, PrefetchMetrics.rangeRetries(cause)),
              "cause",
              cause.label()));
    }
    metrics.add(counter("range_retries", "Range retries by cause.", retries));
    return metrics;
  }

  /** Writes {@code metrics} to a temporary file in the same folder and renames it over the file. */
  private void write(List<MetricSnapshot> metrics) throws IOException {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    WRITER.write(text, new MetricSnapshots(metrics), EscapingScheme.UNDERSCORE_ESCAPING);
    // Not *.prom, so the textfile collector never reads it half written.
    Path temporary =
        file.resolveSibling(
            "." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    try (FileChannel channel =
            FileChannel.open(
                temporary,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        OutputStream out = java.nio.channels.Channels.newOutputStream(channel)) {
      text.writeTo(out);
      out.flush();
      channel.force(true);
    }
    try {
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(temporary);
      throw e;
    }
  }

  /**
   * The last-success values {@code file} holds from an earlier run: under "" the run's, and each
   * model's under its name. Empty when there is no such file or it holds none.
   */
  static Map<String, Double> previous(Path file) {
    Map<String, Double> values = new HashMap<>();
    if (!Files.isRegularFile(file)) {
      return values;
    }
    try {
      for (String line : Files.readAllLines(file)) {
        Matcher m = PREVIOUS.matcher(line);
        if (m.matches()) {
          try {
            values.put(
                m.group(2) == null ? "" : unescape(m.group(2)), Double.parseDouble(m.group(3)));
          } catch (NumberFormatException e) {
            // not a value this class wrote: ignored
          }
        }
      }
    } catch (IOException e) {
      LOG.debug("Kept no last-success value from {}: {}", file, e.toString());
    }
    return values;
  }

  /**
   * A label value as the text format escapes it ({@code \\}, {@code \"}, {@code \n}), read back.
   */
  private static String unescape(String escaped) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c == '\\' && i + 1 < escaped.length()) {
        char next = escaped.charAt(++i);
        out.append(next == 'n' ? '\n' : next);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static double seconds(Instant instant) {
    return instant.toEpochMilli() / 1000.0;
  }

  private static GaugeSnapshot gauge(
      String name, String help, GaugeSnapshot.GaugeDataPointSnapshot... points) {
    return gauge(name, help, List.of(points));
  }

  private static GaugeSnapshot gauge(
      String name, String help, List<GaugeSnapshot.GaugeDataPointSnapshot> points) {
    GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(PREFIX + name).help(help);
    points.forEach(b::dataPoint);
    return b.build();
  }

  private static CounterSnapshot counter(
      String name, String help, CounterSnapshot.CounterDataPointSnapshot... points) {
    return counter(name, help, List.of(points));
  }

  private static CounterSnapshot counter(
      String name, String help, List<CounterSnapshot.CounterDataPointSnapshot> points) {
    CounterSnapshot.Builder b = CounterSnapshot.builder().name(PREFIX + name).help(help);
    points.forEach(b::dataPoint);
    return b.build();
  }

  private static GaugeSnapshot.GaugeDataPointSnapshot value(double value) {
    return GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).build();
  }

  private static GaugeSnapshot.GaugeDataPointSnapshot gaugePoint(double value, String model) {
    return GaugeSnapshot.GaugeDataPointSnapshot.builder()
        .value(value)
        .labels(Labels.of("model", model))
        .build();
  }

  private static CounterSnapshot.CounterDataPointSnapshot count(double value) {
    return CounterSnapshot.CounterDataPointSnapshot.builder().value(value).build();
  }

  private static CounterSnapshot.CounterDataPointSnapshot count(
      double value, String label, String labelValue) {
    return CounterSnapshot.CounterDataPointSnapshot.builder()
        .value(value)
        .labels(Labels.of(label, labelValue))
        .build();
  }

  private static List<GaugeSnapshot.GaugeDataPointSnapshot> gauges(
      Map<String, Progress.Snapshot> byModel,
      java.util.function.ToLongFunction<Progress.Snapshot> value) {
    return byModel.entrySet().stream()
        .map(e -> gaugePoint(value.applyAsLong(e.getValue()), e.getKey()))
        .toList();
  }

  private static List<CounterSnapshot.CounterDataPointSnapshot> counts(
      Map<String, Progress.Snapshot> byModel,
      java.util.function.ToLongFunction<Progress.Snapshot> value) {
    return byModel.entrySet().stream()
        .map(e -> count(value.applyAsLong(e.getValue()), "model", e.getKey()))
        .toList();
  }
}
