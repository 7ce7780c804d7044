package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made at test time with the JDK's keytool (EC keys: quick to make), so
 * tests speak real TLS to servers on 127.0.0.1 whose certificates no JVM default trusts. The CA's
 * certificate is {@link #caPem()}; {@link #issue} makes PKCS12 key stores (key plus chain up to the
 * CA) for servers.
 */
final class TestPki {

  private final Path dir;
  private final String password;

  private TestPki(Path dir, String password) {
    this.dir = dir;
    this.password = password;
  }

  /** Makes a CA named {@code CN=<caName>} in {@code dir} (created if missing). */
  static TestPki create(Path dir, String caName) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    TestPki pki = new TestPki(dir, randomHex(12));
    pki.keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keystore",
        "ca.p12",
        "-storetype",
        "PKCS12",
        "-storepass",
        pki.password,
        "-keyalg",
        "EC",
        "-validity",
        "2",
        "-dname",
        "CN=" + caName,
        "-ext",
        "bc:c");
    pki.keytool(
        "-exportcert",
        "-alias",
        "ca",
        "-keystore",
        "ca.p12",
        "-storepass",
        pki.password,
        "-rfc",
        "-file",
        "ca.pem");
    return pki;
  }

  /** The CA's certificate as PEM, the value for {@code AWS_CA_BUNDLE}. */
  Path caPem() {
    return dir.resolve("ca.pem");
  }

  /** The password of every key store this CA issues. */
  String password() {
    return password;
  }

  /**
   * Issues a server certificate for {@code CN=<commonName>} whose subject alternative names are
   * exactly {@code sans} (keytool syntax: {@code dns:host}, {@code ip:127.0.0.1}) and returns its
   * PKCS12 key store, named {@code <name>.p12}.
   */
  Path issue(String name, String commonName, String... sans)
      throws IOException, InterruptedException {
    String store = name + ".p12";
    keytool(
        "-genkeypair",
        "-alias",
        "server",
        "-keystore",
        store,
        "-storetype",
        "PKCS12",
        "-storepass",
        password,
        "-keyalg",
        "EC",
        "-validity",
        "2",
        "-dname",
        "CN=" + commonName);
    keytool(
        "-certreq",
        "-alias",
        "server",
        "-keystore",
        store,
        "-storepass",
        password,
        "-file",
        name + ".csr");
    keytool(
        "-gencert",
        "-alias",
        "ca",
        "-keystore",
        "ca.p12",
        "-storepass",
        password,
        "-infile",
        name + ".csr",
        "-outfile",
        name + ".pem",
        "-rfc",
        "-validity",
        "2",
        "-ext",
        "san=" + String.join(",", sans),
        "-ext",
        "eku=serverAuth");
    // The reply carries the whole chain, so keytool need not find the CA in this store or in
    // cacerts.
    Files.writeString(
        dir.resolve(name + "-chain.pem"),
        Files.readString(dir.resolve(name + ".pem")) + Files.readString(caPem()));
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "server",
        "-keystore",
        store,
        "-storepass",
        password,
        "-file",
        name + "-chain.pem");
    return dir.resolve(store);
  }

  /** A server-side TLS context presenting the key store {@code store} issued by {@link #issue}. */
  SSLContext serverContext(Path store) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, password.toCharArray());
    }
    KeyManagerFactory factory =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(keys, password.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(factory.getKeyManagers(), null, null);
    return context;
  }

  /** Trust managers that trust the certificates of {@code pem} and nothing else. */
  static TrustManager[] trustOnly(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, cert);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers();
    } catch (Exception e) {
      throw new IllegalStateException("cannot load " + pem, e);
    }
  }

  static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.add("-J-XX:TieredStopAtLevel=1"); // keytool is short-lived: start it fast
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int status = process.waitFor();
    assertEquals(0, status, "keytool " + args[0] + " failed:\n" + output);
  }
}
