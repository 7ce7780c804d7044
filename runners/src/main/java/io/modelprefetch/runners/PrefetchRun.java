package io.modelprefetch.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.pipeline.PrefetchOptions;
import io.modelprefetch.pipeline.PrefetchPipeline;
import io.modelprefetch.transforms.model.ModelSource;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a resolved {@link Job} and turns its report into the exit status and the output. */
final class PrefetchRun {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  private static final Logger LOG = LoggerFactory.getLogger(PrefetchRun.class);

  private PrefetchRun() {}

  /**
   * Runs {@code job}. Prints the path of each complete model on {@code out}, one per line, and the
   * summary and failures on {@code err}.
   *
   * @return {@link #OK} when every object is verified in place, else {@link #FAILED}
   */
  static int execute(Job job, PrintStream out, PrintStream err) throws IOException {
    PrefetchOptions options;
    try {
      options = PipelineOptionsFactory.fromArgs(job.pipelineArgs().toArray(String[]::new)).as(PrefetchOptions.class);
    } catch (IllegalArgumentException e) {
      throw new UsageException("pipeline option: " + firstLine(e.getMessage()));
    }
    options.as(ApplicationNameOptions.class).setAppName("model-prefetch");
    options.setNumThreads(job.fetch().maxInFlightRanges());
    options.setPartThresholdBytes(job.fetch().partThresholdBytes());
    options.setPartSizeBytes(job.fetch().partSizeBytes());
    options.setMaxAttempts(job.fetch().maxAttempts());
    options.setForceDownload(job.fetch().forceDownload());
    Path report = job.reportPath() != null
        ? Path.of(job.reportPath()).toAbsolutePath()
        : Files.createTempFile("model-prefetch-report-", ".json");
    options.setReportPath(report.toString());
    job.notes().forEach(note -> LOG.info(note));
    for (ModelSource model : job.models()) {
      LOG.info("Prefetching {} into {} ({})", model.uri(), model.modelDir(), model.client().describe());
    }

    try {
      Pipeline pipeline = PrefetchPipeline.build(Pipeline.create(options), job.models(), job.notes());
      PipelineResult.State state = pipeline.run().waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        err.println("model-prefetch: the pipeline ended in state " + state);
        return FAILED;
      }
      return summarize(new ObjectMapper().readTree(report.toFile()), out, err);
    } catch (RuntimeException e) {
      err.println("model-prefetch: the pipeline failed: " + rootMessage(e));
      return FAILED;
    } finally {
      if (job.reportPath() == null) {
        Files.deleteIfExists(report);
      }
    }
  }

  private static int summarize(JsonNode report, PrintStream out, PrintStream err) {
    JsonNode totals = report.path("totals");
    for (JsonNode object : report.path("objects")) {
      if (object.path("status").asText().equals("failed")) {
        err.println("FAILED " + object.path("uri").asText() + ": " + object.path("error").asText());
      }
    }
    for (JsonNode model : report.path("models")) {
      if (!model.path("error").isNull() && !model.path("error").isMissingNode()) {
        err.println("FAILED " + model.path("uri").asText() + ": " + model.path("error").asText());
      }
    }
    double seconds = totals.path("seconds").asDouble();
    long fetched = totals.path("bytesFetched").asLong();
    err.println(String.format(Locale.ROOT,
        "model-prefetch: %d model(s), %d object(s): %d verified, %d already present, %d failed; %s fetched in %.1f s (%s/s)",
        totals.path("models").asLong(), totals.path("objects").asLong(), totals.path("verified").asLong(),
        totals.path("present").asLong(), totals.path("failed").asLong(), bytes(fetched), seconds,
        bytes(totals.path("throughputBytesPerSecond").asLong())));
    for (JsonNode model : report.path("models")) {
      if (model.path("status").asText().equals("ok")) {
        out.println(model.path("localPath").asText());
      }
    }
    return report.path("status").asText().equals("ok") ? OK : FAILED;
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
    return firstLine(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
