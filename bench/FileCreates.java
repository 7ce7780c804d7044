import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * How long a file system takes to create small files right after as many were deleted, the
 * situation of a benchmark run into a freshly emptied destination: on ext4 without a journal each
 * create then scans past the inodes freed in the last minute or more. For 1, 4 and 16 threads:
 * creates N files of 100 bytes, deletes them, and creates N again. The first figure also depends
 * on what else was deleted on the file system lately. Run from the repository root:
 *
 * <pre>java bench/FileCreates.java DIR [N]</pre>
 */
public class FileCreates {
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
    for (int threads : new int[] {1, 4, 16}) {
      Path first = root.resolve("first-" + threads);
      double before = create(first, n, threads);
      delete(first);
      Path again = root.resolve("again-" + threads);
      double after = create(again, n, threads);
      delete(again);
      System.out.printf("%d creates with %2d threads: %.2f s, then after deleting them: %.2f s%n", n, threads, before, after);
    }
  }

  private static double create(Path dir, int n, int threads) throws Exception {
    Files.createDirectories(dir);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Path file = dir.resolve("f" + i);
      done.add(pool.submit(() -> Files.write(file, new byte[100])));
    }
    for (Future<?> f : done) {
      f.get();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    return seconds;
  }

  private static void delete(Path dir) throws Exception {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
