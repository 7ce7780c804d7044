import io.modelprefetch.transforms.verify.BlockCrcs;
import io.modelprefetch.transforms.verify.CrcAlgorithm;
import io.modelprefetch.transforms.verify.MultipartLayout;
import java.security.MessageDigest;
import java.util.zip.Checksum;

/**
 * Single-thread throughput of every checksum S3 stores, as a stream computes them (1 MiB calls from
 * a 1 MiB buffer in cache), of BlockCrcs' per-block CRCs (64 KiB calls, 1 MiB blocks), and the cost
 * of joining blocks into a composite. No JMH: three rounds, the first warms the JIT; on a shared
 * machine, read the best round. Run from the repository root after a build:
 *
 * <pre>java -cp transforms/target/classes bench/ChecksumSpeed.java [MiB]</pre>
 */
public class ChecksumSpeed {
  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    byte[] buffer = new byte[1 << 20];
    new java.util.SplittableRandom(1).nextBytes(buffer);
    for (int round = 0; round < 3; round++) {
      StringBuilder line = new StringBuilder("round " + round + ":");
      for (CrcAlgorithm algorithm : CrcAlgorithm.values()) {
        Checksum crc = algorithm.newChecksum();
        long t0 = System.nanoTime();
        for (int i = 0; i < mib; i++) {
          crc.update(buffer, 0, buffer.length);
        }
        line.append(String.format(" %s %.0f", algorithm, mbps(mib, System.nanoTime() - t0)));
      }
      for (String name : new String[] {"MD5", "SHA-1", "SHA-256"}) {
        MessageDigest digest = MessageDigest.getInstance(name);
        long t0 = System.nanoTime();
        for (int i = 0; i < mib; i++) {
          digest.update(buffer, 0, buffer.length);
        }
        line.append(String.format(" %s %.0f", name, mbps(mib, System.nanoTime() - t0)));
      }
      for (CrcAlgorithm algorithm : new CrcAlgorithm[] {CrcAlgorithm.CRC32C, CrcAlgorithm.CRC64NVME}) {
        BlockCrcs.Accumulator blocks = BlockCrcs.accumulate(algorithm, BlockCrcs.DEFAULT_BLOCK_BYTES, 0);
        long t0 = System.nanoTime();
        for (int i = 0; i < mib; i++) {
          for (int at = 0; at < buffer.length; at += 65536) {
            blocks.update(buffer, at, 65536);
          }
        }
        long t1 = System.nanoTime();
        BlockCrcs whole = blocks.finish();
        long t2 = System.nanoTime();
        whole.compositeValue(8L << 20);
        long t3 = System.nanoTime();
        whole.matchingPartSizes(
            new io.modelprefetch.transforms.verify.StoredChecksum(
                io.modelprefetch.transforms.verify.StoredChecksum.Algorithm.valueOf(algorithm.name()),
                io.modelprefetch.transforms.verify.StoredChecksum.Type.COMPOSITE, (mib + 7) / 8,
                java.util.Base64.getEncoder().encodeToString(new byte[algorithm.widthBytes()])),
            MultipartLayout.wholeMibPartSizes(whole.lengthBytes(), (mib + 7) / 8));
        long t4 = System.nanoTime();
        // The worst case: 2 parts, where every whole MiB from half the object up fits (capped).
        java.util.List<Long> many = MultipartLayout.wholeMibPartSizes(whole.lengthBytes(), 2);
        whole.matchingPartSizes(
            new io.modelprefetch.transforms.verify.StoredChecksum(
                io.modelprefetch.transforms.verify.StoredChecksum.Algorithm.valueOf(algorithm.name()),
                io.modelprefetch.transforms.verify.StoredChecksum.Type.COMPOSITE, 2,
                java.util.Base64.getEncoder().encodeToString(new byte[algorithm.widthBytes()])),
            many);
        long t5 = System.nanoTime();
        line.append(String.format(" | BlockCrcs %s %.0f MB/s, composite of %d MiB in 8 MiB parts %.1f ms, its %d"
                + " whole-MiB candidates %.1f ms, %d candidates of 2 parts %.0f ms", algorithm, mbps(mib, t1 - t0), mib,
            (t3 - t2) / 1e6, MultipartLayout.wholeMibPartSizes(whole.lengthBytes(), (mib + 7) / 8).size(),
            (t4 - t3) / 1e6, many.size(), (t5 - t4) / 1e6));
      }
      System.out.println(line + " (MB/s)");
    }
  }

  private static double mbps(int mib, long nanos) {
    return mib * 1048576.0 / 1e6 / (nanos / 1e9);
  }
}
