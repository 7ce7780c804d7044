package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live progress per model, in this JVM: updated by the DoFns next to their {@code PrefetchMetrics}
 * counters, read by the command line while the pipeline runs. It sees only work done in this JVM
 * (the DirectRunner, embedded Flink); on a cluster the figures stay at zero and the Beam metrics
 * at the end are the source. Bytes of a failed attempt are taken back when the range is retried, so
 * a verified model ends with its bytes done equal to its bytes total.
 */
public final class Progress {

  /** One model's figures; {@code bytesFetched} excludes files already present. */
  public record Snapshot(String name, long filesDone, long filesTotal, long filesFailed, long bytesDone,
      long bytesTotal, long bytesFetched) {
    static final Snapshot EMPTY = new Snapshot("", 0, 0, 0, 0, 0, 0);
  }

  private static final class Counters {
    final String name;
    final AtomicLong filesDone = new AtomicLong();
    final AtomicLong filesTotal = new AtomicLong();
    final AtomicLong filesFailed = new AtomicLong();
    final AtomicLong bytesDone = new AtomicLong();
    final AtomicLong bytesTotal = new AtomicLong();
    final AtomicLong bytesFetched = new AtomicLong();

    Counters(String name) {
      this.name = name;
    }
  }

  private static final ConcurrentMap<String, Counters> MODELS = new ConcurrentHashMap<>();

  private Progress() {}

  /** Forgets every model: called once before a run starts. */
  public static void reset() {
    MODELS.clear();
  }

  private static Counters of(ModelKey model) {
    return MODELS.computeIfAbsent(model.modelDir(), dir -> new Counters(model.name()));
  }

  /** The listing kept {@code object}: one more file to do. */
  public static void listed(ObjectRef object) {
    Counters c = of(object.model());
    c.filesTotal.incrementAndGet();
    c.bytesTotal.addAndGet(object.sizeBytes());
  }

  /** {@code object} is already in place: done without a fetch. */
  public static void present(ObjectRef object) {
    Counters c = of(object.model());
    c.bytesDone.addAndGet(object.sizeBytes());
    c.filesDone.incrementAndGet();
  }

  /** {@code n} bytes of {@code model} arrived (negative: a failed attempt's bytes, taken back). */
  public static void bytes(ModelKey model, long n) {
    Counters c = of(model);
    c.bytesDone.addAndGet(n);
    c.bytesFetched.addAndGet(n);
  }

  /** {@code n} bytes of {@code model} were already on disk from an interrupted run (not fetched now). */
  public static void resumed(ModelKey model, long n) {
    of(model).bytesDone.addAndGet(n);
  }

  /** {@code n} bytes of {@code model} counted as done are to be fetched again (a file that failed verification). */
  public static void undone(ModelKey model, long n) {
    of(model).bytesDone.addAndGet(-n);
  }

  /** A file of {@code model} was committed, or failed. */
  public static void fileDone(ModelKey model, boolean failed) {
    Counters c = of(model);
    c.filesDone.incrementAndGet();
    if (failed) {
      c.filesFailed.incrementAndGet();
    }
  }

  /** The figures of the model landing in {@code modelDir}; zeros when nothing was seen yet. */
  public static Snapshot snapshot(String modelDir) {
    Counters c = MODELS.get(modelDir);
    if (c == null) {
      return Snapshot.EMPTY;
    }
    return new Snapshot(c.name, c.filesDone.get(), c.filesTotal.get(), c.filesFailed.get(), c.bytesDone.get(),
        c.bytesTotal.get(), c.bytesFetched.get());
  }
}
