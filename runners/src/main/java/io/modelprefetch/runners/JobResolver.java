package io.modelprefetch.runners;

import io.modelprefetch.transforms.manifest.Manifest;
import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.Filters;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.plan.DestinationPaths;
import io.modelprefetch.transforms.s3.EndpointResolver;
import io.modelprefetch.transforms.s3.InProcessCredentials;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.verify.Verification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Resolves the command line, {@code --download-extra-config}, the manifest and the environment into
 * a {@link Job}. Precedence: a flag, then the extra config, then the environment, then the {@code
 * --config} file ({@link ClusterConfig}), then the default; a value that is given wins even when it
 * is false or 0.
 */
final class JobResolver {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobResolver.class);

  static final String DEFAULT_LOCAL_DIR = "/tmp/aibrix/models/";

  /** The values given on the command line; null when not given. */
  record Flags(
      @Nullable List<String> modelUris,
      @Nullable String localDir,
      @Nullable String modelName,
      @Nullable Path manifest,
      @Nullable List<String> include,
      @Nullable List<String> exclude,
      @Nullable String extraConfig,
      @Nullable Integer numThreads,
      @Nullable String partThreshold,
      @Nullable String partSize,
      @Nullable List<String> allowFileSuffix,
      @Nullable Boolean forceDownload,
      @Nullable String verify,
      @Nullable String directIo,
      @Nullable String endpoint,
      @Nullable String region,
      EndpointResolver.@Nullable Addressing addressing,
      @Nullable String report,
      @Nullable List<String> pipelineArgs,
      @Nullable Boolean requireDigest,
      @Nullable String stallTimeout,
      @Nullable String structureCheck) {}

  private final Map<String, String> env;
  private final ClusterConfig config;

  JobResolver(Map<String, String> env) {
    this(env, ClusterConfig.NONE);
  }

  /**
   * With {@code config} ({@code --config FILE}) below the flags, the extra config and the
   * environment.
   */
  JobResolver(Map<String, String> env, ClusterConfig config) {
    this.env = env;
    this.config = config;
  }

  /** Resolves a job for the DirectRunner. */
  Job resolve(Flags flags) {
    return resolve(flags, RunnerChoice.DIRECT);
  }

  /**
   * Resolves a job for {@code runner}. When its workers run in other JVMs (a Flink cluster), the
   * recipe names each worker's own environment as the credential source and no key of this process
   * is used.
   */
  Job resolve(Flags flags, RunnerChoice runner) {
    ExtraConfig extra = ExtraConfig.parse(flags.extraConfig());
    logIgnoredAibrixVariables();

    // Given anywhere, the number holds; else a controller adapts it to the link.
    Integer givenThreads =
        firstGiven(
            flags.numThreads(),
            extra.numThreads(),
            env("DOWNLOADER_NUM_THREADS", v -> Values.count("DOWNLOADER_NUM_THREADS", v, 1, 1024)),
            config.numThreads());
    if (givenThreads != null) {
      Values.checkRange("--num-threads", givenThreads, 1, 1024);
    }
    int numThreads = givenThreads == null ? FetchSettings.ADAPTIVE : givenThreads;
    long partSize =
        first(
            flags.partSize() == null ? null : Values.partSize("--part-size", flags.partSize()),
            extra.partChunksize(),
            env("DOWNLOADER_PART_CHUNKSIZE", v -> Values.partSize("DOWNLOADER_PART_CHUNKSIZE", v)),
            config.partSize() == null ? null : Values.size("--config partSize", config.partSize()),
            FetchSettings.DEFAULT_PART_SIZE_BYTES);
    long partThreshold =
        first(
            flags.partThreshold() == null
                ? null
                : Values.size("--part-threshold", flags.partThreshold()),
            extra.partThreshold(),
            env("DOWNLOADER_PART_THRESHOLD", v -> Values.size("DOWNLOADER_PART_THRESHOLD", v)),
            config.partThreshold() == null
                ? null
                : Values.size("--config partThreshold", config.partThreshold()),
            FetchSettings.DEFAULT_PART_SIZE_BYTES);
    // AIBrix trusts a file already in place only while DOWNLOADER_CHECK_FILE_EXIST is true (default
    // "1"): with "0" its need_to_download (aibrix/downloader/utils.py) fetches every file again,
    // whatever force_download says.
    boolean trustLocalFiles =
        first(
            env("DOWNLOADER_CHECK_FILE_EXIST", v -> Values.bool("DOWNLOADER_CHECK_FILE_EXIST", v)),
            true);
    boolean force =
        !trustLocalFiles
            || first(
                flags.forceDownload(),
                extra.forceDownload(),
                env("DOWNLOADER_FORCE_DOWNLOAD", v -> Values.bool("DOWNLOADER_FORCE_DOWNLOAD", v)),
                false);
    List<String> suffixes =
        first(
            flags.allowFileSuffix() == null
                ? null
                : flags.allowFileSuffix().stream()
                    .flatMap(v -> Values.aibrixList(v).stream())
                    .toList(),
            extra.allowFileSuffix(),
            env("DOWNLOADER_ALLOW_FILE_SUFFIX", Values::aibrixList),
            List.of());
    Verification verification =
        first(
            flags.verify() == null ? null : Values.verification("--verify", flags.verify()),
            env("DOWNLOADER_VERIFY", v -> Values.verification("DOWNLOADER_VERIFY", v)),
            Verification.FULL);
    boolean directIo =
        first(
            flags.directIo() == null ? null : Values.bool("--direct-io", flags.directIo()),
            env("DOWNLOADER_DIRECT_IO", v -> Values.bool("DOWNLOADER_DIRECT_IO", v)),
            true);
    boolean requireDigest =
        first(
            flags.requireDigest(),
            env("DOWNLOADER_REQUIRE_DIGEST", v -> Values.bool("DOWNLOADER_REQUIRE_DIGEST", v)),
            false);
    if (requireDigest && verification == Verification.SIZE) {
      throw new UsageException(
          "--require-digest asks for a digest of every object, but --verify size computes none;"
              + " give --verify full (or all) with it, or drop --require-digest");
    }
    Duration stallTimeout =
        first(
            flags.stallTimeout() == null
                ? null
                : Values.duration("--stall-timeout", flags.stallTimeout()),
            env("DOWNLOADER_STALL_TIMEOUT", v -> Values.duration("DOWNLOADER_STALL_TIMEOUT", v)),
            FetchSettings.DEFAULT_STALL_TIMEOUT);
    if (stallTimeout.toMillis() < 100) {
      throw new UsageException(
          "--stall-timeout "
              + stallTimeout.toMillis()
              + "ms is shorter than 100ms: a body that"
              + " pauses that briefly is not stalled; give e.g. 30s");
    }
    boolean structureCheck =
        first(
            flags.structureCheck() == null
                ? null
                : Values.onOff("--structure-check", flags.structureCheck()),
            env("DOWNLOADER_STRUCTURE_CHECK", v -> Values.onOff("DOWNLOADER_STRUCTURE_CHECK", v)),
            true);
    // Every value was checked where it was read, naming its flag, variable or key.
    FetchSettings fetch =
        FetchSettings.defaults()
            .withPartThresholdBytes(partThreshold)
            .withPartSizeBytes(partSize)
            .withMaxInFlightRanges(numThreads)
            .withForceDownload(force)
            .withVerification(verification)
            .withDirectIo(directIo)
            .withRequireDigest(requireDigest)
            .withStallTimeout(stallTimeout)
            .withStructureCheck(structureCheck);

    Manifest manifest = null;
    if (flags.manifest() != null) {
      try {
        manifest = Manifest.read(flags.manifest());
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
    }
    List<String> uris = flags.modelUris() == null ? List.of() : flags.modelUris();
    if (manifest == null && uris.isEmpty()) {
      throw new UsageException(
          "nothing to fetch: give --model-uri s3://bucket/prefix/ (or tos://...) or --manifest FILE");
    }
    if (flags.modelName() != null && uris.size() != 1) {
      throw new UsageException(
          "--model-name names one model, but "
              + uris.size()
              + " --model-uri were given; use a manifest with a 'name' per model");
    }
    String localDir =
        first(
            flags.localDir(),
            manifest == null ? null : manifest.localDir(),
            blankToNull(env.get("DOWNLOADER_LOCAL_DIR")),
            config.localDir(),
            DEFAULT_LOCAL_DIR);
    boolean hadoop = HadoopFiles.isUri(localDir);
    String root = hadoop ? hadoopRoot(localDir) : checkDestination(localDir).toString();

    List<String> notes = new ArrayList<>();
    Map<ObjectUri.Scheme, Map<String, ClientRecipe>> recipes = new HashMap<>();
    List<ModelSource> models = new ArrayList<>();
    ClientRecipe destination = null;
    if (localDir.startsWith("s3a://")) {
      // An s3a:// destination uses the same resolved settings as an s3:// source of its bucket.
      ObjectUri bucket;
      try {
        bucket = ObjectUri.parse("s3://" + localDir.substring("s3a://".length()));
      } catch (IllegalArgumentException e) {
        throw new UsageException(
            "--local-dir '"
                + localDir
                + "': "
                + Objects.requireNonNull(e.getMessage(), "ObjectUri.parse says why")
                    .replace("model URI", "destination"));
      }
      destination =
          recipes
              .computeIfAbsent(bucket.scheme(), sc -> new HashMap<>())
              .computeIfAbsent(
                  bucket.bucket(), b -> recipe(bucket, flags, extra, numThreads, runner, notes));
    }
    Set<String> dirs = new HashSet<>();
    List<Manifest.Entry> entries = new ArrayList<>();
    for (String uri : uris) {
      entries.add(new Manifest.Entry(uri, flags.modelName(), flags.include(), flags.exclude()));
    }
    if (manifest != null) {
      entries.addAll(manifest.models());
    }
    for (Manifest.Entry entry : entries) {
      ObjectUri location;
      try {
        location = ObjectUri.parse(entry.uri());
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      String name = entry.name() != null ? entry.name() : location.inferModelName();
      checkModelName(entry.uri(), name);
      String modelDir;
      try {
        modelDir = hadoop ? root + "/" + name : Path.of(root).resolve(name).toString();
      } catch (java.nio.file.InvalidPathException e) {
        throw new UsageException(
            "model name '"
                + name
                + "' for "
                + entry.uri()
                + " cannot be a folder name in this JVM,"
                + " whose file names are in "
                + DestinationPaths.FILE_NAME_ENCODING
                + "; run it with LC_ALL=C.UTF-8");
      }
      if (!dirs.add(modelDir.toString())) {
        throw new UsageException(
            "two models would land in " + modelDir + "; give each a distinct name");
      }
      Filters filters;
      try {
        filters = new Filters(entry.includeOrEmpty(), entry.excludeOrEmpty(), suffixes);
      } catch (IllegalArgumentException e) {
        throw new UsageException("model " + entry.uri() + ": " + e.getMessage());
      }
      ClientRecipe recipe =
          recipes
              .computeIfAbsent(location.scheme(), s -> new HashMap<>())
              .computeIfAbsent(
                  location.bucket(),
                  b -> recipe(location, flags, extra, numThreads, runner, notes));
      models.add(
          new ModelSource(
              entry.uri().strip(),
              location,
              name,
              modelDir,
              filters,
              recipe,
              entry.sha256OrEmpty(),
              destination));
    }
    checkReportOutsideModels(flags.report(), models, root);
    if (PrefetchRun.STDOUT.equals(flags.report()) && runner.remoteWorkers()) {
      throw new UsageException(
          "--report - cannot print a report that a TaskManager of the cluster writes;"
              + " give --report a path on a folder shared with the TaskManagers");
    }
    List<String> pipelineArgs = new ArrayList<>(runner.pipelineArgs());
    if (flags.pipelineArgs() != null) {
      pipelineArgs.addAll(flags.pipelineArgs());
    }
    return new Job(
        models,
        fetch,
        List.copyOf(new LinkedHashSet<>(notes)),
        flags.report(),
        List.copyOf(pipelineArgs));
  }

  private ClientRecipe recipe(
      ObjectUri location,
      Flags flags,
      ExtraConfig extra,
      int numThreads,
      RunnerChoice runner,
      List<String> notes) {
    boolean tos = location.scheme() == ObjectUri.Scheme.TOS;
    String endpointSource;
    String endpoint;
    if (flags.endpoint() != null) {
      endpointSource = "--endpoint";
      endpoint = flags.endpoint();
    } else if (extra.endpoint() != null) {
      endpointSource = "--download-extra-config endpoint";
      endpoint = extra.endpoint();
    } else if (tos) {
      endpointSource = "TOS_ENDPOINT";
      endpoint = env.get("TOS_ENDPOINT");
    } else {
      endpointSource =
          env.get("AWS_ENDPOINT_URL_S3") != null ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL";
      endpoint = env.get(endpointSource);
    }
    if (isBlank(endpoint) && config.endpoint(location.scheme()) != null) {
      endpointSource = "--config " + (tos ? "tos" : "s3") + ".endpoint";
      endpoint = config.endpoint(location.scheme());
    }
    String regionSource;
    String region;
    if (flags.region() != null) {
      regionSource = "--region";
      region = flags.region();
    } else if (extra.region() != null) {
      regionSource = "--download-extra-config region";
      region = extra.region();
    } else if (tos) {
      regionSource = "TOS_REGION";
      region = env.get("TOS_REGION");
    } else {
      regionSource = env.get("AWS_REGION") != null ? "AWS_REGION" : "AWS_DEFAULT_REGION";
      region = env.get(regionSource);
    }
    if (isBlank(region) && config.region(location.scheme()) != null) {
      regionSource = "--config " + (tos ? "tos" : "s3") + ".region";
      region = config.region(location.scheme());
    }
    EndpointResolver.Resolved resolved;
    try {
      resolved =
          EndpointResolver.resolve(
              new EndpointResolver.Request(
                  location.scheme(),
                  location.bucket(),
                  endpoint,
                  endpointSource,
                  region,
                  regionSource,
                  flags.addressing()));
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    if (resolved.note() != null) {
      notes.add(resolved.note());
    }
    String caBundle = env.get("AWS_CA_BUNDLE");
    if (caBundle != null && !caBundle.isBlank() && !Files.isReadable(Path.of(caBundle))) {
      throw new UsageException(
          "AWS_CA_BUNDLE '"
              + caBundle
              + "' is not a readable file; point it at a PEM file of CA certificates");
    }
    return new ClientRecipe(
        resolved.endpoint(),
        resolved.region(),
        resolved.addressing() == EndpointResolver.Addressing.PATH_STYLE,
        true,
        runner.remoteWorkers() ? workerCredentials(tos, extra) : credentials(tos, extra),
        caBundle == null || caBundle.isBlank() ? null : caBundle,
        // every range in flight, and room for listings and HEADs
        (numThreads == FetchSettings.ADAPTIVE ? FetchSettings.ADAPTIVE_CEILING : numThreads) + 16);
  }

  /**
   * Keys from the command line or this process's environment stay in this JVM (the DirectRunner's
   * workers share it); without keys, workers use the SDK's default chain.
   */
  private CredentialsSource credentials(boolean tos, ExtraConfig extra) {
    if (extra.ak() != null || extra.sk() != null) {
      if (extra.ak() == null || extra.sk() == null) {
        throw new UsageException(
            "--download-extra-config has only one of 'ak' and 'sk'; give both or neither");
      }
      return InProcessCredentials.register("download-extra-config", extra.ak(), extra.sk(), null);
    }
    String accessKey = tos ? env.get("TOS_ACCESS_KEY") : env.get("AWS_ACCESS_KEY_ID");
    String secretKey = tos ? env.get("TOS_SECRET_KEY") : env.get("AWS_SECRET_ACCESS_KEY");
    String token = tos ? env.get("TOS_SECURITY_TOKEN") : env.get("AWS_SESSION_TOKEN");
    if (!isBlank(accessKey) && !isBlank(secretKey)) {
      return InProcessCredentials.register(
          tos ? "tos-environment" : "aws-environment",
          Objects.requireNonNull(accessKey, "not blank"),
          Objects.requireNonNull(secretKey, "not blank"),
          token);
    }
    if (tos && (!isBlank(accessKey) || !isBlank(secretKey))) {
      throw new UsageException("only one of TOS_ACCESS_KEY and TOS_SECRET_KEY is set; set both");
    }
    return CredentialsSource.of(CredentialsSource.Type.AWS_DEFAULT_CHAIN);
  }

  /**
   * For workers in other JVMs: each resolves its keys from its own environment ({@code TOS_*} for
   * tos://, the AWS SDK's default chain for s3://). Keys given only to this process cannot reach
   * them, so keys in {@code --download-extra-config} are refused rather than silently dropped.
   */
  private static CredentialsSource workerCredentials(boolean tos, ExtraConfig extra) {
    if (extra.ak() != null || extra.sk() != null) {
      throw new UsageException(
          "--download-extra-config 'ak'/'sk' cannot reach the TaskManagers of a Flink cluster;"
              + " remove them and set "
              + (tos
                  ? "TOS_ACCESS_KEY and TOS_SECRET_KEY"
                  : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
              + " in the TaskManagers' environment");
    }
    return CredentialsSource.of(
        tos ? CredentialsSource.Type.TOS_ENVIRONMENT : CredentialsSource.Type.AWS_DEFAULT_CHAIN);
  }

  /**
   * A Hadoop file system destination: {@code s3a://bucket/prefix}, {@code hdfs://...}, {@code
   * file:///...}.
   */
  private static String hadoopRoot(String localDir) {
    String scheme =
        localDir.substring(0, localDir.indexOf("://")).toLowerCase(java.util.Locale.ROOT);
    if (!List.of("s3a", "hdfs", "file", "viewfs", "abfs", "abfss", "gs", "o3fs", "ofs")
        .contains(scheme)) {
      throw new UsageException(
          "--local-dir '"
              + localDir
              + "' has scheme '"
              + scheme
              + "'; give a local folder or a Hadoop file system URI (s3a://bucket/prefix/, hdfs://namenode/path/, file:///path/)");
    }
    return localDir.replaceAll("/+$", "");
  }

  /** Refuses a destination that is a file or cannot be written; writes nothing. */
  private static Path checkDestination(String localDir) {
    Path root;
    try {
      root = Path.of(localDir).toAbsolutePath().normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new UsageException(
          "--local-dir '"
              + localDir
              + "' is not a path this JVM can write ("
              + e.getReason()
              + "): its file names are in "
              + DestinationPaths.FILE_NAME_ENCODING
              + "; run it with LC_ALL=C.UTF-8");
    }
    Path existing = root;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      throw new UsageException("--local-dir '" + localDir + "' has no existing parent folder");
    }
    if (!Files.isDirectory(existing)) {
      throw new UsageException(
          "--local-dir '"
              + localDir
              + "': "
              + existing
              + " is a file, not a folder; choose another destination");
    }
    if (!Files.isWritable(existing)) {
      throw new UsageException(
          "--local-dir '"
              + localDir
              + "': "
              + existing
              + " is not writable by this user; choose another destination or fix its permissions");
    }
    return root;
  }

  /**
   * Refuses a {@code --report} path inside a model folder (also through a link): the report's
   * rename could replace one of the model's verified files.
   */
  private static void checkReportOutsideModels(
      @Nullable String report, List<ModelSource> models, String root) {
    if (report == null || PrefetchRun.STDOUT.equals(report) || HadoopFiles.isUri(report)) {
      return;
    }
    Path path;
    try {
      path = Path.of(report).toAbsolutePath().normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new UsageException(
          "--report '" + report + "' is not a path this JVM can write: " + e.getReason());
    }
    for (ModelSource model : models) {
      if (HadoopFiles.isUri(model.modelDir())) {
        continue;
      }
      Path dir = Path.of(model.modelDir());
      if (path.startsWith(dir) || real(path).startsWith(real(dir))) {
        throw new UsageException(
            "--report '"
                + report
                + "' is inside the model folder "
                + dir
                + ", where writing it could replace one of the model's files; write the report outside every model folder,"
                + " e.g. --report "
                + Path.of(root).resolve(".reports").resolve("report.json"));
      }
    }
  }

  /** {@code path} with the links of its existing part resolved. */
  private static Path real(Path path) {
    Path existing = path;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    try {
      return existing == null ? path : existing.toRealPath().resolve(existing.relativize(path));
    } catch (java.io.IOException e) {
      return path;
    }
  }

  private static void checkModelName(String uri, String name) {
    if (name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.contains("/")
        || name.contains("\0")) {
      throw new UsageException(
          "model name '"
              + name
              + "' for "
              + uri
              + " is not a folder name; give --model-name (or 'name' in the manifest) without '/'");
    }
  }

  /**
   * AIBrix variables that mean nothing here (aibrix/envs.py): boto3's transfer tuning, the TOS
   * SDK's version and CRC switch, the Hugging Face source. Named at debug level so a switched job's
   * environment is accounted for; their values are never shown (HF_TOKEN is a secret).
   */
  private static final List<String> IGNORED_AIBRIX_VARIABLES =
      List.of(
          "DOWNLOADER_S3_MAX_IO_QUEUE",
          "DOWNLOADER_S3_IO_CHUNKSIZE",
          "DOWNLOADER_TOS_VERSION",
          "TOS_ENABLE_CRC",
          "HF_TOKEN",
          "HF_ENDPOINT",
          "HF_REVISION");

  private void logIgnoredAibrixVariables() {
    List<String> set = IGNORED_AIBRIX_VARIABLES.stream().filter(env::containsKey).toList();
    if (!set.isEmpty()) {
      LOG.debug("{} are AIBrix settings with no meaning here; ignored", set);
    }
  }

  private <T> @Nullable T env(String name, java.util.function.Function<String, T> parse) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : parse.apply(value);
  }

  /** The first of {@code values} that is not null, or null when none is. */
  @SafeVarargs
  private static <T> @Nullable T firstGiven(@Nullable T... values) {
    for (T value : values) {
      if (value != null) {
        return value;
      }
    }
    return null;
  }

  /** The first of {@code values} that is not null; the last is the default, never null. */
  @SafeVarargs
  private static <T> T first(@Nullable T... values) {
    return Objects.requireNonNull(firstGiven(values), "the last value is a default");
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return isBlank(s) ? null : s;
  }

  private static boolean isBlank(@Nullable String s) {
    return s == null || s.isBlank();
  }
}
