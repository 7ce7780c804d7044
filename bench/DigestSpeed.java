import io.modelprefetch.transforms.verify.Crc64;
import java.security.MessageDigest;
import java.util.zip.CRC32C;

/**
 * Single-thread throughput of the digests model-prefetch computes while bytes pass (CRC-64/ECMA,
 * MD5), next to CRC32C for scale. Run from the repository root after a build:
 *
 * <pre>java -cp runners/target/model-prefetch.jar bench/DigestSpeed.java [MiB]</pre>
 */
public class DigestSpeed {
  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    byte[] buffer = new byte[1 << 20];
    new java.util.Random(1).nextBytes(buffer);
    for (int round = 0; round < 3; round++) { // round 0 warms the JIT
      long t0 = System.nanoTime();
      Crc64 crc = new Crc64();
      for (int i = 0; i < mib; i++) {
        crc.update(buffer, 0, buffer.length);
      }
      long t1 = System.nanoTime();
      MessageDigest md5 = MessageDigest.getInstance("MD5");
      for (int i = 0; i < mib; i++) {
        md5.update(buffer, 0, buffer.length);
      }
      long t2 = System.nanoTime();
      CRC32C c32 = new CRC32C();
      for (int i = 0; i < mib; i++) {
        c32.update(buffer, 0, buffer.length);
      }
      long t3 = System.nanoTime();
      System.out.printf("round %d: crc64 %.0f MB/s, md5 %.0f MB/s, crc32c %.0f MB/s (%d MiB each; %x %x)%n", round,
          mbps(mib, t1 - t0), mbps(mib, t2 - t1), mbps(mib, t3 - t2), mib, crc.value(), c32.getValue());
    }
  }

  private static double mbps(int mib, long nanos) {
    return mib * 1048576.0 / 1e6 / (nanos / 1e9);
  }
}
