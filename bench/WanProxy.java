import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A shaping HTTP/1.1 reverse proxy that makes a loopback S3 server look like one across a WAN, for
 * bench/run.sh. It listens on 127.0.0.1 and forwards every request, head bytes unchanged (the Host
 * header included, so SigV4 signatures stay valid), to one upstream on 127.0.0.1.
 *
 * <pre>
 * java bench/WanProxy.java --listen 18766 --upstream 127.0.0.1:18765 --latency-ms 20 --mbps 25 \
 *     [--rps 100] [--burst-kib KIB] --control 18767
 * </pre>
 *
 * <p>What it models, per request and per client connection:
 *
 * <ul>
 *   <li>Latency: the first byte of a response (an interim {@code 100 Continue} included) is not sent
 *       before {@code --latency-ms} after the request head arrived. The request is forwarded at
 *       once, so the upstream's own time to first byte is hidden unless it exceeds the latency
 *       (counted as {@code upstream_late}).
 *   <li>Bandwidth: each client connection's response bodies pass a token bucket of {@code --mbps}
 *       (10^6 bytes/s): a body of S bytes ends S / rate after its first byte. Each body starts with
 *       16 KiB of credit (a link waiting for the first byte earns none), then leaves in pieces of
 *       256 KiB; within a body the bucket holds up to {@code --burst-kib} (default: 50 ms of the
 *       rate, at least 256 KiB), so pieces the proxy sent late are caught up. Request bodies
 *       (uploads) and heads are not shaped.
 *   <li>Request rate: with {@code --rps N}, a request that would make more than N forwarded
 *       requests within the last second (all connections) is answered {@code 503 Slow Down} with
 *       S3's XML error, after the latency, instead of being forwarded; its body is read and dropped
 *       and the connection stays usable (with {@code Expect: 100-continue} the body never comes, so
 *       that connection is closed, as RFC 9110 allows). Answered 503s do not count towards the
 *       window, so a client that backs off gets through.
 * </ul>
 *
 * <p>What it does not model: packet loss and retransmission, TCP slow start and congestion windows
 * per round trip (a fresh connection gets the full rate at once), a connection set-up cost (connect
 * is loopback-fast), bandwidth shared between connections (every connection gets the full rate),
 * and jitter.
 *
 * <p>Keep-alive on both sides: each client connection has its own upstream connection, opened on
 * its first request and kept while both ends keep theirs. A body-less request that meets a closed
 * upstream connection (Jetty drops idle ones after 30 s) is sent once more on a fresh one.
 * Content-Length and chunked bodies are relayed both ways, HEAD and 1xx/204/304 responses without
 * bodies, and {@code Expect: 100-continue} goes to the upstream, whose {@code 100} is relayed.
 * One thread per client connection with 256 KiB pieces keeps the CPU low: no per-request logging.
 *
 * <p>Counters, on the control port ({@code curl http://127.0.0.1:CONTROL/stats}; {@code /reset}
 * prints them and starts them again; maxima restart from the present value): {@code requests}
 * (every request head received), {@code forwarded}, {@code slowdown_503} (answered here), {@code
 * body_bytes_out} (response body bytes relayed to clients), {@code body_bytes_in} (request body
 * bytes relayed upstream), {@code connections_accepted}, {@code connections_open}, {@code
 * connections_max} (client connections open at once), {@code in_flight}, {@code in_flight_max}
 * (requests between head arrival and the end of their response, at once), {@code
 * upstream_connects}, {@code upstream_resends}, {@code upstream_late}, {@code connections_failed}
 * (connections that ended by an I/O error rather than a close) and {@code status_NNN} per upstream
 * status. Each line is {@code name value}.
 *
 * <p>It prints one line {@code WanProxy listening on ...} once both ports are bound, and exits
 * with status 1 and one line on stderr when it cannot bind either.
 */
public final class WanProxy {
  /** Body bytes move in pieces of this size: fewer wake-ups and system calls per GB. */
  private static final int BUFFER_BYTES = 256 * 1024;
  /** Heads are read through buffers of this size; body reads of a whole piece bypass them. */
  private static final int HEAD_BUFFER_BYTES = 16 * 1024;
  /**
   * The default catch-up credit within a body: 50 ms of the rate (at least one piece). Less loses
   * rate whenever the proxy is scheduled late, which on 2 busy cores happens every few ms.
   */
  private static final long DEFAULT_BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final int MAX_HEAD_BYTES = 64 * 1024;
  /** Jetty's default idle timeout is 30 s: reconnect before reusing an older upstream connection. */
  private static final long UPSTREAM_IDLE_NANOS = TimeUnit.SECONDS.toNanos(20);

  private static final byte[] SLOW_DOWN_BODY =
      ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              + "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
              + "</Error>")
          .getBytes(StandardCharsets.US_ASCII);

  /** Settings from the command line; rates of 0 mean unlimited. */
  record Settings(
      int listenPort,
      String upstreamHost,
      int upstreamPort,
      long latencyNanos,
      double bytesPerSecond,
      int requestsPerSecond,
      long burstBytes,
      int controlPort) {

    static Settings parse(String[] args) {
      Map<String, String> a = new TreeMap<>();
      for (int i = 0; i < args.length; i++) {
        if (!args[i].startsWith("--") || i + 1 >= args.length) {
          throw new IllegalArgumentException("argument '" + args[i] + "' needs a value: " + USAGE);
        }
        a.put(args[i].substring(2), args[++i]);
      }
      for (String k : a.keySet()) {
        if (!List.of("listen", "upstream", "latency-ms", "mbps", "rps", "burst-kib", "control")
            .contains(k)) {
          throw new IllegalArgumentException("unknown option --" + k + ": " + USAGE);
        }
      }
      String upstream = require(a, "upstream");
      int colon = upstream.lastIndexOf(':');
      int upstreamPort = -1;
      try {
        upstreamPort = colon < 1 ? -1 : Integer.parseInt(upstream.substring(colon + 1));
      } catch (NumberFormatException e) {
        // refused below
      }
      if (upstreamPort < 1 || upstreamPort > 65535) {
        throw new IllegalArgumentException(
            "--upstream must be HOST:PORT, e.g. 127.0.0.1:18765, was '" + upstream + "'");
      }
      return new Settings(
          (int) number(a, "listen", null, 1, 65535),
          upstream.substring(0, colon),
          upstreamPort,
          TimeUnit.MILLISECONDS.toNanos(number(a, "latency-ms", "0", 0, 60_000)),
          number(a, "mbps", "0", 0, 100_000) * 1e6,
          (int) number(a, "rps", "0", 0, 1_000_000),
          burstBytes(a),
          (int) number(a, "control", null, 1, 65535));
    }

    private static long burstBytes(Map<String, String> a) {
      if (a.containsKey("burst-kib")) {
        return number(a, "burst-kib", null, 1, 1 << 20) * 1024;
      }
      double bytesPerSecond = number(a, "mbps", "0", 0, 100_000) * 1e6;
      return Math.max(BUFFER_BYTES, (long) (bytesPerSecond * DEFAULT_BURST_NANOS / 1e9));
    }

    private static String require(Map<String, String> a, String name) {
      String v = a.get(name);
      if (v == null) {
        throw new IllegalArgumentException("--" + name + " is required: " + USAGE);
      }
      return v;
    }

    private static long number(Map<String, String> a, String name, String dflt, long min, long max) {
      String v = a.getOrDefault(name, dflt);
      if (v == null) {
        throw new IllegalArgumentException("--" + name + " is required: " + USAGE);
      }
      try {
        long n = Long.parseLong(v);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
      throw new IllegalArgumentException(
          "--" + name + " must be a whole number in " + min + ".." + max + ", was '" + v + "'");
    }
  }

  private static final String USAGE =
      "java bench/WanProxy.java --listen PORT --upstream HOST:PORT --latency-ms N --mbps N"
          + " [--rps N] [--burst-kib KIB] --control PORT";

  /** Counters shown on the control port. */
  static final class Stats {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong forwarded = new AtomicLong();
    final AtomicLong slowDown = new AtomicLong();
    final AtomicLong bodyBytesOut = new AtomicLong();
    final AtomicLong bodyBytesIn = new AtomicLong();
    final AtomicLong connectionsAccepted = new AtomicLong();
    final AtomicInteger connectionsOpen = new AtomicInteger();
    final AtomicInteger connectionsMax = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger inFlightMax = new AtomicInteger();
    final AtomicLong upstreamConnects = new AtomicLong();
    final AtomicLong upstreamResends = new AtomicLong();
    final AtomicLong upstreamLate = new AtomicLong();
    final AtomicLong connectionsFailed = new AtomicLong();
    final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();

    void opened() {
      connectionsAccepted.incrementAndGet();
      connectionsMax.accumulateAndGet(connectionsOpen.incrementAndGet(), Math::max);
    }

    void started() {
      requests.incrementAndGet();
      inFlightMax.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    }

    void status(int code) {
      statuses.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
    }

    /** The counters as {@code name value} lines; with {@code reset} they start again. */
    synchronized String render(boolean reset) {
      StringBuilder s = new StringBuilder();
      line(s, "requests", reset ? requests.getAndSet(0) : requests.get());
      line(s, "forwarded", reset ? forwarded.getAndSet(0) : forwarded.get());
      line(s, "slowdown_503", reset ? slowDown.getAndSet(0) : slowDown.get());
      line(s, "body_bytes_out", reset ? bodyBytesOut.getAndSet(0) : bodyBytesOut.get());
      line(s, "body_bytes_in", reset ? bodyBytesIn.getAndSet(0) : bodyBytesIn.get());
      line(s, "connections_accepted", reset ? connectionsAccepted.getAndSet(0) : connectionsAccepted.get());
      line(s, "connections_open", connectionsOpen.get());
      line(s, "connections_max", reset ? connectionsMax.getAndSet(connectionsOpen.get()) : connectionsMax.get());
      line(s, "in_flight", inFlight.get());
      line(s, "in_flight_max", reset ? inFlightMax.getAndSet(inFlight.get()) : inFlightMax.get());
      line(s, "upstream_connects", reset ? upstreamConnects.getAndSet(0) : upstreamConnects.get());
      line(s, "upstream_resends", reset ? upstreamResends.getAndSet(0) : upstreamResends.get());
      line(s, "upstream_late", reset ? upstreamLate.getAndSet(0) : upstreamLate.get());
      line(s, "connections_failed", reset ? connectionsFailed.getAndSet(0) : connectionsFailed.get());
      new TreeMap<>(statuses)
          .forEach((code, n) -> line(s, "status_" + code, reset ? n.getAndSet(0) : n.get()));
      return s.toString();
    }

    private static void line(StringBuilder s, String name, long value) {
      s.append(name).append(' ').append(value).append('\n');
    }
  }

  /** Admits at most {@code limit} requests in any sliding second, over all connections. */
  static final class RequestRate {
    private final int limit;
    private final ArrayDeque<Long> admittedNanos = new ArrayDeque<>();

    RequestRate(int limit) {
      this.limit = limit;
    }

    synchronized boolean tryAdmit(long nowNanos) {
      if (limit <= 0) {
        return true;
      }
      while (!admittedNanos.isEmpty() && nowNanos - admittedNanos.peekFirst() >= 1_000_000_000L) {
        admittedNanos.pollFirst();
      }
      if (admittedNanos.size() >= limit) {
        return false;
      }
      admittedNanos.addLast(nowNanos);
      return true;
    }
  }

  /**
   * A token bucket of one connection. The balance may go negative: the caller then sleeps the
   * debt off before it writes, so a body of S bytes ends S / rate after its first piece went out.
   * Within a body the bucket holds up to {@code capacityBytes}, so a piece the proxy sent late
   * (scheduled late on busy cores) is caught up; each body starts with at most {@link
   * #FIRST_PIECE_BYTES}, because a real link earns no credit while it waits for the first byte.
   */
  static final class Bucket {
    static final int FIRST_PIECE_BYTES = 16 * 1024;
    private final double bytesPerNano;
    private final double capacityBytes;
    private double tokens;
    private long lastNanos = System.nanoTime();

    Bucket(double bytesPerSecond, long capacityBytes) {
      this.bytesPerNano = bytesPerSecond / 1e9;
      this.capacityBytes = capacityBytes;
    }

    /** A response body starts: its first piece of up to FIRST_PIECE_BYTES goes out at once. */
    void startBody() {
      lastNanos = System.nanoTime();
      tokens = FIRST_PIECE_BYTES;
    }

    void take(int bytes) {
      if (bytesPerNano <= 0) {
        return;
      }
      long now = System.nanoTime();
      tokens = Math.min(capacityBytes, tokens + (now - lastNanos) * bytesPerNano);
      lastNanos = now;
      tokens -= bytes;
      if (tokens < 0) {
        sleepUntil(now + (long) (-tokens / bytesPerNano));
      }
    }
  }

  static void sleepUntil(long deadlineNanos) {
    for (long left; (left = deadlineNanos - System.nanoTime()) > 0; ) {
      LockSupport.parkNanos(left);
    }
  }

  /** A request or response head: its bytes as received, its start line and its headers. */
  static final class Head {
    final byte[] raw;
    final String startLine;
    final List<String[]> headers = new ArrayList<>();
    final long arrivedNanos;

    private Head(byte[] raw, long arrivedNanos) throws IOException {
      this.raw = raw;
      this.arrivedNanos = arrivedNanos;
      String[] lines = new String(raw, StandardCharsets.ISO_8859_1).split("\r?\n");
      startLine = lines[0];
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          throw new IOException("malformed header line '" + lines[i] + "'");
        }
        headers.add(
            new String[] {
              lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
              lines[i].substring(colon + 1).trim()
            });
      }
    }

    /** Reads one head; null when the stream ends before its first byte. */
    static Head read(InputStream in) throws IOException {
      byte[] b = new byte[1024];
      int n = 0;
      long arrived = 0;
      while (true) {
        int c = in.read();
        if (c < 0) {
          if (n == 0) {
            return null;
          }
          throw new EOFException("stream ended inside a head after " + n + " bytes");
        }
        if (n == 0) {
          if (c == '\r' || c == '\n') {
            continue; // stray line breaks between messages are allowed (RFC 9112 2.2)
          }
          arrived = System.nanoTime();
        }
        if (n == b.length) {
          if (n >= MAX_HEAD_BYTES) {
            throw new IOException("head longer than " + MAX_HEAD_BYTES + " bytes");
          }
          b = java.util.Arrays.copyOf(b, n * 2);
        }
        b[n++] = (byte) c;
        if (c == '\n'
            && ((n >= 4 && b[n - 2] == '\r' && b[n - 3] == '\n' && b[n - 4] == '\r')
                || (n >= 2 && b[n - 2] == '\n'))) {
          byte[] raw = java.util.Arrays.copyOf(b, n);
          return new Head(raw, arrived);
        }
      }
    }

    String header(String lowerName) {
      for (String[] h : headers) {
        if (h[0].equals(lowerName)) {
          return h[1];
        }
      }
      return null;
    }

    boolean chunked() {
      String te = header("transfer-encoding");
      return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
    }

    /** Content-Length, or -1 when there is none. */
    long contentLength() throws IOException {
      String cl = header("content-length");
      if (cl == null) {
        return -1;
      }
      try {
        return Long.parseLong(cl);
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length '" + cl + "'");
      }
    }

    /** Whether the sender closes the connection after this message. */
    boolean closes() {
      String c = header("connection");
      boolean http10 = startLine.contains("HTTP/1.0");
      if (c == null) {
        return http10;
      }
      String lc = c.toLowerCase(Locale.ROOT);
      return lc.contains("close") || (http10 && !lc.contains("keep-alive"));
    }

    String method() {
      int sp = startLine.indexOf(' ');
      return sp < 0 ? startLine : startLine.substring(0, sp);
    }

    int status() throws IOException {
      String[] parts = startLine.split(" ", 3);
      try {
        return Integer.parseInt(parts[1]);
      } catch (RuntimeException e) {
        throw new IOException("bad status line '" + startLine + "'");
      }
    }
  }

  private final Settings settings;
  private final Stats stats = new Stats();
  private final RequestRate rate;
  private final AtomicLong ids = new AtomicLong();

  WanProxy(Settings settings) {
    this.settings = settings;
    this.rate = new RequestRate(settings.requestsPerSecond());
  }

  public static void main(String[] args) throws IOException {
    Settings settings;
    try {
      settings = Settings.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("WanProxy: " + e.getMessage());
      System.exit(2);
      return;
    }
    new WanProxy(settings).serve();
  }

  private void serve() throws IOException {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    ServerSocket listener = new ServerSocket();
    HttpServer control;
    try {
      listener.bind(new InetSocketAddress(loopback, settings.listenPort()), 256);
    } catch (BindException e) {
      fail("cannot bind 127.0.0.1:" + settings.listenPort() + " (" + e.getMessage() + "); pick another --listen port");
      return;
    }
    try {
      control = HttpServer.create(new InetSocketAddress(loopback, settings.controlPort()), 16);
    } catch (BindException e) {
      fail("cannot bind the control port 127.0.0.1:" + settings.controlPort() + " (" + e.getMessage() + "); pick another --control port");
      return;
    }
    control.createContext("/stats", x -> answer(x, stats.render(false)));
    control.createContext("/reset", x -> answer(x, stats.render(true)));
    control.start();
    System.out.printf(
        Locale.ROOT,
        "WanProxy listening on http://127.0.0.1:%d -> http://%s:%d, latency %d ms, %s per connection, %s, control http://127.0.0.1:%d/stats%n",
        settings.listenPort(),
        settings.upstreamHost(),
        settings.upstreamPort(),
        TimeUnit.NANOSECONDS.toMillis(settings.latencyNanos()),
        settings.bytesPerSecond() > 0 ? (settings.bytesPerSecond() / 1e6) + " MB/s" : "unlimited",
        settings.requestsPerSecond() > 0 ? "at most " + settings.requestsPerSecond() + " requests/s" : "no request-rate limit",
        settings.controlPort());
    System.out.flush();
    while (true) {
      Socket client = listener.accept();
      stats.opened();
      Thread t = new Thread(new Connection(client), "conn-" + stats.connectionsAccepted.get());
      t.setDaemon(true);
      t.start();
    }
  }

  private static void fail(String message) {
    System.err.println("WanProxy: " + message);
    System.exit(1);
  }

  private static void answer(HttpExchange x, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.US_ASCII);
    x.getResponseHeaders().set("Content-Type", "text/plain");
    x.sendResponseHeaders(200, b.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(b);
    }
  }

  /** One client connection and its upstream connection, served on one thread. */
  final class Connection implements Runnable {
    private final Socket client;
    private final Bucket bucket = new Bucket(settings.bytesPerSecond(), settings.burstBytes());
    private final byte[] buf = new byte[BUFFER_BYTES];
    private InputStream clientIn;
    private OutputStream clientOut;
    private Socket upstream;
    private InputStream upstreamIn;
    private OutputStream upstreamOut;
    private long upstreamUsedNanos;
    private boolean firstPiece;

    Connection(Socket client) {
      this.client = client;
    }

    @Override
    public void run() {
      try (client) {
        client.setTcpNoDelay(true);
        clientIn = new BufferedInputStream(client.getInputStream(), HEAD_BUFFER_BYTES);
        clientOut = client.getOutputStream();
        for (Head request; (request = Head.read(clientIn)) != null; ) {
          stats.started();
          boolean keep;
          try {
            keep = exchange(request);
          } finally {
            stats.inFlight.decrementAndGet();
          }
          if (!keep) {
            break;
          }
        }
      } catch (IOException e) {
        // A peer went away or spoke garbage: the connection ends, as a broken network path would.
        stats.connectionsFailed.incrementAndGet();
      } finally {
        closeUpstream();
        stats.connectionsOpen.decrementAndGet();
      }
    }

    /** Serves one request; false when the client connection must close afterwards. */
    private boolean exchange(Head request) throws IOException {
      long deadline = request.arrivedNanos + settings.latencyNanos();
      boolean expectContinue = "100-continue".equalsIgnoreCase(request.header("expect"));
      boolean hasBody = request.chunked() || request.contentLength() > 0;
      boolean head = request.method().equals("HEAD");
      if (!rate.tryAdmit(request.arrivedNanos)) {
        stats.slowDown.incrementAndGet();
        boolean close = request.closes() || (hasBody && expectContinue);
        if (hasBody && !close) {
          relayBody(request, clientIn, null, false);
        }
        sleepUntil(deadline);
        writeSlowDown(head, close);
        return !close;
      }
      stats.forwarded.incrementAndGet();
      boolean sendBodyNow = hasBody && !expectContinue;
      Head response = send(request, sendBodyNow);
      boolean bodySent = !hasBody || sendBodyNow;
      while (response.status() >= 100 && response.status() < 200 && response.status() != 101) {
        sleepUntil(deadline);
        clientOut.write(response.raw);
        if (response.status() == 100 && !bodySent) {
          relayBody(request, clientIn, upstreamOut, false);
          bodySent = true;
        }
        response = Head.read(upstreamIn);
        if (response == null) {
          throw new EOFException("upstream closed the connection before its final response");
        }
      }
      int status = response.status();
      stats.status(status);
      if (response.arrivedNanos > deadline) {
        stats.upstreamLate.incrementAndGet();
      }
      sleepUntil(deadline);
      clientOut.write(response.raw);
      boolean upstreamCloses = response.closes();
      if (!(head || status == 204 || status == 304)) {
        bucket.startBody();
        firstPiece = true;
        if (response.chunked() || response.contentLength() >= 0) {
          relayBody(response, upstreamIn, clientOut, true);
        } else {
          copy(upstreamIn, clientOut, Long.MAX_VALUE, true); // delimited by the close
          upstreamCloses = true;
        }
      }
      upstreamUsedNanos = System.nanoTime();
      if (upstreamCloses) {
        closeUpstream();
      }
      // A final answer before the body was asked for: the client may still send it, or not.
      return bodySent && !request.closes() && !upstreamCloses;
    }

    /**
     * Sends the request head (and its body when {@code withBody}) upstream and reads the first
     * response head. A body-less request is sent once more on a fresh connection when the kept one
     * turns out closed before any response byte.
     */
    private Head send(Head request, boolean withBody) throws IOException {
      boolean resendable = !(request.chunked() || request.contentLength() > 0);
      for (int attempt = 0; ; attempt++) {
        if (upstream != null && System.nanoTime() - upstreamUsedNanos > UPSTREAM_IDLE_NANOS) {
          closeUpstream();
        }
        if (upstream == null) {
          openUpstream();
        }
        try {
          upstreamOut.write(request.raw);
          if (withBody) {
            relayBody(request, clientIn, upstreamOut, false);
          }
          Head response = Head.read(upstreamIn);
          if (response == null) {
            throw new EOFException("upstream closed the kept connection");
          }
          return response;
        } catch (IOException e) {
          closeUpstream();
          if (!resendable || attempt > 0) {
            throw e;
          }
          stats.upstreamResends.incrementAndGet();
        }
      }
    }

    private void openUpstream() throws IOException {
      upstream = new Socket(settings.upstreamHost(), settings.upstreamPort());
      upstream.setTcpNoDelay(true);
      upstreamIn = new BufferedInputStream(upstream.getInputStream(), HEAD_BUFFER_BYTES);
      upstreamOut = upstream.getOutputStream();
      upstreamUsedNanos = System.nanoTime();
      stats.upstreamConnects.incrementAndGet();
    }

    private void closeUpstream() {
      if (upstream != null) {
        try {
          upstream.close();
        } catch (IOException e) {
          // nothing left to release
        }
        upstream = null;
      }
    }

    /**
     * Relays (or, with a null {@code out}, drops) the body that {@code message} announces: chunked
     * with its trailers, or Content-Length bytes. Response bodies ({@code response}) are shaped and
     * counted out, request bodies counted in.
     */
    private void relayBody(Head message, InputStream in, OutputStream out, boolean response)
        throws IOException {
      if (!message.chunked()) {
        copy(in, out, Math.max(0, message.contentLength()), response);
        return;
      }
      while (true) {
        String sizeLine = line(in);
        writeLine(out, sizeLine);
        int semicolon = sizeLine.indexOf(';');
        long size;
        try {
          size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        } catch (NumberFormatException e) {
          throw new IOException("bad chunk size line '" + sizeLine + "'");
        }
        if (size == 0) {
          for (String trailer; !(trailer = line(in)).isEmpty(); ) {
            writeLine(out, trailer);
          }
          writeLine(out, "");
          return;
        }
        copy(in, out, size, response);
        if (!line(in).isEmpty()) {
          throw new IOException("chunk of " + size + " bytes not followed by CRLF");
        }
        writeLine(out, "");
      }
    }

    private void copy(InputStream in, OutputStream out, long bytes, boolean response)
        throws IOException {
      // A shaped response fills the whole piece before it goes out: the upstream is far faster
      // than the cap, and one wake-up per piece costs less CPU than one per socket read.
      boolean fill = response && settings.bytesPerSecond() > 0;
      for (long left = bytes; left > 0; ) {
        int want = (int) Math.min(response && firstPiece ? Bucket.FIRST_PIECE_BYTES : buf.length, left);
        int n = fill ? in.readNBytes(buf, 0, want) : in.read(buf, 0, want);
        if (n <= 0) {
          if (bytes == Long.MAX_VALUE) {
            return;
          }
          throw new EOFException("body ended " + left + " bytes short of " + bytes);
        }
        left -= n;
        if (out == null) {
          continue;
        }
        if (response) {
          bucket.take(n);
          out.write(buf, 0, n);
          firstPiece = false;
          stats.bodyBytesOut.addAndGet(n);
        } else {
          out.write(buf, 0, n);
          stats.bodyBytesIn.addAndGet(n);
        }
      }
    }

    private void writeSlowDown(boolean head, boolean close) throws IOException {
      String h =
          "HTTP/1.1 503 Slow Down\r\n"
              + "Content-Type: application/xml\r\n"
              + "Content-Length: " + SLOW_DOWN_BODY.length + "\r\n"
              + "x-amz-request-id: WANPROXY" + Long.toHexString(ids.incrementAndGet()) + "\r\n"
              + (close ? "Connection: close\r\n" : "")
              + "\r\n";
      clientOut.write(h.getBytes(StandardCharsets.US_ASCII));
      if (!head) {
        clientOut.write(SLOW_DOWN_BODY);
      }
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new EOFException("stream ended inside a chunked body");
      }
      if (s.length() > 8192) {
        throw new IOException("line longer than 8 KiB in a chunked body");
      }
      s.append((char) c);
    }
    int end = s.length();
    if (end > 0 && s.charAt(end - 1) == '\r') {
      s.setLength(end - 1);
    }
    return s.toString();
  }

  private static void writeLine(OutputStream out, String line) throws IOException {
    if (out != null) {
      out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
  }
}
