import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.SplittableRandom;

/**
 * java Gen.java SEED SIZE OUT: SplittableRandom(SEED) fills a fresh 1 MiB buffer per MiB of OUT; the
 * last MiB is cut to SIZE. The unit tests (SeededObjects) make the same bytes.
 */
public class Gen {
  public static void main(String[] a) throws IOException {
    long seed = Long.parseLong(a[0]);
    long size = Long.parseLong(a[1]);
    SplittableRandom random = new SplittableRandom(seed);
    byte[] mib = new byte[1 << 20];
    try (OutputStream out = new BufferedOutputStream(new FileOutputStream(a[2]), 1 << 20)) {
      for (long left = size; left > 0; left -= mib.length) {
        random.nextBytes(mib);
        out.write(mib, 0, (int) Math.min(mib.length, left));
      }
    }
  }
}
