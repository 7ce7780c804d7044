package io.modelprefetch.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import io.modelprefetch.runners.demo.ThrottledRelay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: serves a generated model from an embedded S3-compatible server (S3Proxy) on
 * 127.0.0.1, prefetches it with the DirectRunner, prints the report and stops the server.
 */
@Command(
    name = "demo",
    description =
        "Serve a generated model from an embedded S3 server on 127.0.0.1 and prefetch it (DirectRunner).",
    sortOptions = false,
    mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {

  static final String BUCKET = "models";
  static final String PREFIX = "demo/tiny-llama/";

  @Option(
      names = "--local-dir",
      paramLabel = "DIR",
      description = "Destination root. Default: <tmp>/model-prefetch-demo/models")
  Path localDir = Path.of(System.getProperty("java.io.tmpdir"), "model-prefetch-demo", "models");

  @Option(
      names = "--part-size",
      paramLabel = "SIZE",
      description = "Range size. Default: 2MiB (small, to show ranges).")
  String partSize = "2MiB";

  @Option(
      names = "--part-threshold",
      paramLabel = "SIZE",
      description = "Split objects above this. Default: 4MiB.")
  String partThreshold = "4MiB";

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description = "Report path. Default: DIR/../report.json")
  @Nullable Path report;

  @Option(
      names = "--bandwidth",
      paramLabel = "SIZE",
      description =
          "The server's answers per second, so the progress display has time to show; 0 for no limit."
              + " Default: 8MiB.")
  String bandwidth = "8MiB";

  @Option(
      names = "--progress-interval",
      paramLabel = "DURATION",
      description =
          "How often progress is shown: redrawn in place on a terminal, lines otherwise. Default: 250ms.")
  String progressInterval = "250ms";

  private final Main.Context context;

  DemoCommand(Main.Context context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    Path reportPath =
        report != null
            ? report
            : Objects.requireNonNull(localDir.toAbsolutePath().getParent(), "DIR is not the root")
                .resolve("report.json");
    Path data = Files.createTempDirectory("model-prefetch-demo-s3-");
    long bytesPerSecond = Values.size("--bandwidth", bandwidth);
    PrefetchRun.Display display =
        new PrefetchRun.Display(
            Values.duration("--progress-interval", progressInterval),
            ProgressReporter.stderrIsTerminal());
    try (EmbeddedS3 server = EmbeddedS3.start(data);
        ThrottledRelay relay =
            bytesPerSecond > 0 ? ThrottledRelay.start(server.endpoint(), bytesPerSecond) : null) {
      DemoModel.upload(server.admin(), BUCKET, PREFIX, DemoModel.SMALL_MODEL);
      context
          .err()
          .println(
              "model-prefetch demo: S3Proxy serves s3://"
                  + BUCKET
                  + "/"
                  + PREFIX
                  + " ("
                  + DemoModel.SMALL_MODEL.size()
                  + " files) at "
                  + server.endpoint()
                  + (relay == null
                      ? ""
                      : ", through "
                          + relay.endpoint()
                          + " at "
                          + PrefetchRun.bytes(bytesPerSecond)
                          + "/s"));
      Map<String, String> env =
          server.environment(relay == null ? server.endpoint() : relay.endpoint());
      Map<String, String> settings = new HashMap<>();
      settings.put("--local-dir", localDir.toString());
      settings.put("--part-threshold", partThreshold);
      settings.put("--part-size", partSize);
      var flags =
          new JobResolver.Flags(
              List.of("s3://" + BUCKET + "/" + PREFIX),
              null,
              null,
              null,
              null,
              null,
              reportPath.toString(),
              List.of(),
              settings);
      int status =
          PrefetchRun.execute(
              new JobResolver(env).resolve(flags),
              null,
              RunnerChoice.DIRECT,
              PrefetchRun.LockPolicy.NO_WAIT,
              display,
              context.out(),
              context.err());
      printTable(reportPath);
      context.err().println("model-prefetch demo: report written to " + reportPath);
      return status;
    } finally {
      deleteTree(data);
    }
  }

  private void printTable(Path reportPath) throws IOException {
    if (!Files.exists(reportPath)) {
      return;
    }
    JsonNode report = new ObjectMapper().readTree(reportPath.toFile());
    for (JsonNode o : report.path("objects")) {
      context
          .err()
          .println(
              String.format(
                  Locale.ROOT,
                  "  %-9s %-13s %10s  %s",
                  o.path("status").asText(),
                  o.path("verifiedBy").asText("-"),
                  PrefetchRun.bytes(o.path("size").asLong()),
                  o.path("relativePath").asText()));
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
