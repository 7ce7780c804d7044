package io.modelprefetch.transforms.text;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Credentials taken out of a line of log output, whatever logged it: the SDK's signing logs, the
 * Apache HTTP client's header and wire logs, exception messages. {@link #MARKER} stands in for:
 *
 * <ul>
 *   <li>the value of a credential header, {@code Name: value} or {@code name:value} (a canonical
 *       request): {@code Authorization}, {@code Proxy-Authorization}, {@code x-amz-security-token},
 *       {@code x-tos-security-token} and the SSE-C customer keys;
 *   <li>the value of a credential query parameter, {@code name=value}: {@code X-Amz-Credential},
 *       {@code X-Amz-Signature}, {@code X-Amz-Security-Token}, their {@code X-Tos-} twins, and the
 *       SigV2 {@code Signature} and {@code AWSAccessKeyId};
 *   <li>every secret this process holds ({@link #addSecret}: secret keys and session tokens from
 *       the environment or the command line), wherever it appears.
 * </ul>
 *
 * <p>A multi-line message is redacted line by line: each credential sits on one line in all of
 * these logs.
 */
public final class Redaction {

  /** What a redacted value reads as. */
  public static final String MARKER = "[REDACTED]";

  /** Secrets shorter than this are not searched for: they would blank out ordinary text. */
  static final int MIN_SECRET_LENGTH = 8;

  private static final Pattern HEADER =
      Pattern.compile(
          "(?i)\\b((?:proxy-)?authorization|x-(?:amz|tos)-security-token"
              + "|x-(?:amz|tos)-(?:copy-source-)?server-side-encryption-customer-key)(\\s*:\\s*)"
              + "([^\\r\\n\"]*?)(?=\\[\\\\r\\]|\\[\\\\n\\]|\"|\\r|\\n|$)");
  private static final Pattern QUERY =
      Pattern.compile(
          "(?i)\\b(x-(?:amz|tos)-(?:credential|signature|security-token)|signature|awsaccesskeyid)=([^&\\s\"\\[\\],;]+)");

  private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

  /** The environment variables whose values are secrets wherever they are set. */
  public static final List<String> SECRET_VARIABLES =
      List.of(
          "AWS_SECRET_ACCESS_KEY",
          "AWS_SESSION_TOKEN",
          "AWS_SECURITY_TOKEN",
          "TOS_SECRET_KEY",
          "TOS_SECURITY_TOKEN");

  private Redaction() {}

  /** Hides {@code secret} (a secret key, a session token) wherever it appears from now on. */
  public static void addSecret(@Nullable String secret) {
    if (secret != null && secret.strip().length() >= MIN_SECRET_LENGTH) {
      SECRETS.add(secret.strip());
    }
  }

  /** Hides the values of {@link #SECRET_VARIABLES} that {@code environment} sets. */
  public static void addSecretsOf(Map<String, String> environment) {
    SECRET_VARIABLES.forEach(name -> addSecret(environment.get(name)));
  }

  /** {@code line} with every credential in it replaced by {@link #MARKER}. */
  public static String redact(String line) {
    if (line == null || line.isEmpty()) {
      return line;
    }
    String out = line;
    for (String secret : SECRETS) {
      if (out.contains(secret)) {
        out = out.replace(secret, MARKER);
      }
    }
    Matcher header = HEADER.matcher(out);
    if (header.find()) {
      out = header.replaceAll(m -> Matcher.quoteReplacement(m.group(1) + m.group(2) + MARKER));
    }
    Matcher query = QUERY.matcher(out);
    if (query.find()) {
      out = query.replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "=" + MARKER));
    }
    return out;
  }
}
