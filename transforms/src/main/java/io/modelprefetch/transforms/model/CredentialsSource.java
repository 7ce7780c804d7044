package io.modelprefetch.transforms.model;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * Where a worker finds its credentials. Holds no secret: only the kind of source, and for keys
 * given on the command line, a handle to them in the launching JVM.
 */
public record CredentialsSource(Type type, @Nullable String handle) implements Serializable {

  /** The kinds of credential source. */
  public enum Type {
    /**
     * {@code TOS_ACCESS_KEY}, {@code TOS_SECRET_KEY} (and {@code TOS_SECURITY_TOKEN}) of the
     * worker.
     */
    TOS_ENVIRONMENT,
    /** The AWS SDK's default chain on the worker: {@code AWS_*} variables, profiles, roles. */
    AWS_DEFAULT_CHAIN,
    /** Keys held in memory by the launching JVM; valid only for runners inside that JVM. */
    IN_PROCESS,
    /** Unsigned requests, for public buckets. */
    ANONYMOUS
  }

  public static CredentialsSource of(Type type) {
    return new CredentialsSource(type, null);
  }

  @Override
  public String toString() {
    return handle == null ? type.name() : type + "(" + handle + ")";
  }
}
