package io.modelprefetch.runners;

import io.modelprefetch.transforms.Progress;
import io.modelprefetch.transforms.model.ModelSource;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shows a run's {@link Progress} on stderr while the pipeline runs in this JVM: one line every
 * interval ({@code --progress-interval}), or with {@code --enable-progress-bar} on a terminal a
 * single line redrawn in place. Ends with the final figures per model.
 */
final class ProgressReporter implements AutoCloseable {

  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
  private static final String PREFIX = "model-prefetch: progress: ";

  private final List<ModelSource> models;
  private final PrintStream err;
  private final boolean redraw;
  private final long startedAtNanos = System.nanoTime();
  private final ScheduledExecutorService timer;
  private int drawnWidth;
  private boolean closed;

  /**
   * Starts reporting. {@code interval} zero shows only the final figures; {@code redraw} draws one
   * line in place with {@code \r} (for a terminal).
   */
  ProgressReporter(List<ModelSource> models, PrintStream err, Duration interval, boolean redraw) {
    this.models = models;
    this.err = err;
    this.redraw = redraw;
    Progress.reset();
    if (interval.isZero() || interval.isNegative()) {
      timer = null;
      return;
    }
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "prefetch-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void tick() {
    if (closed) {
      return;
    }
    String line = PREFIX + line();
    if (redraw) {
      // Pad over the previous, longer line.
      err.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
      drawnWidth = line.length();
    } else {
      err.println(line);
    }
    err.flush();
  }

  /** {@code name done/total files, done/total bytes; ...; throughput, ETA}. */
  String line() {
    StringBuilder b = new StringBuilder();
    long done = 0;
    long total = 0;
    long fetched = 0;
    for (ModelSource model : models) {
      Progress.Snapshot s = Progress.snapshot(model.modelDir());
      b.append(model.name()).append(' ').append(s.filesDone()).append('/').append(s.filesTotal()).append(" files, ")
          .append(PrefetchRun.bytes(s.bytesDone())).append('/').append(PrefetchRun.bytes(s.bytesTotal()));
      if (s.filesFailed() > 0) {
        b.append(", ").append(s.filesFailed()).append(" failed");
      }
      b.append("; ");
      done += s.bytesDone();
      total += s.bytesTotal();
      fetched += s.bytesFetched();
    }
    double seconds = Math.max(0.001, (System.nanoTime() - startedAtNanos) / 1e9);
    long perSecond = Math.round(fetched / seconds);
    b.append(PrefetchRun.bytes(perSecond)).append("/s, ETA ");
    b.append(perSecond <= 0 ? "unknown" : eta(Math.max(0, total - done) / perSecond));
    return b.toString();
  }

  private static String eta(long seconds) {
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60);
    }
    return seconds >= 60 ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60) : seconds + "s";
  }

  /** Stops the periodic lines and prints each model's final figures, exact to the byte. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (timer != null) {
      timer.shutdownNow();
    }
    if (redraw && drawnWidth > 0) {
      err.println();
    }
    StringBuilder b = new StringBuilder(PREFIX).append("done: ");
    for (ModelSource model : models) {
      Progress.Snapshot s = Progress.snapshot(model.modelDir());
      b.append(model.name()).append(' ').append(s.filesDone()).append('/').append(s.filesTotal()).append(" files, ")
          .append(s.bytesDone()).append('/').append(s.bytesTotal()).append(" bytes");
      if (s.filesFailed() > 0) {
        b.append(", ").append(s.filesFailed()).append(" failed");
      }
      b.append("; ");
    }
    double seconds = Math.max(0.001, (System.nanoTime() - startedAtNanos) / 1e9);
    long fetched = models.stream().mapToLong(m -> Progress.snapshot(m.modelDir()).bytesFetched()).sum();
    b.append(String.format(Locale.ROOT, "%s fetched in %.1f s", PrefetchRun.bytes(fetched), seconds));
    err.println(b);
    err.flush();
  }
}
