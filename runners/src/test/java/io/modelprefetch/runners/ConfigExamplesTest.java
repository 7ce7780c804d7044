package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The Kubernetes examples ({@code configs/k8s/*.yaml}) are valid objects of the Kubernetes API as
 * fabric8's model has it (an unknown or misspelt field fails), and run the image the Dockerfile
 * builds the way it starts itself: with the shared JVM options file ({@code configs/jvm.options})
 * and arguments the CLI accepts.
 */
class ConfigExamplesTest {

  static final Path REPO = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
  static final Path K8S = REPO.resolve("configs/k8s");
  static final List<String> COMMAND =
      List.of(
          "java",
          "@/opt/model-prefetch/jvm.options",
          "-jar",
          "/opt/model-prefetch/model-prefetch.jar");
  static final Pattern IMAGE = Pattern.compile("(?:[^/]+/)*model-prefetch:(\\S+)");

  static final Map<String, Class<? extends HasMetadata>> KINDS =
      Map.of("batch/v1/CronJob", CronJob.class, "apps/v1/DaemonSet", DaemonSet.class);

  /** Every YAML document of every example, as a typed fabric8 object. */
  static List<HasMetadata> examples() throws IOException {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    List<HasMetadata> objects = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> list = Files.list(K8S)) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertEquals(
        List.of("cronjob-shared-volume.yaml", "daemonset-node-local.yaml"),
        files.stream().map(p -> p.getFileName().toString()).toList());
    for (Path file : files) {
      try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
        for (JsonNode document : yaml.readValues(parser, JsonNode.class).readAll()) {
          if (document == null || document.isNull() || document.isMissingNode()) {
            continue; // a document of comments only
          }
          String kind = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
          Class<? extends HasMetadata> type = KINDS.get(kind);
          assertTrue(
              type != null, file + ": an object of " + kind + ", which this test does not know");
          HasMetadata object = yaml.treeToValue(document, type);
          List<String> unknown = new ArrayList<>();
          unknownFields(object, kind, unknown, new IdentityHashMap<>());
          assertEquals(List.of(), unknown, file + ": fields the Kubernetes API does not have");
          objects.add(object);
        }
      }
    }
    return objects;
  }

  /**
   * fabric8's model keeps fields it does not know in {@code additionalProperties} instead of
   * refusing them: collects, by path, every such field in the object graph.
   */
  static void unknownFields(
      Object node, String path, List<String> unknown, Map<Object, Boolean> seen) {
    if (node == null || seen.put(node, true) != null) {
      return;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "." + k, unknown, seen));
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get")
          || getter.getName().equals("getClass")) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(node);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(getter.toString(), e);
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra) {
          extra.keySet().forEach(k -> unknown.add(path + "." + k));
        }
      } else {
        unknownFields(value, path + "." + getter.getName().substring(3), unknown, seen);
      }
    }
  }

  static List<PodSpec> pods(List<HasMetadata> objects) {
    List<PodSpec> pods = new ArrayList<>();
    for (HasMetadata object : objects) {
      if (object instanceof CronJob cronJob) {
        pods.add(cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec());
      } else if (object instanceof DaemonSet daemonSet) {
        pods.add(daemonSet.getSpec().getTemplate().getSpec());
      }
    }
    return pods;
  }

  /** Every container of the examples that runs the model-prefetch image and the CLI. */
  static List<Container> prefetchContainers(List<HasMetadata> objects) {
    List<Container> containers = new ArrayList<>();
    for (PodSpec pod : pods(objects)) {
      Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream())
          .filter(c -> IMAGE.matcher(c.getImage()).matches() && c.getCommand().contains("-jar"))
          .forEach(containers::add);
    }
    return containers;
  }

  @Test
  void examplesAreKubernetesObjectsWithNoUnknownField() throws IOException {
    List<HasMetadata> objects = examples();
    assertEquals(
        List.of("model-prefetch-shared", "model-prefetch-node-local"),
        objects.stream().map(o -> o.getMetadata().getName()).toList());
  }

  @Test
  void theCheckCatchesAMisspeltField() throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    DaemonSet object =
        yaml.readValue(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x}\nspec:\n"
                + "  template:\n    spec:\n      containers:\n        - {name: c, image: i, comand: [java]}\n",
            DaemonSet.class);
    List<String> unknown = new ArrayList<>();
    unknownFields(object, "apps/v1/DaemonSet", unknown, new IdentityHashMap<>());
    assertEquals(List.of("apps/v1/DaemonSet.Spec.Template.Spec.Containers[0].comand"), unknown);
  }

  @Test
  void prefetchContainersStartTheImageWithTheSharedJvmOptionsAndValidArguments()
      throws IOException {
    List<Container> containers = prefetchContainers(examples());
    assertEquals(
        List.of("prefetch", "prefetch", "refresh"),
        containers.stream().map(Container::getName).toList(),
        "the CronJob's, the DaemonSet's first run and its long-lived one");
    assertTrue(containers.get(2).getArgs().contains("--every=15m"), "the DaemonSet repeats");
    // the CLI's own version ("model-prefetch 0.1.0"), which the image is tagged with
    String version =
        Main.class
            .getAnnotation(CommandLine.Command.class)
            .version()[0]
            .replace("model-prefetch ", "");
    for (Container container : containers) {
      Matcher image = IMAGE.matcher(container.getImage());
      assertTrue(image.matches(), container.getImage());
      assertEquals(version, image.group(1), "the image of this version");
      assertEquals(COMMAND, container.getCommand(), container.getName());
      assertEquals(
          ContainerImageIT.entrypoint(), container.getCommand(), "the Dockerfile's ENTRYPOINT");
      List<String> args = container.getArgs();
      assertEquals("run", args.get(0));
      RunCommand run =
          new RunCommand(
              new Main.Context(
                  Map.of(),
                  new PrintStream(OutputStream.nullOutputStream()),
                  new PrintStream(OutputStream.nullOutputStream())));
      new CommandLine(run)
          .parseArgs(
              args.subList(1, args.size()).toArray(String[]::new)); // throws on an unknown flag
      for (String arg : args) {
        if (arg.startsWith("--filesToStage=")) {
          assertTrue(
              ContainerImageIT.copiedTo().contains(arg.substring("--filesToStage=".length())),
              arg + " is a file the image has");
        }
      }
    }
  }

  @Test
  void prefetchPodsRunAsTheImagesNonRootUser() throws IOException {
    List<HasMetadata> objects = examples();
    Set<Long> users = new java.util.HashSet<>();
    for (PodSpec pod : pods(objects)) {
      for (Container c :
          Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream()).toList()) {
        if (!prefetchContainers(objects).contains(c)) {
          continue;
        }
        Long user =
            c.getSecurityContext() != null && c.getSecurityContext().getRunAsUser() != null
                ? c.getSecurityContext().getRunAsUser()
                : pod.getSecurityContext().getRunAsUser();
        users.add(user);
      }
    }
    assertEquals(Set.of(ContainerImageIT.user()), users);
    assertFalse(users.contains(0L));
  }
}
