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
 * Resolves the command line, {@code --download-extra-config}, the manifest, the environment and the
 * {@code --config} file ({@link ClusterConfig}) into a {@link Job}; every setting by {@link
 * Setting}'s table, walked by {@link Sources}.
 */
final class JobResolver {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobResolver.class);

  static final String DEFAULT_LOCAL_DIR = "/tmp/aibrix/models/";

  /**
   * What the command line gives: the models, the documents it names, the report, the pass-through
   * pipeline options, and the text of each {@link Setting}'s flag that was given, by flag name
   * ({@code "--num-threads" -> "8"}). A null is not given.
   */
  record Flags(
      @Nullable List<String> modelUris,
      @Nullable String modelName,
      @Nullable Path manifest,
      @Nullable List<String> include,
      @Nullable List<String> exclude,
      @Nullable String extraConfig,
      @Nullable String report,
      @Nullable List<String> pipelineArgs,
      Map<String, String> settings) {

    Flags {
      Map<String, String> given = new HashMap<>();
      settings.forEach(
          (flag, text) -> {
            if (text != null) {
              given.put(flag, text);
            }
          });
      settings = Map.copyOf(given);
    }

    /** Only {@code modelUris} and the flags of {@code settings}. */
    static Flags of(List<String> modelUris, Map<String, String> settings) {
      return new Flags(modelUris, null, null, null, null, null, null, List.of(), settings);
    }
  }

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
    Sources given = Sources.of(flags, env, config);
    given.extraConfig().logIgnoredKeys();
    logIgnoredAibrixVariables();

    EndpointResolver.@Nullable Addressing addressing = given.valueOrNull(Setting.ADDRESSING);
    int numThreads = given.value(Setting.NUM_THREADS);
    long partSize = given.value(Setting.PART_SIZE);
    long partThreshold = given.value(Setting.PART_THRESHOLD);
    boolean force = !given.value(Setting.CHECK_FILE_EXIST) || given.value(Setting.FORCE_DOWNLOAD);
    List<String> suffixes = given.value(Setting.ALLOW_FILE_SUFFIX);
    Verification verification = given.value(Setting.VERIFY);
    boolean directIo = given.value(Setting.DIRECT_IO);
    boolean requireDigest = given.value(Setting.REQUIRE_DIGEST);
    if (requireDigest && verification == Verification.SIZE) {
      throw new UsageException(
          "--require-digest asks for a digest of every object, but --verify size computes none;"
              + " give --verify full (or all) with it, or drop --require-digest");
    }
    Duration stallTimeout = given.value(Setting.STALL_TIMEOUT);
    if (stallTimeout.toMillis() < 100) {
      throw new UsageException(
          "--stall-timeout "
              + stallTimeout.toMillis()
              + "ms is shorter than 100ms: a body that"
              + " pauses that briefly is not stalled; give e.g. 30s");
    }
    boolean structureCheck = given.value(Setting.STRUCTURE_CHECK);
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
    Sources sources = given.withManifest(manifest);
    String localDir = sources.value(Setting.LOCAL_DIR);
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
                  bucket.bucket(),
                  b -> recipe(bucket, sources, addressing, numThreads, runner, notes));
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
                  b -> recipe(location, sources, addressing, numThreads, runner, notes));
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
      Sources sources,
      EndpointResolver.@Nullable Addressing addressing,
      int numThreads,
      RunnerChoice runner,
      List<String> notes) {
    boolean tos = location.scheme() == ObjectUri.Scheme.TOS;
    ExtraConfig extra = sources.extraConfig();
    Sources.Resolved<String> endpoint =
        sources.resolve(tos ? Setting.TOS_ENDPOINT : Setting.S3_ENDPOINT);
    Sources.Resolved<String> region = sources.resolve(tos ? Setting.TOS_REGION : Setting.S3_REGION);
    EndpointResolver.Resolved resolved;
    try {
      resolved =
          EndpointResolver.resolve(
              new EndpointResolver.Request(
                  location.scheme(),
                  location.bucket(),
                  endpoint.value(),
                  endpoint.source(),
                  region.value(),
                  region.source(),
                  addressing));
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

  private static boolean isBlank(@Nullable String s) {
    return s == null || s.isBlank();
  }
}
