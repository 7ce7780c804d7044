package io.modelprefetch.runners;

import io.modelprefetch.runners.doctor.Doctor;
import io.modelprefetch.transforms.model.ModelSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code doctor}: checks step by step that a model can be reached with the settings a run would
 * use, and explains the first failure.
 */
@Command(
    name = "doctor",
    description =
        "Check that a model can be reached (endpoint, DNS, TCP, TLS, a signed request, the objects) and explain any failure.",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    footer = {
      "",
      "Takes the same environment (TOS_*, AWS_*, AWS_CA_BUNDLE), endpoint options and --config file as 'run';"
          + " prints no secret.",
      "Exit status: 0 every check passed; 1 a check failed (its line says why and how to fix it); 2 bad input."
    })
final class DoctorCommand implements Callable<Integer> {

  @Option(
      names = "--model-uri",
      paramLabel = "URI",
      required = true,
      description = "s3://bucket/prefix/, tos://bucket/prefix/ or a single object.")
  @Nullable String modelUri;

  @CommandLine.Mixin EndpointOptions connection = new EndpointOptions();

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The YAML file 'run --config' takes; the doctor uses its s3/tos endpoint and region and its addressing,"
              + " below flags and environment.")
  @Nullable Path configFile;

  @Option(names = "--verbose", description = "Log at debug level, libraries included.")
  boolean verbose;

  private final Main.Context context;

  DoctorCommand(Main.Context context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    Job job = job();
    ModelSource model = job.models().get(0);
    boolean passed = new Doctor(model.location(), model.client(), job.notes(), context.out()).run();
    return passed ? PrefetchRun.OK : PrefetchRun.FAILED;
  }

  /**
   * The job a run with these options would resolve: the doctor checks exactly what a run would use.
   */
  Job job() {
    ClusterConfig config = ClusterConfig.read(configFile);
    RunCommand run = new RunCommand(context);
    run.modelUris = List.of(Objects.requireNonNull(modelUri, "--model-uri is required"));
    run.localDir = System.getProperty("java.io.tmpdir");
    run.connection = connection;
    return new JobResolver(context.env(), config).resolve(run.flags());
  }
}
