package io.modelprefetch.transforms.s3;

import io.modelprefetch.transforms.model.CredentialsSource;
import io.modelprefetch.transforms.text.Redaction;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * Keys given on the command line, kept in this JVM's memory under a non-secret handle so that they
 * never enter pipeline options or the job graph. Only runners inside this JVM can use them.
 */
public final class InProcessCredentials {

  private static final Map<String, AwsCredentials> KEYS = new ConcurrentHashMap<>();

  private InProcessCredentials() {}

  /** Registers keys and returns the credential source that refers to them. */
  public static CredentialsSource register(
      String handle, String accessKey, String secretKey, @Nullable String sessionToken) {
    // Whatever logs or throws later, these values never reach this process's output.
    Redaction.addSecret(secretKey);
    Redaction.addSecret(sessionToken);
    AwsCredentials credentials =
        sessionToken == null || sessionToken.isEmpty()
            ? AwsBasicCredentials.create(accessKey, secretKey)
            : AwsSessionCredentials.create(accessKey, secretKey, sessionToken);
    KEYS.put(handle, credentials);
    return new CredentialsSource(CredentialsSource.Type.IN_PROCESS, handle);
  }

  /** The keys of an in-process source, or null for every other kind (resolved by its SDK chain). */
  public static @Nullable AwsCredentials resolve(CredentialsSource source) {
    return source.type() == CredentialsSource.Type.IN_PROCESS
        ? lookup(Objects.requireNonNull(source.handle(), "an in-process source has a handle"))
        : null;
  }

  static AwsCredentials lookup(String handle) {
    AwsCredentials credentials = KEYS.get(handle);
    if (credentials == null) {
      throw new IllegalStateException(
          "credentials '"
              + handle
              + "' were given on the command line of another process; "
              + "on a cluster, give each worker its keys in its environment (TOS_ACCESS_KEY/TOS_SECRET_KEY or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)");
    }
    return credentials;
  }
}
