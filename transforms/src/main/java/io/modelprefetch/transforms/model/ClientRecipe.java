package io.modelprefetch.transforms.model;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * The one S3-compatible client configuration every listing and fetch uses: a serializable recipe
 * from which each worker builds its client once per JVM. It never holds a secret.
 *
 * @param endpoint the endpoint URL, or null for AWS's own endpoint of {@code region}
 * @param region the signing region id
 * @param pathStyle path-style ({@code host/bucket/key}) instead of virtual-hosted addressing
 * @param checksumWhenRequired send and validate SDK checksums only when an operation requires them,
 *     which third-party S3-compatible stores accept
 * @param credentials where the worker finds its keys
 * @param caBundlePath a PEM file of extra trusted certificates ({@code AWS_CA_BUNDLE}), or null
 * @param maxConnections the HTTP connection pool size
 */
public record ClientRecipe(
    @Nullable String endpoint,
    String region,
    boolean pathStyle,
    boolean checksumWhenRequired,
    CredentialsSource credentials,
    @Nullable String caBundlePath,
    int maxConnections)
    implements Serializable {

  public ClientRecipe {
    if (region == null || region.isBlank()) {
      throw new IllegalArgumentException("region must be set");
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be >= 1, was " + maxConnections);
    }
  }

  /** A one-line description for logs and reports. */
  public String describe() {
    return (endpoint == null ? "AWS S3" : endpoint)
        + ", region "
        + region
        + ", "
        + (pathStyle ? "path-style" : "virtual-hosted")
        + " addressing";
  }
}
