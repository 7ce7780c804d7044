package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import io.modelprefetch.transforms.text.Redaction;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Temporary credentials under {@code --verbose}, where the SDK logs its canonical requests and the
 * Apache client every header and byte on the wire: the command line in its own JVM (so its real
 * stdout and stderr are read) for {@code run}, {@code doctor} and embedded Flink. The session
 * token, the secret key and the request signatures never appear; the redaction marker does.
 */
class SecretsInLogsIT {

  static final String BUCKET = "models";

  /**
   * A request signature as SigV4 writes it (Authorization's Signature=, or a presigned
   * X-Amz-Signature=).
   */
  static final Pattern SIGNATURE = Pattern.compile("(?i)signature=[0-9a-f]{16,}");

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static String sessionToken;

  @TempDir Path dest;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"), true);
    DemoModel.upload(
        server.admin(),
        BUCKET,
        "secret/",
        List.of(
            DemoModel.File.single("config.json", 0),
            DemoModel.File.single("model.safetensors", 3 * DemoModel.MIB + 1)));
    byte[] random = new byte[48];
    new SecureRandom().nextBytes(random);
    sessionToken = "IQoJb3JpZ2luX2VjE" + HexFormat.of().formatHex(random);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static Map<String, String> env() {
    Map<String, String> env = server.environment();
    env.put("AWS_SESSION_TOKEN", sessionToken);
    return env;
  }

  static void assertNoSecret(Cli cli) {
    String all = cli.out() + cli.err();
    assertFalse(all.contains(sessionToken), "the session token leaked");
    assertFalse(all.contains(server.secretKey()), "the secret key leaked");
    assertFalse(SIGNATURE.matcher(all).find(), () -> "a signature leaked: " + firstMatch(all));
    assertTrue(
        all.contains("X-Amz-Security-Token: " + Redaction.MARKER),
        "the token header was logged, redacted");
    assertTrue(
        all.contains("Authorization: " + Redaction.MARKER),
        "the Authorization header was logged, redacted");
  }

  private static String firstMatch(String all) {
    var m = SIGNATURE.matcher(all);
    if (!m.find()) {
      return "";
    }
    int start = all.lastIndexOf('\n', m.start()) + 1;
    int end = all.indexOf('\n', m.end());
    return all.substring(start, end < 0 ? all.length() : end);
  }

  @Test
  void aVerboseRunWithASessionTokenLogsNoSecret() throws Exception {
    Cli cli =
        ChildJvm.runCli(
            env(),
            dest,
            "--verbose",
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/secret/",
            "--model-name",
            "m");

    assertEquals(
        0, cli.status(), cli.err().lines().filter(l -> !l.contains(" DEBUG ")).toList().toString());
    assertNoSecret(cli);
    assertTrue(
        cli.err().contains("x-amz-security-token:" + Redaction.MARKER),
        "the signer's canonical request, redacted");
  }

  @Test
  void aVerboseDoctorWithASessionTokenLogsNoSecret() throws Exception {
    Cli cli =
        ChildJvm.runCli(env(), dest, "doctor", "--verbose", "--model-uri", "s3://models/secret/");

    assertEquals(0, cli.status(), cli.out());
    assertTrue(cli.out().contains("doctor: every check passed for s3://models/secret/"), cli.out());
    assertNoSecret(cli);
  }

  @Test
  void aVerboseRunOnEmbeddedFlinkWithASessionTokenLogsNoSecret() throws Exception {
    Cli cli =
        ChildJvm.runCli(
            env(),
            dest,
            "--verbose",
            "--runner",
            "flink",
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/secret/",
            "--model-name",
            "m");

    assertEquals(
        0, cli.status(), cli.err().lines().filter(l -> !l.contains(" DEBUG ")).toList().toString());
    assertNoSecret(cli);
  }
}
