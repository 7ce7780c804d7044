package io.modelprefetch.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A standalone Flink 1.19 session cluster of separate JVMs on 127.0.0.1, started from Maven jars
 * the way Flink's scripts start it (memory flags from {@code BashJavaUtils}): one JobManager and
 * {@code taskManagers} TaskManagers, each with its own environment.
 */
final class FlinkCluster implements AutoCloseable {

  private static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
  private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

  private final Path dir;
  private final int restPort;
  private final List<Process> processes = new ArrayList<>();
  private final List<Path> logs = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private FlinkCluster(Path dir, int restPort) {
    this.dir = dir;
    this.restPort = restPort;
  }

  /**
   * Starts the cluster in {@code dir} and returns once every TaskManager has registered.
   *
   * @param taskManagerEnv the environment of each TaskManager (its credentials)
   */
  static FlinkCluster start(
      Path dir, int taskManagers, int slotsPerTaskManager, Map<String, String> taskManagerEnv)
      throws Exception {
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    int restPort = freePort();
    Files.writeString(
        conf.resolve("config.yaml"),
        String.join(
            "\n",
            "jobmanager.rpc.address: 127.0.0.1",
            "jobmanager.rpc.port: " + freePort(),
            "jobmanager.bind-host: 127.0.0.1",
            "jobmanager.memory.process.size: 1024m",
            "taskmanager.bind-host: 127.0.0.1",
            "taskmanager.host: 127.0.0.1",
            "taskmanager.memory.process.size: 1536m",
            "taskmanager.numberOfTaskSlots: " + slotsPerTaskManager,
            "rest.address: 127.0.0.1",
            "rest.bind-address: 127.0.0.1",
            "rest.port: " + restPort,
            "io.tmp.dirs: " + tmp,
            "restart-strategy.type: none",
            "parallelism.default: 1",
            ""));
    FlinkCluster cluster = new FlinkCluster(dir, restPort);
    try {
      String classPath = ChildJvm.clusterClassPath();
      List<String> confArgs = List.of("--configDir", conf.toString());
      List<String> jm = resourceParams(classPath, "GET_JM_RESOURCE_PARAMS", conf, dir);
      cluster.launch(
          classPath,
          jm,
          "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
          confArgs,
          Map.of(),
          "jobmanager");
      List<String> tm = resourceParams(classPath, "GET_TM_RESOURCE_PARAMS", conf, dir);
      for (int i = 0; i < taskManagers; i++) {
        cluster.launch(
            classPath,
            tm,
            "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
            confArgs,
            taskManagerEnv,
            "taskmanager-" + i);
      }
      cluster.awaitTaskManagers(taskManagers, Duration.ofSeconds(90));
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * The JVM flags and the dynamic properties Flink computes for a process of this configuration:
   * the first result line holds JVM arguments; the last holds {@code -D key=value} program
   * arguments. Returned as JVM flags, dynamic properties marked with a leading {@code DYNAMIC:}.
   */
  private static List<String> resourceParams(String classPath, String command, Path conf, Path dir)
      throws Exception {
    Path log = dir.resolve(command.toLowerCase() + ".log");
    Process p =
        ChildJvm.start(
            classPath,
            List.of(),
            BASH_JAVA_UTILS,
            List.of(command, "--configDir", conf.toString()),
            Map.of(),
            log);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(command + " failed:\n" + Files.readString(log));
    }
    List<String> results =
        Files.readAllLines(log).stream()
            .filter(l -> l.startsWith(RESULT_PREFIX))
            .map(l -> l.substring(RESULT_PREFIX.length()).strip())
            .toList();
    if (results.size() < 2) {
      throw new IllegalStateException(
          command + " printed no resource parameters:\n" + Files.readString(log));
    }
    List<String> params = new ArrayList<>(Arrays.asList(results.get(0).split("\\s+")));
    for (String dynamic : results.get(results.size() - 1).split("\\s+")) {
      if (!dynamic.isEmpty()) {
        params.add("DYNAMIC:" + dynamic);
      }
    }
    return params;
  }

  private void launch(
      String classPath,
      List<String> params,
      String mainClass,
      List<String> confArgs,
      Map<String, String> env,
      String name)
      throws IOException {
    List<String> jvm = new ArrayList<>();
    List<String> args = new ArrayList<>(confArgs);
    for (String p : params) {
      if (p.startsWith("DYNAMIC:")) {
        args.add(p.substring("DYNAMIC:".length()));
      } else if (!p.isEmpty()) {
        jvm.add(p);
      }
    }
    jvm.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
    jvm.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    Path log = dir.resolve(name + ".log");
    logs.add(log);
    processes.add(ChildJvm.start(classPath, jvm, mainClass, args, env, log));
  }

  private void awaitTaskManagers(int expected, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    int registered = -1;
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < processes.size(); i++) {
        if (!processes.get(i).isAlive()) {
          throw new IllegalStateException(
              logs.get(i).getFileName()
                  + " exited with "
                  + processes.get(i).exitValue()
                  + ":\n"
                  + tail(logs.get(i)));
        }
      }
      try {
        registered = get("/taskmanagers").path("taskmanagers").size();
        if (registered >= expected) {
          return;
        }
      } catch (IOException notUpYet) {
        // the REST endpoint is not listening yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        registered
            + " of "
            + expected
            + " TaskManagers registered within "
            + timeout
            + "\n"
            + tail(logs.get(0)));
  }

  String master() {
    return "127.0.0.1:" + restPort;
  }

  /** GET on the REST API, as JSON. */
  JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "GET " + path + " answered " + response.statusCode() + ": " + response.body());
    }
    return new ObjectMapper().readTree(response.body());
  }

  /** Every log of the cluster, concatenated. */
  String logs() throws IOException {
    StringBuilder all = new StringBuilder();
    for (Path log : logs) {
      all.append(Files.readString(log, StandardCharsets.UTF_8));
    }
    return all.toString();
  }

  List<Path> logFiles() {
    return List.copyOf(logs);
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

  /** Stops the TaskManagers, then the JobManager, and waits for each to exit. */
  @Override
  public void close() throws InterruptedException {
    for (int i = processes.size() - 1; i >= 0; i--) {
      ChildJvm.stop(processes.get(i));
    }
  }
}
