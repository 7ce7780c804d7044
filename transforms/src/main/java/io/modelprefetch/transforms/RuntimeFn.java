package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.s3.S3Clients;
import java.util.Objects;
import org.apache.beam.sdk.transforms.DoFn;
import org.jspecify.annotations.Nullable;

/**
 * A DoFn that works through the JVM's {@link FetchRuntime} and its shared S3 clients: it acquires
 * both in {@code @Setup} and gives both back in {@code @Teardown}, so every step of the graph holds
 * and releases them the same way and the last release shuts the runtime's pools.
 *
 * <p>Clients are taken from the JVM's pool on first use ({@link S3Clients.Lease}), so a step that
 * never asks for one holds none. Subclasses build what they keep per instance in {@link #started}
 * and close it in {@link #stopping}, which runs before the runtime is released.
 */
abstract class RuntimeFn<InputT, OutputT> extends DoFn<InputT, OutputT> {

  /** Which clients the step uses: with the SDK's retries, or one attempt per call for fetches. */
  enum Clients {
    LISTING,
    FETCH
  }

  private final FetchSettings settings;
  private final Clients kind;
  // Null until @Setup and after @Teardown; read through runtime() and clients().
  private transient @Nullable FetchRuntime runtime;
  private transient S3Clients.@Nullable Lease clients;

  RuntimeFn(FetchSettings settings, Clients kind) {
    this.settings = settings;
    this.kind = kind;
  }

  @Setup
  public final void setup() throws Exception {
    clients = kind == Clients.FETCH ? S3Clients.Lease.forFetch() : S3Clients.Lease.forListing();
    runtime = FetchRuntime.acquire(settings);
    started(runtime, clients);
  }

  /** Builds what the instance keeps between bundles; called once, at the end of {@code @Setup}. */
  void started(FetchRuntime runtime, S3Clients.Lease clients) throws Exception {}

  final FetchRuntime runtime() {
    return Objects.requireNonNull(runtime, "acquired in @Setup");
  }

  final S3Clients.Lease clients() {
    return Objects.requireNonNull(clients, "acquired in @Setup");
  }

  @Teardown
  public final void teardown() throws Exception {
    try {
      stopping();
    } finally {
      if (clients != null) {
        clients.releaseAll();
        clients = null;
      }
      if (runtime != null) {
        runtime.release();
        runtime = null;
      }
    }
  }

  /**
   * Closes what {@link #started} built; called first in {@code @Teardown}, even after a failure.
   */
  void stopping() throws Exception {}
}
