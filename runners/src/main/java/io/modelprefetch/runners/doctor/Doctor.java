package io.modelprefetch.runners.doctor;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.http.conn.ssl.DefaultHostnameVerifier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Checks, one step at a time, that the client a run would build can reach a model, and explains the
 * first failure with its likely cause and fix. Steps: the endpoint (as given and as resolved), DNS
 * of the exact host contacted, TCP, TLS (trust and the certificate's names), one signed request,
 * and the first objects under the model's prefix. After a failure the later steps are skipped,
 * saying so.
 *
 * <p>Each step prints one line, {@code OK step: detail} or {@code FAIL step: detail} followed by
 * {@code fix: what to do}. Nothing printed holds a secret: the keys stay in the client.
 */
public final class Doctor {

  /** The steps, in order. */
  static final List<String> STEPS = List.of("endpoint", "dns", "tcp", "tls", "request", "objects");

  /** How many objects under the prefix are shown. */
  static final int OBJECTS_SHOWN = 5;

  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  private final ObjectUri location;
  private final ClientRecipe recipe;
  private final List<String> notes;
  private final PrintStream out;

  /**
   * @param location the model URI
   * @param recipe the client recipe a run would use for it
   * @param notes the endpoint rewrites the resolver made, in plain words
   * @param out where the steps are printed
   */
  public Doctor(ObjectUri location, ClientRecipe recipe, List<String> notes, PrintStream out) {
    this.location = location;
    this.recipe = recipe;
    this.notes = List.copyOf(notes);
    this.out = out;
  }

  /** A failed step: what happened and what to do. */
  private static final class StepFailed extends Exception {
    final String fix;

    StepFailed(String detail, String fix) {
      super(detail);
      this.fix = fix;
    }
  }

  /** Runs every step; returns true when all passed. */
  public boolean run() {
    URI endpoint =
        URI.create(
            recipe.endpoint() != null
                ? recipe.endpoint()
                : "https://s3." + recipe.region() + ".amazonaws.com");
    boolean https = endpoint.getScheme().equalsIgnoreCase("https");
    String host =
        recipe.pathStyle() ? endpoint.getHost() : location.bucket() + "." + endpoint.getHost();
    int port = endpoint.getPort() >= 0 ? endpoint.getPort() : https ? 443 : 80;
    String failed = null;
    for (String step : STEPS) {
      if (failed != null) {
        out.println("SKIP " + step + ": not checked because " + failed + " failed");
        continue;
      }
      try {
        out.println("OK   " + step + ": " + Printable.oneLine(check(step, host, port, https)));
      } catch (StepFailed e) {
        out.println("FAIL " + step + ": " + Printable.oneLine(String.valueOf(e.getMessage())));
        out.println("     fix: " + e.fix);
        failed = step;
      }
    }
    out.println(
        failed == null
            ? "doctor: every check passed for " + location
            : "doctor: " + location + " is not reachable: " + failed + " failed");
    return failed == null;
  }

  private String check(String step, String host, int port, boolean https) throws StepFailed {
    return switch (step) {
      case "endpoint" -> endpoint();
      case "dns" -> dns(host);
      case "tcp" -> tcp(host, port);
      case "tls" -> https ? tls(host, port) : "not used: the endpoint is plain http://";
      case "request" -> request();
      case "objects" -> objects();
      default -> throw new IllegalStateException("unknown step " + step);
    };
  }

  private String endpoint() {
    return notes.isEmpty() ? recipe.describe() + " (used as given)" : String.join(" / ", notes);
  }

  private static String dns(String host) throws StepFailed {
    try {
      return host
          + " resolves to "
          + Arrays.stream(InetAddress.getAllByName(host))
              .map(InetAddress::getHostAddress)
              .collect(Collectors.joining(", "));
    } catch (UnknownHostException e) {
      throw new StepFailed(
          "cannot resolve " + host + " (" + e.getMessage() + ")",
          "check the endpoint's host name and this machine's DNS; with virtual-hosted addressing the bucket's own"
              + " name <bucket>.<endpoint host> must resolve too");
    }
  }

  private static String tcp(String host, int port) throws StepFailed {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
      return "connected to "
          + host
          + " ("
          + socket.getInetAddress().getHostAddress()
          + ") port "
          + port;
    } catch (IOException e) {
      throw new StepFailed(
          "cannot connect to " + host + " port " + port + " (" + e.getMessage() + ")",
          "check the endpoint's port and that this machine may reach it (firewall, proxy; inside Volcano Engine"
              + " the internal endpoint is tos-s3-<region>.ivolces.com)");
    }
  }

  /**
   * Shakes hands with the trust every client of the recipe uses (the JVM's CAs plus {@code
   * AWS_CA_BUNDLE}) and then checks the certificate's names against {@code host} itself, so an
   * untrusted certificate and a certificate for other names are told apart.
   */
  private String tls(String host, int port) throws StepFailed {
    RecordingTrustManager trust = new RecordingTrustManager(trustManager());
    String trustedBy =
        recipe.caBundlePath() == null ? "the JVM's CAs" : "the JVM's CAs and AWS_CA_BUNDLE";
    String protocol;
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trust}, null);
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
        socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
        socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
        if (!isIpLiteral(host)) { // SNI carries names only
          SSLParameters parameters = socket.getSSLParameters();
          parameters.setServerNames(List.of(new SNIHostName(host)));
          socket.setSSLParameters(parameters);
        }
        socket.startHandshake();
        protocol = socket.getSession().getProtocol();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JVM offers no TLS", e);
    } catch (IOException e) {
      if (trust.chain == null) {
        throw new StepFailed(
            "TLS handshake with " + host + " port " + port + " failed (" + e.getMessage() + ")",
            "check that the endpoint speaks HTTPS on this port (http:// for a plain-HTTP server)");
      }
      throw new StepFailed(
          "the certificate "
              + certificate(trust.chain)
              + " is not trusted by "
              + trustedBy
              + " ("
              + firstLine(e.getMessage())
              + ")",
          S3Errors.CERTIFICATE_NOT_TRUSTED);
    }
    try {
      // The SDK's HTTP client checks names with this verifier: what it accepts, the fetch accepts.
      new DefaultHostnameVerifier()
          .verify(host, Objects.requireNonNull(trust.chain, "the handshake gave a chain")[0]);
    } catch (SSLException e) {
      throw new StepFailed(
          "the certificate " + certificate(trust.chain) + " does not cover " + host,
          S3Errors.CERTIFICATE_DOES_NOT_COVER_HOST);
    }
    return protocol
        + ", the certificate "
        + certificate(trust.chain)
        + " covers "
        + host
        + " and is trusted by "
        + trustedBy;
  }

  private X509TrustManager trustManager() {
    TrustManager[] managers;
    if (recipe.caBundlePath() != null) {
      managers = S3Clients.trustManagers(Path.of(recipe.caBundlePath()));
    } else {
      try {
        TrustManagerFactory factory =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore) null);
        managers = factory.getTrustManagers();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JVM's default trust cannot be loaded", e);
      }
    }
    for (TrustManager manager : managers) {
      if (manager instanceof X509TrustManager x509) {
        return x509;
      }
    }
    throw new IllegalStateException("no X.509 trust manager");
  }

  private String request() throws StepFailed {
    String target = location.scheme().prefix() + location.bucket();
    try (S3Client s3 = S3Clients.build(recipe)) {
      s3.listObjectsV2(b -> b.bucket(location.bucket()).maxKeys(1));
      return "ListObjectsV2 on "
          + target
          + " answered HTTP 200 (signed for region "
          + recipe.region()
          + ")";
    } catch (SdkException e) {
      throw new StepFailed("ListObjectsV2: " + S3Errors.what(e, target), explainOrDefault(e));
    }
  }

  private String objects() throws StepFailed {
    String prefix = location.key();
    ListObjectsV2Response listing;
    try (S3Client s3 = S3Clients.build(recipe)) {
      listing =
          s3.listObjectsV2(b -> b.bucket(location.bucket()).prefix(prefix).maxKeys(OBJECTS_SHOWN));
    } catch (SdkException e) {
      throw new StepFailed(
          "ListObjectsV2: " + S3Errors.what(e, location.toString()), explainOrDefault(e));
    }
    if (listing.contents().isEmpty()) {
      throw new StepFailed(
          "no object under " + location,
          "check the prefix (keys are case-sensitive) and the bucket; the request itself was accepted");
    }
    String shown =
        listing.contents().stream() // keys are the store's to choose: escaped
            .map(o -> Printable.escape(relative(o, prefix)) + " (" + o.size() + " bytes)")
            .collect(Collectors.joining(", "));
    return (Boolean.TRUE.equals(listing.isTruncated())
            ? "first " + listing.contents().size() + " objects"
            : "objects")
        + " under "
        + location
        + ": "
        + shown;
  }

  private static String relative(S3Object object, String prefix) {
    String key = object.key();
    return key.startsWith(prefix) && key.length() > prefix.length()
        ? key.substring(prefix.length())
        : key;
  }

  private static String explainOrDefault(SdkException e) {
    String explanation = S3Errors.explain(e);
    return explanation != null
        ? explanation
        : "the store refused the request; check the endpoint, region, keys and bucket named above";
  }

  /** {@code [name, ...] issued by <issuer>}. */
  private static String certificate(X509Certificate[] chain) {
    return names(chain[0]) + " issued by " + chain[0].getIssuerX500Principal().getName();
  }

  /** The certificate's DNS names and IP addresses, or its subject when it has none. */
  static List<String> names(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> name : alternatives) {
          int type = (Integer) name.get(0);
          if (type == 2 || type == 7) { // dNSName, iPAddress
            names.add(String.valueOf(name.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      names.add("unreadable names: " + e.getMessage());
    }
    if (names.isEmpty()) {
      names.add(certificate.getSubjectX500Principal().getName());
    }
    return names;
  }

  private static boolean isIpLiteral(String host) {
    return host.contains(":") || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  private static String firstLine(@Nullable String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Keeps the chain the server sent, also when the delegate rejects it. */
  private static final class RecordingTrustManager implements X509TrustManager {
    private final X509TrustManager delegate;
    X509Certificate @Nullable [] chain;

    RecordingTrustManager(X509TrustManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      this.chain = chain.clone();
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
