import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Single-thread AES-GCM decryption in TLS-record-sized calls (16 KiB, as an HTTPS download reads
 * them), in rounds of the given MiB: how fast the JDK decrypts while its JIT still runs the cipher
 * in C1 code, and once C2 has compiled it to the intrinsic. Run it with the JVM options under test,
 * from the repository root:
 *
 * <pre>java @configs/jvm.options bench/GcmSpeed.java [MiB per round, 2048]</pre>
 */
public class GcmSpeed {
  public static void main(String[] args) throws Exception {
    long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 2048) << 20;
    int record = 16 * 1024;
    SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
    GCMParameterSpec nonce = new GCMParameterSpec(128, new byte[12]);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, key, nonce);
    byte[] sealed = cipher.doFinal(new byte[record]);
    byte[] plain = new byte[record];
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime();
      for (long done = 0; done < bytes; done += record) {
        cipher.init(Cipher.DECRYPT_MODE, key, nonce);
        cipher.doFinal(sealed, 0, sealed.length, plain, 0);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("round %d: %.0f MB/s%n", round, bytes / 1e6 / seconds);
    }
  }
}
