package io.modelprefetch.runners;

import io.modelprefetch.transforms.engine.Progress;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Shows a run's {@link Progress} on stderr while the pipeline runs in this JVM: one line every
 * interval ({@code --progress-interval}), or with {@code --enable-progress-bar} on a terminal a
 * single line redrawn in place. Ends with the final figures per model, exact to the byte.
 *
 * <p>A line reads, for one model, {@code llama 42% [####......] 3/7 files, 8.0/21.0 GiB, 1.2 GiB/s,
 * ETA 12s}; with several, the whole first ({@code 2 models 40% [...] ..., ETA 12s}), then each
 * model ({@code ; llama 42% [...] 3/7 files, 8.0/21.0 GiB}), which a redrawn line leaves out to
 * stay on one line of the terminal. The percentage and the bar count bytes in place (already
 * present, resumed or fetched) out of the bytes listed; the throughput is the bytes fetched per
 * second over the last {@link #RATE_WINDOW}, from the last tick before bytes came in when that is
 * later; the ETA is the bytes still missing at that throughput.
 */
final class ProgressReporter implements AutoCloseable {

  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
  static final int BAR_WIDTH = 10;

  /**
   * How far back the throughput looks: long enough to smooth ranges landing in bursts, short enough
   * to follow.
   */
  static final Duration RATE_WINDOW = Duration.ofSeconds(10);

  private static final String PREFIX = "model-prefetch: progress: ";

  private final List<ModelSource> models;
  private final Progress progress;
  private final PrintStream err;
  private final boolean redraw;
  private final @Nullable IntSupplier inFlightRanges;
  private final @Nullable Runnable onTick;
  private final long startedAtNanos;
  private final @Nullable ScheduledExecutorService timer;

  /** (nanoTime, bytes fetched) of recent ticks, oldest first, for the throughput. */
  private final java.util.ArrayDeque<long[]> samples = new java.util.ArrayDeque<>();

  private int drawnWidth;
  private boolean closed;

  /**
   * Starts reporting. {@code interval} zero shows only the final figures; {@code redraw} draws one
   * line in place with {@code \r} (for a terminal).
   */
  ProgressReporter(
      List<ModelSource> models,
      Progress progress,
      PrintStream err,
      Duration interval,
      boolean redraw) {
    this(models, progress, err, interval, redraw, null, null);
  }

  /**
   * As {@link #ProgressReporter(List, Progress, PrintStream, Duration, boolean)}, with two hooks.
   *
   * @param inFlightRanges the ranged GETs in flight now, shown as {@code streams N} after the
   *     throughput; null shows nothing
   * @param onTick run after each periodic line (e.g. to write the metrics file); null for none
   */
  ProgressReporter(
      List<ModelSource> models,
      Progress progress,
      PrintStream err,
      Duration interval,
      boolean redraw,
      @Nullable IntSupplier inFlightRanges,
      @Nullable Runnable onTick) {
    this.models = models;
    this.progress = progress;
    this.err = err;
    this.redraw = redraw;
    this.inFlightRanges = inFlightRanges;
    this.onTick = onTick;
    this.startedAtNanos = System.nanoTime();
    if (interval.isZero() || interval.isNegative()) {
      timer = null;
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "prefetch-progress");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(
        this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void tick() {
    if (closed) {
      return;
    }
    List<Progress.Snapshot> snapshots = snapshots();
    String line =
        PREFIX
            + line(
                snapshots,
                bytesPerSecond(snapshots),
                inFlightRanges == null ? null : inFlightRanges.getAsInt(),
                redraw);
    if (redraw) {
      // Pad over the previous, longer line.
      err.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
      drawnWidth = line.length();
    } else {
      err.println(line);
    }
    err.flush();
    if (onTick != null) {
      onTick.run();
    }
  }

  private List<Progress.Snapshot> snapshots() {
    return models.stream().map(m -> named(m, progress.snapshot(m.modelDir()))).toList();
  }

  /** The snapshot under its model's name (a model nothing was seen of yet has none). */
  private static Progress.Snapshot named(ModelSource model, Progress.Snapshot s) {
    return new Progress.Snapshot(
        model.name(),
        s.filesDone(),
        s.filesTotal(),
        s.filesFailed(),
        s.bytesDone(),
        s.bytesTotal(),
        s.bytesFetched());
  }

  private long elapsedNanos() {
    return System.nanoTime() - startedAtNanos;
  }

  /** Bytes fetched per second over the last {@link #RATE_WINDOW}; records this tick's figures. */
  private long bytesPerSecond(List<Progress.Snapshot> snapshots) {
    return bytesPerSecond(
        System.nanoTime(), snapshots.stream().mapToLong(Progress.Snapshot::bytesFetched).sum());
  }

  /**
   * Bytes fetched per second at {@code nowNanos}, when {@code fetched} bytes have come in since the
   * start, over the last {@link #RATE_WINDOW}; records this sample for the next call.
   */
  long bytesPerSecond(long nowNanos, long fetched) {
    if (samples.isEmpty()) {
      samples.add(new long[] {startedAtNanos, 0});
    }
    // The window starts no earlier than the last tick before bytes came in (the listing, a stall),
    // which would otherwise dilute the rate for a whole window.
    while (samples.size() > 1
        && (nowNanos - samples.peekFirst()[0] > RATE_WINDOW.toNanos()
            || second(samples)[1] == samples.peekFirst()[1])) {
      samples.pollFirst();
    }
    long[] oldest = samples.peekFirst();
    samples.addLast(new long[] {nowNanos, fetched});
    double seconds = Math.max(0.001, (nowNanos - oldest[0]) / 1e9);
    return Math.round((fetched - oldest[1]) / seconds);
  }

  private static long[] second(java.util.ArrayDeque<long[]> samples) {
    var it = samples.iterator();
    it.next();
    return it.next();
  }

  /** The line for the current figures of each model ({@code streams} null: not shown). */
  synchronized String line() {
    List<Progress.Snapshot> snapshots = snapshots();
    return line(
        snapshots,
        bytesPerSecond(snapshots),
        inFlightRanges == null ? null : inFlightRanges.getAsInt(),
        false);
  }

  /**
   * The progress line for {@code models} fetching {@code bytesPerSecond}; {@code streams} (ranged
   * GETs in flight) is shown when not null; {@code oneLine} leaves out the per-model part of
   * several.
   */
  static String line(
      List<Progress.Snapshot> models,
      long bytesPerSecond,
      @Nullable Integer streams,
      boolean oneLine) {
    long filesDone = 0;
    long filesTotal = 0;
    long filesFailed = 0;
    long done = 0;
    long total = 0;
    for (Progress.Snapshot s : models) {
      filesDone += s.filesDone();
      filesTotal += s.filesTotal();
      filesFailed += s.filesFailed();
      done += s.bytesDone();
      total += s.bytesTotal();
    }
    String name = models.size() == 1 ? models.get(0).name() : models.size() + " models";
    StringBuilder b = new StringBuilder();
    segment(b, name, filesDone, filesTotal, filesFailed, done, total);
    long perSecond = Math.max(0, bytesPerSecond);
    b.append(", ").append(PrefetchRun.bytes(perSecond)).append("/s");
    if (streams != null) {
      b.append(", streams ").append(streams);
    }
    b.append(", ETA ")
        .append(perSecond <= 0 ? "unknown" : eta(Math.max(0, total - done) / perSecond));
    if (models.size() > 1 && !oneLine) {
      for (Progress.Snapshot s : models) {
        b.append("; ");
        segment(
            b,
            s.name(),
            s.filesDone(),
            s.filesTotal(),
            s.filesFailed(),
            s.bytesDone(),
            s.bytesTotal());
      }
    }
    return b.toString();
  }

  /** {@code name 42% [####......] 3/7 files, 8.0/21.0 GiB[, N failed]}. */
  private static void segment(
      StringBuilder b,
      String name,
      long filesDone,
      long filesTotal,
      long filesFailed,
      long bytesDone,
      long bytesTotal) {
    b.append(Printable.escape(name))
        .append(' ')
        .append(percent(bytesDone, bytesTotal))
        .append("% [")
        .append(bar(bytesDone, bytesTotal))
        .append("] ")
        .append(filesDone)
        .append('/')
        .append(filesTotal)
        .append(" files, ")
        .append(pair(bytesDone, bytesTotal));
    if (filesFailed > 0) {
      b.append(", ").append(filesFailed).append(" failed");
    }
  }

  /** Whole percent, rounded down: 100 only when every byte is in place. */
  static long percent(long done, long total) {
    return total <= 0 ? 0 : Math.min(100, Math.max(0, done) * 100 / total);
  }

  /** {@link #BAR_WIDTH} characters, one {@code #} per tenth in place, rounded down. */
  static String bar(long done, long total) {
    int full = total <= 0 ? 0 : (int) Math.min(BAR_WIDTH, Math.max(0, done) * BAR_WIDTH / total);
    return "#".repeat(full) + ".".repeat(BAR_WIDTH - full);
  }

  /**
   * {@code 8.0/21.0 GiB}: both in the unit of the total, one decimal ({@code 5/140 B} below 1 KiB).
   */
  static String pair(long done, long total) {
    if (total < 1024) {
      return done + "/" + total + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    double scale = 1024;
    while (i < units.length - 1 && total >= scale * 1024) {
      scale *= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f/%.1f %s", done / scale, total / scale, units[i]);
  }

  private static String eta(long seconds) {
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60);
    }
    return seconds >= 60
        ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60)
        : seconds + "s";
  }

  /**
   * Whether this process's stderr is a terminal, where a line can be redrawn in place. On Linux its
   * file descriptor says so even when stdout is a pipe ({@code DIR=$(prefetch ...)}), where {@link
   * System#console()} has none; elsewhere that console decides.
   */
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
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
      Progress.Snapshot s = progress.snapshot(model.modelDir());
      b.append(Printable.escape(model.name()))
          .append(' ')
          .append(s.filesDone())
          .append('/')
          .append(s.filesTotal())
          .append(" files, ")
          .append(s.bytesDone())
          .append('/')
          .append(s.bytesTotal())
          .append(" bytes");
      if (s.filesFailed() > 0) {
        b.append(", ").append(s.filesFailed()).append(" failed");
      }
      b.append("; ");
    }
    double seconds = Math.max(0.001, elapsedNanos() / 1e9);
    long fetched =
        models.stream().mapToLong(m -> progress.snapshot(m.modelDir()).bytesFetched()).sum();
    b.append(
        String.format(Locale.ROOT, "%s fetched in %.1f s", PrefetchRun.bytes(fetched), seconds));
    err.println(b);
    err.flush();
  }
}
