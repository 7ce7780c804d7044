package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The JVM-wide state of the three modules, pinned: a static field that is not final, or holds
 * something mutable (a collection that can change, an array, an atomic, a thread-local), is state
 * outside the {@code FetchRuntime}, which a Flink TaskManager keeps from one job to the next. Each
 * one that is there by nature is listed below with the reason; a new one fails this test until it
 * is made immutable ({@code List.of}, {@code Map.of}), moved into the runtime, or listed here with
 * its reason.
 */
class StaticStateTest {

  /** The JVM's shared state, field by field, and why it is the JVM's and not a run's. */
  private static final Map<String, String> ALLOWED =
      Map.ofEntries(
          Map.entry(
              "io.modelprefetch.transforms.engine.FetchRuntime.RUNTIMES",
              "the registry of runtimes itself, reference-counted, empty once every user released"),
          Map.entry(
              "io.modelprefetch.transforms.engine.FetchRuntime.WATCHER",
              "the command line's progress listener for workers that share its JVM, closed with"
                  + " its watch"),
          Map.entry(
              "io.modelprefetch.transforms.engine.RangeFetcher.BUFFERS",
              "one read buffer per fetching thread; the runtime's threads end with it"),
          Map.entry(
              "io.modelprefetch.transforms.s3.S3Clients.POOL",
              "the reference-counted client pool, empty once every user released"),
          Map.entry(
              "io.modelprefetch.transforms.s3.S3Clients.TRUST",
              "a memo of parsed CA bundles: one file, one trust, for every client of the JVM"),
          Map.entry(
              "io.modelprefetch.transforms.s3.InProcessCredentials.KEYS",
              "keys given on the command line, which by design live only in this JVM's memory"),
          Map.entry(
              "io.modelprefetch.transforms.storage.ModelLock.HELD_IN_THIS_JVM",
              "file locks belong to the JVM: a second lock of the same file in one JVM throws"),
          Map.entry(
              "io.modelprefetch.transforms.storage.RangeWriter.ALIGNMENT",
              "a memo of a file system fact (the direct-I/O block size of a directory)"),
          Map.entry(
              "io.modelprefetch.transforms.storage.RangeWriter.STAGING",
              "one aligned buffer per writing thread; the runtime's threads end with it"),
          Map.entry(
              "io.modelprefetch.transforms.text.Redaction.SECRETS",
              "every log line and message of the JVM is redacted, whichever run wrote it"));

  @Test
  void onlyTheListedStaticFieldsHoldMutableState() throws Exception {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.modelprefetch");
    List<String> found = new ArrayList<>();
    for (var javaClass : classes) {
      for (Field field : javaClass.reflect().getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) && !field.isSynthetic()) {
          field.setAccessible(true);
          if (!Modifier.isFinal(field.getModifiers()) || mutable(field.get(null))) {
            found.add(javaClass.getName() + "." + field.getName());
          }
        }
      }
    }
    assertEquals(
        new TreeSet<>(ALLOWED.keySet()),
        new TreeSet<>(found),
        "static fields holding mutable state: make the new one immutable or move it into"
            + " FetchRuntime; drop a listed one that is gone");
  }

  @Test
  void immutableCollectionsPassAndModifiableOnesDoNot() {
    assertEquals(
        List.of(false, false, false, false, true, true, true, true, true, false),
        java.util.stream.Stream.of(
                List.of("a"),
                Map.of("a", 1),
                java.util.Collections.unmodifiableList(new ArrayList<>()),
                java.util.stream.Stream.of("a").toList(),
                new ArrayList<>(),
                new java.util.concurrent.ConcurrentHashMap<>(),
                new int[] {1},
                new java.util.concurrent.atomic.AtomicLong(),
                ThreadLocal.withInitial(Object::new),
                "a string")
            .map(StaticStateTest::mutable)
            .toList());
  }

  /** Whether {@code value} can change: a modifiable collection, an array, an atomic. */
  static boolean mutable(Object value) {
    if (value == null) {
      return false;
    }
    Class<?> type = value.getClass();
    if (value instanceof Collection<?> || value instanceof Map<?, ?>) {
      String name = type.getName();
      return !(name.startsWith("java.util.ImmutableCollections$")
          || name.startsWith("java.util.Collections$Unmodifiable")
          || name.startsWith("java.util.Collections$Empty")
          || name.startsWith("java.util.Collections$Singleton"));
    }
    return (type.isArray() && java.lang.reflect.Array.getLength(value) > 0)
        || type.getPackageName().equals("java.util.concurrent.atomic")
        || value instanceof ThreadLocal<?>;
  }
}
