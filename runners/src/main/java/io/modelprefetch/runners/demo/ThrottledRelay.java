package io.modelprefetch.runners.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP relay on 127.0.0.1 in front of the demo's server that lets the answers through at a set
 * number of bytes per second, shared by every connection: a prefetch of the small demo model on
 * loopback would otherwise be over before its first progress line.
 */
public final class ThrottledRelay implements AutoCloseable {

  private static final int BUFFER_BYTES = 16 * 1024;

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final long bytesPerSecond;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "demo-relay");
            t.setDaemon(true);
            return t;
          });
  private long nextFreeNanos = System.nanoTime();

  private ThrottledRelay(URI target, long bytesPerSecond) throws IOException {
    this.target = new InetSocketAddress(target.getHost(), target.getPort());
    this.bytesPerSecond = bytesPerSecond;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::accept);
  }

  /**
   * Starts relaying to {@code target} (an {@code http://127.0.0.1:port} endpoint) at {@code
   * bytesPerSecond}.
   */
  public static ThrottledRelay start(URI target, long bytesPerSecond) throws IOException {
    if (bytesPerSecond < 1) {
      throw new IllegalArgumentException("bytesPerSecond must be >= 1, was " + bytesPerSecond);
    }
    return new ThrottledRelay(target, bytesPerSecond);
  }

  /** The relay's endpoint: the target's, on the relay's port. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + listener.getLocalPort());
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(target.getAddress(), target.getPort());
        threads.execute(() -> copy(client, server, false));
        threads.execute(() -> copy(server, client, true));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void copy(Socket from, Socket to, boolean throttled) {
    byte[] buffer = new byte[BUFFER_BYTES];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        if (throttled) {
          pace(n);
        }
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side closed: close both below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /** Waits until {@code bytes} more fit the rate, counted over every connection. */
  private void pace(int bytes) throws InterruptedException {
    long waitNanos;
    synchronized (this) {
      long now = System.nanoTime();
      nextFreeNanos = Math.max(nextFreeNanos, now) + bytes * 1_000_000_000L / bytesPerSecond;
      waitNanos = nextFreeNanos - now;
    }
    if (waitNanos > 0) {
      Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    threads.shutdownNow();
  }
}
