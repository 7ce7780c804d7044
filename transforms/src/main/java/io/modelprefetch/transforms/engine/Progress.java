package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A run's live figures per model, in this JVM: the command line {@link FetchRuntime#watch watches}
 * the run with one and reads it while the pipeline runs. It sees only work done in this JVM (the
 * DirectRunner, embedded Flink); on a cluster the Beam metrics at the end are the source. Bytes of
 * a failed attempt are taken back when the range is retried, so a verified model ends with its
 * bytes done equal to its bytes total. Thread-safe.
 */
public final class Progress implements ProgressListener {

  /** One model's figures; {@code bytesFetched} excludes files already present. */
  public record Snapshot(
      String name,
      long filesDone,
      long filesTotal,
      long filesFailed,
      long bytesDone,
      long bytesTotal,
      long bytesFetched) {
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

  private final ConcurrentMap<String, Counters> models = new ConcurrentHashMap<>();

  private Counters of(ModelKey model) {
    return models.computeIfAbsent(model.modelDir(), dir -> new Counters(model.name()));
  }

  /** The listing kept {@code object}: one more file to do. */
  @Override
  public void listed(ObjectRef object) {
    Counters c = of(object.model());
    c.filesTotal.incrementAndGet();
    c.bytesTotal.addAndGet(object.sizeBytes());
  }

  /** {@code object} is already in place: done without a fetch. */
  @Override
  public void present(ObjectRef object) {
    Counters c = of(object.model());
    c.bytesDone.addAndGet(object.sizeBytes());
    c.filesDone.incrementAndGet();
  }

  /** {@code n} bytes of {@code model} arrived (negative: a failed attempt's bytes, taken back). */
  @Override
  public void bytes(ModelKey model, long n) {
    Counters c = of(model);
    c.bytesDone.addAndGet(n);
    c.bytesFetched.addAndGet(n);
  }

  /**
   * {@code n} bytes of {@code model} were already on disk from an interrupted run (not fetched
   * now).
   */
  @Override
  public void resumed(ModelKey model, long n) {
    of(model).bytesDone.addAndGet(n);
  }

  /**
   * {@code n} bytes of {@code model} counted as done are to be fetched again (a file that failed
   * verification).
   */
  @Override
  public void undone(ModelKey model, long n) {
    of(model).bytesDone.addAndGet(-n);
  }

  /** A file of {@code model} was committed, or failed. */
  @Override
  public void fileDone(ModelKey model, boolean failed) {
    Counters c = of(model);
    c.filesDone.incrementAndGet();
    if (failed) {
      c.filesFailed.incrementAndGet();
    }
  }

  /** The figures of the model landing in {@code modelDir}; zeros when nothing was seen yet. */
  public Snapshot snapshot(String modelDir) {
    Counters c = models.get(modelDir);
    if (c == null) {
      return Snapshot.EMPTY;
    }
    return new Snapshot(
        c.name,
        c.filesDone.get(),
        c.filesTotal.get(),
        c.filesFailed.get(),
        c.bytesDone.get(),
        c.bytesTotal.get(),
        c.bytesFetched.get());
  }
}
