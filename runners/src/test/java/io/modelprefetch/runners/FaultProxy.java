package io.modelprefetch.runners;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An HTTP proxy on 127.0.0.1 between the tool and a real S3 server (S3Proxy) that injects faults
 * into object GETs with seeded probabilities: connection resets mid-body, {@code 503 SlowDown},
 * truncated bodies, a flipped byte with intact headers, a body of 1 KiB or more that trickles a
 * byte every 100 ms after its first half (until the client gives up, or two minutes), and a {@code
 * Content-Range} that names other bytes than those sent. It adds the TOS whole-object CRC header
 * ({@code x-tos-hash-crc64ecma}) to GET and HEAD answers where the test registered one, and counts
 * what it served.
 *
 * <p>Requests are forwarded with their own {@code Host} header, so SigV4 signatures stay valid.
 * Every exchange uses a fresh upstream connection and ends with {@code Connection: close}.
 *
 * <p>An {@link #answers answer hook} misbehaves as a broken store, proxy or captive portal would:
 * it sees each request and the upstream's answer (its body de-chunked) and may send another answer
 * instead (a rewritten listing, a login page, a Content-Length that does not match the body). Such
 * an answer keeps the connection open unless it says {@code Connection: close}, as a keep-alive
 * server would, so what it sends wrong can reach the client's next request too.
 */
final class FaultProxy implements AutoCloseable {

  enum Fault {
    RESET,
    SLOWDOWN,
    TRUNCATE,
    FLIP,
    TRICKLE,
    WRONG_RANGE
  }

  private final ServerSocket server;
  private final int upstreamPort;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "fault-proxy");
            t.setDaemon(true);
            return t;
          });
  private final Random random;
  private volatile Map<Fault, Double> faults = Map.of();
  private volatile int maxFaultsPerPath = Integer.MAX_VALUE;
  private final Map<String, AtomicInteger> faultsByPath = new ConcurrentHashMap<>();
  private volatile Consumer<String> beforeObjectGet = path -> {};
  private final Map<String, Long> crcByPath = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> getsByPath = new ConcurrentHashMap<>();
  private final Map<Fault, AtomicInteger> injected = new ConcurrentHashMap<>();
  private final AtomicLong objectBodyBytes = new AtomicLong();
  private final AtomicInteger listings = new AtomicInteger();
  private volatile AnswerHook answers = (request, upstream) -> null;

  /** A request as the proxy received it. */
  record Request(String method, String target) {
    /** The value of query parameter {@code name} (URL-decoded), or null. */
    String query(String name) {
      int q = target.indexOf('?');
      if (q < 0) {
        return null;
      }
      for (String pair : target.substring(q + 1).split("&")) {
        int eq = pair.indexOf('=');
        String key = eq < 0 ? pair : pair.substring(0, eq);
        if (key.equals(name)) {
          return eq < 0
              ? ""
              : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
      return null;
    }

    boolean isListing() {
      return method.equals("GET") && target.contains("list-type=");
    }
  }

  /**
   * An upstream answer: its status line, its header lines (without Content-Length and
   * Transfer-Encoding) and its body.
   */
  record Upstream(String statusLine, List<String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * The same answer with {@code newBody} and a Content-Length of {@code contentLength}, as bytes
     * to send.
     */
    byte[] with(byte[] newBody, long contentLength) {
      StringBuilder head = new StringBuilder(statusLine).append("\r\n");
      headers.forEach(h -> head.append(h).append("\r\n"));
      head.append("Content-Length: ").append(contentLength).append("\r\n\r\n");
      byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
      byte[] out = java.util.Arrays.copyOf(h, h.length + newBody.length);
      System.arraycopy(newBody, 0, out, h.length, newBody.length);
      return out;
    }

    /** The same answer with {@code newBody}, its Content-Length right. */
    byte[] with(String newBody) {
      byte[] bytes = newBody.getBytes(StandardCharsets.UTF_8);
      return with(bytes, bytes.length);
    }
  }

  /**
   * Decides what the client gets instead of the upstream's answer: the bytes to send, or null to
   * pass it on.
   */
  interface AnswerHook {
    byte[] answer(Request request, Upstream upstream) throws IOException;
  }

  /**
   * Builds an answer of the proxy's own: {@code status}, one header, {@code body}, and a right
   * Content-Length.
   */
  static byte[] ownAnswer(String statusLine, String contentType, String body, boolean close) {
    return new Upstream(
            statusLine,
            close
                ? List.of("Content-Type: " + contentType, "Connection: close")
                : List.of("Content-Type: " + contentType),
            new byte[0])
        .with(body);
  }

  FaultProxy(URI upstream, long seed) throws IOException {
    this.upstreamPort = upstream.getPort();
    this.random = new Random(seed);
    this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    pool.execute(this::acceptLoop);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** Sets each fault's probability per object GET; empty for none. */
  FaultProxy faults(Map<Fault, Double> probabilities) {
    this.faults = Map.copyOf(probabilities);
    return this;
  }

  /** Injects at most {@code max} faults into the GETs of any one object. */
  FaultProxy maxFaultsPerPath(int max) {
    this.maxFaultsPerPath = max;
    return this;
  }

  /** Sends what {@code hook} answers instead of the upstream's answer; pass null to stop. */
  FaultProxy answers(AnswerHook hook) {
    this.answers = hook == null ? (request, upstream) -> null : hook;
    return this;
  }

  /** Runs {@code hook} with the request path before each object GET is forwarded. */
  FaultProxy beforeObjectGet(Consumer<String> hook) {
    this.beforeObjectGet = hook;
    return this;
  }

  /** Announces {@code crc} as the CRC-64 of the object at {@code /bucket/key}. */
  void announceCrc64(String path, long crc) {
    crcByPath.put(path, crc);
  }

  int objectGets() {
    return getsByPath.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  int objectGets(String path) {
    AtomicInteger n = getsByPath.get(path);
    return n == null ? 0 : n.get();
  }

  /** ListObjectsV2 requests (each page counts). */
  int listings() {
    return listings.get();
  }

  long objectBodyBytes() {
    return objectBodyBytes.get();
  }

  int injected(Fault fault) {
    AtomicInteger n = injected.get(fault);
    return n == null ? 0 : n.get();
  }

  void resetCounters() {
    getsByPath.clear();
    faultsByPath.clear();
    injected.clear();
    objectBodyBytes.set(0);
    listings.set(0);
  }

  @Override
  public void close() throws IOException {
    server.close();
    pool.shutdownNow();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        pool.execute(() -> serve(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      while (serveOne(client, in)) {
        // a keep-alive answer of the hook: the client may send its next request on this connection
      }
    } catch (IOException e) {
      // The client went away; nothing to serve.
    }
  }

  /** Serves one exchange; true when the connection stays open for another. */
  private boolean serveOne(Socket client, InputStream in) throws IOException {
    {
      String head = readHead(in);
      if (head == null) {
        return false;
      }
      String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
      String method = requestLine[0];
      String target = requestLine[1];
      long bodyLength = contentLength(head);
      byte[] body = in.readNBytes((int) Math.max(0, bodyLength));
      String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
      boolean objectGet =
          method.equals("GET") && path.indexOf('/', 1) > 0 && !target.contains("list-type=");
      if (method.equals("GET") && target.contains("list-type=")) {
        listings.incrementAndGet();
      }
      if (objectGet) {
        getsByPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        beforeObjectGet.accept(path);
      }
      Fault fault = objectGet ? pick(path) : null;
      OutputStream out = client.getOutputStream();
      if (fault == Fault.SLOWDOWN) {
        count(fault);
        byte[] xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                .getBytes(StandardCharsets.UTF_8);
        out.write(
            ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: "
                    + xml.length
                    + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(xml);
        out.flush();
        return false;
      }
      byte[] response = forward(withConnectionClose(head), body);
      byte[] own = answers.answer(new Request(method, target), parse(response));
      if (own != null) {
        out.write(own);
        out.flush();
        return !new String(own, StandardCharsets.ISO_8859_1)
            .toLowerCase(java.util.Locale.ROOT)
            .contains("\r\nconnection: close\r\n");
      }
      int split = indexOf(response, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
      String responseHead = new String(response, 0, split - 2, StandardCharsets.ISO_8859_1);
      byte[] responseBody = java.util.Arrays.copyOfRange(response, split, response.length);
      int status = Integer.parseInt(responseHead.split(" ")[1]);
      if (method.equals("HEAD") && status == 200 && crcByPath.containsKey(path)) {
        // TOS sends the whole object's CRC-64 with a HEAD's answer too
        out.write(
            (responseHead
                    + "x-tos-hash-crc64ecma: "
                    + Long.toUnsignedString(crcByPath.get(path))
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(responseBody);
        out.flush();
        return false;
      }
      if (!objectGet || (status != 200 && status != 206)) {
        out.write(response);
        out.flush();
        return false;
      }
      Long crc = crcByPath.get(path);
      if (crc != null) {
        responseHead += "x-tos-hash-crc64ecma: " + Long.toUnsignedString(crc) + "\r\n";
      }
      if (fault == Fault.WRONG_RANGE && status != 206) {
        fault = null; // a whole object's answer names no range to misstate
      }
      if (fault == Fault.WRONG_RANGE && responseBody.length >= 2) {
        responseHead = shiftedContentRange(responseHead);
      }
      out.write((responseHead + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      // A trickle of a short body would end within the client's patience: only long ones stall.
      if (fault == null || responseBody.length < (fault == Fault.TRICKLE ? 1024 : 2)) {
        out.write(responseBody);
        objectBodyBytes.addAndGet(responseBody.length);
        out.flush();
        return false;
      }
      count(fault);
      int half = responseBody.length / 2;
      switch (fault) {
        case FLIP -> {
          responseBody[half] ^= 0x5a;
          out.write(responseBody);
          objectBodyBytes.addAndGet(responseBody.length);
          out.flush();
        }
        case TRUNCATE -> {
          out.write(responseBody, 0, half);
          objectBodyBytes.addAndGet(half);
          out.flush();
        }
        case RESET -> {
          out.write(responseBody, 0, half);
          objectBodyBytes.addAndGet(half);
          out.flush();
          client.setSoLinger(true, 0); // close sends RST
        }
        case TRICKLE -> {
          out.write(responseBody, 0, half);
          objectBodyBytes.addAndGet(half);
          out.flush();
          long until = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
          for (int i = half; i < responseBody.length && System.nanoTime() < until; i++) {
            try {
              Thread.sleep(100); // the server's pace, not the test's: the client must give up on it
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return false;
            }
            out.write(responseBody[i]);
            out.flush();
            objectBodyBytes.incrementAndGet();
          }
        }
        case WRONG_RANGE -> {
          out.write(responseBody);
          objectBodyBytes.addAndGet(responseBody.length);
          out.flush();
        }
        default -> throw new IllegalStateException("unexpected fault " + fault);
      }
      return false;
    }
  }

  /** An upstream answer with its body de-chunked. */
  private static Upstream parse(byte[] response) throws IOException {
    int split = indexOf(response, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
    String[] lines = new String(response, 0, split - 4, StandardCharsets.ISO_8859_1).split("\r\n");
    List<String> headers = new java.util.ArrayList<>();
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      String lower = lines[i].toLowerCase(java.util.Locale.ROOT);
      if (lower.startsWith("transfer-encoding:")) {
        chunked = lower.contains("chunked");
      } else if (!lower.startsWith("content-length:")) {
        headers.add(lines[i]);
      }
    }
    byte[] body = java.util.Arrays.copyOfRange(response, split, response.length);
    return new Upstream(lines[0], List.copyOf(headers), chunked ? dechunk(body) : body);
  }

  private static byte[] dechunk(byte[] chunked) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (true) {
      int lineEnd =
          indexOf(
                  java.util.Arrays.copyOfRange(chunked, at, chunked.length),
                  "\r\n".getBytes(StandardCharsets.US_ASCII))
              + at;
      String size =
          new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].strip();
      int n = Integer.parseInt(size, 16);
      if (n == 0) {
        return out.toByteArray();
      }
      out.write(chunked, lineEnd + 2, n);
      at = lineEnd + 2 + n + 2;
    }
  }

  /**
   * The response head with its {@code Content-Range} moved one byte on: the bytes stay as they are.
   */
  private static String shiftedContentRange(String head) {
    StringBuilder sb = new StringBuilder();
    for (String line : head.split("\r\n")) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(?i)content-range: bytes (\\d+)-(\\d+)/(.*)")
              .matcher(line);
      sb.append(
              m.matches()
                  ? "Content-Range: bytes "
                      + (Long.parseLong(m.group(1)) + 1)
                      + "-"
                      + (Long.parseLong(m.group(2)) + 1)
                      + "/"
                      + m.group(3)
                  : line)
          .append("\r\n");
    }
    return sb.toString();
  }

  private synchronized Fault pick(String path) {
    double roll = random.nextDouble();
    double at = 0;
    for (Fault f : Fault.values()) {
      at += faults.getOrDefault(f, 0.0);
      if (roll < at) {
        AtomicInteger n = faultsByPath.computeIfAbsent(path, p -> new AtomicInteger());
        return n.get() < maxFaultsPerPath ? (n.incrementAndGet() > 0 ? f : null) : null;
      }
    }
    return null;
  }

  private void count(Fault fault) {
    injected.computeIfAbsent(fault, f -> new AtomicInteger()).incrementAndGet();
  }

  private byte[] forward(String head, byte[] body) throws IOException {
    try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
      OutputStream out = upstream.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      return upstream.getInputStream().readAllBytes();
    }
  }

  private static String withConnectionClose(String head) {
    StringBuilder sb = new StringBuilder();
    for (String line : head.split("\r\n")) {
      if (!line.toLowerCase(java.util.Locale.ROOT).startsWith("connection:") && !line.isEmpty()) {
        sb.append(line).append("\r\n");
      }
    }
    return sb.append("Connection: close\r\n\r\n").toString();
  }

  private static long contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        return Long.parseLong(line.substring(15).strip());
      }
    }
    return 0;
  }

  /** The request head up to and including the blank line, or null at end of stream. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      state =
          (b == '\r' && (state == 0 || state == 2))
              ? state + 1
              : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
      if (state == 4) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("no header end in upstream response");
  }
}
