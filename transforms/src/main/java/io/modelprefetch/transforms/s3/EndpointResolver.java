package io.modelprefetch.transforms.s3;

import io.modelprefetch.transforms.model.ObjectUri;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Turns the endpoint and region a user gave into the endpoint, signing region and addressing style
 * actually used. Plain code: no SDK types.
 *
 * <p>The rules fix the three ways S3 clients fail against Volcano Engine TOS: an endpoint without a
 * scheme, the native TOS endpoint ({@code tos-<region>.volces.com}, which does not speak S3
 * signatures), and an endpoint that already holds the bucket (virtual-hosted addressing would
 * prepend it again and break TLS).
 */
public final class EndpointResolver {

  /** How requests name the bucket. */
  public enum Addressing {
    VIRTUAL_HOSTED("virtual-hosted"),
    PATH_STYLE("path-style");

    private final String words;

    Addressing(String words) {
      this.words = words;
    }

    @Override
    public String toString() {
      return words;
    }
  }

  /**
   * What the user gave; {@code endpoint}, {@code region} and {@code addressing} may be null, and so
   * may the source of a value that is null (nothing gave it).
   */
  public record Request(
      ObjectUri.Scheme scheme,
      String bucket,
      @Nullable String endpoint,
      @Nullable String endpointSource,
      @Nullable String region,
      @Nullable String regionSource,
      @Nullable Addressing addressing) {}

  /**
   * What is used. {@code endpoint} is null for AWS's own endpoints, which the SDK derives from the
   * region. {@code note} says in plain words what was rewritten, or is null.
   */
  public record Resolved(
      @Nullable String endpoint, String region, Addressing addressing, @Nullable String note) {}

  static final String DEFAULT_REGION = "us-east-1";

  // TOS hosts: tos-<region>.volces.com (native) and tos-s3-<region>.volces.com (S3-compatible),
  // with .ivolces.com inside Volcano Engine and .bytepluses.com on BytePlus.
  private static final Pattern TOS_HOST =
      Pattern.compile(
          "tos-(s3-)?([a-z0-9]+(?:-[a-z0-9]+)*)\\.(volces\\.com|ivolces\\.com|bytepluses\\.com)");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final List<String> VIRTUAL_HOSTED_DOMAINS =
      List.of(
          "amazonaws.com",
          "amazonaws.com.cn",
          "volces.com",
          "ivolces.com",
          "bytepluses.com",
          "aliyuncs.com",
          "myqcloud.com");

  private EndpointResolver() {}

  /**
   * Resolves {@code request}.
   *
   * @throws IllegalArgumentException with one line naming the input, the value, what is wrong and
   *     the fix
   */
  public static Resolved resolve(Request request) {
    String givenRegion = blankToNull(request.region());
    String given = blankToNull(request.endpoint());
    if (given == null) {
      return defaultEndpoint(request, givenRegion);
    }
    List<String> changes = new ArrayList<>();
    boolean noScheme = !given.contains("://");
    String withScheme = noScheme ? "https://" + given : given;
    URI uri;
    try {
      uri = new URI(withScheme);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          request.endpointSource()
              + " '"
              + given
              + "' is not a valid endpoint URL; write it as https://host[:port]");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new IllegalArgumentException(
          request.endpointSource()
              + " '"
              + given
              + "' uses scheme '"
              + scheme
              + "'; an S3 endpoint is https://host (or http://host for a local test server)");
    }
    String host = uri.getHost();
    int port = uri.getPort();
    if (host == null && uri.getRawAuthority() != null && !uri.getRawAuthority().contains("@")) {
      // java.net.URI leaves the host unset for names it does not accept, such as minio_1.
      String authority = uri.getRawAuthority();
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      port = colon < 0 ? -1 : parsePort(request, given, authority.substring(colon + 1));
    }
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          request.endpointSource()
              + " '"
              + given
              + "' has no host; write it as https://host[:port]");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/")) {
      throw new IllegalArgumentException(
          request.endpointSource()
              + " '"
              + given
              + "' has a path '"
              + path
              + "'; give only the scheme, host and port (the bucket comes from the model URI)");
    }
    host = host.toLowerCase(Locale.ROOT);
    String bucketLabel = request.bucket() + ".";
    boolean bucketQualified = false;
    // Strip only when a domain remains (bkt.tos-s3-cn-beijing.volces.com, not minio.local).
    if (request.bucket() != null
        && host.startsWith(bucketLabel)
        && host.indexOf('.', bucketLabel.length()) > 0) {
      host = host.substring(bucketLabel.length());
      bucketQualified = true;
    }

    String region = givenRegion;
    Matcher tos = TOS_HOST.matcher(host);
    boolean isTos = tos.matches();
    if (isTos) {
      if (tos.group(1) == null) {
        changes.add("native");
        host = "tos-s3-" + tos.group(2) + "." + tos.group(3);
      }
      String derived = tos.group(2);
      if (givenRegion != null && !givenRegion.equals(derived)) {
        throw new IllegalArgumentException(
            request.regionSource()
                + " '"
                + givenRegion
                + "' disagrees with region '"
                + derived
                + "' of "
                + request.endpointSource()
                + " '"
                + given
                + "'; unset "
                + request.regionSource()
                + " or give an endpoint in region "
                + givenRegion);
      }
      region = derived;
    } else if (givenRegion == null) {
      region = awsRegion(host);
    }
    if (bucketQualified) {
      changes.add("bucket-qualified");
    }
    if (region == null) {
      region = DEFAULT_REGION;
    }

    Addressing addressing = request.addressing();
    if (addressing == null) {
      addressing = defaultAddressing(host);
    } else if (isTos && addressing == Addressing.PATH_STYLE) {
      throw new IllegalArgumentException(
          "path-style addressing was requested for TOS endpoint '"
              + given
              + "', but TOS refuses path-style requests (403 InvalidPathAccess); drop the path-style setting");
    }

    // URI.getHost() keeps the brackets of an IPv6 literal.
    String endpoint = scheme + "://" + host + (port >= 0 ? ":" + port : "");
    String note = null;
    if (noScheme || !changes.isEmpty()) {
      String kind = changes.isEmpty() ? "" : "is the " + String.join(", ", changes) + " endpoint";
      String what =
          noScheme ? (kind.isEmpty() ? "has no scheme" : "has no scheme and " + kind) : kind;
      note =
          request.endpointSource()
              + " "
              + given
              + " "
              + what
              + "; using "
              + endpoint
              + ", region "
              + region
              + ", "
              + addressing
              + " addressing";
    }
    return new Resolved(endpoint, region, addressing, note);
  }

  private static Resolved defaultEndpoint(Request request, @Nullable String givenRegion) {
    Addressing addressing =
        request.addressing() == null ? Addressing.VIRTUAL_HOSTED : request.addressing();
    if (request.scheme() == ObjectUri.Scheme.TOS) {
      if (givenRegion == null) {
        throw new IllegalArgumentException(
            "tos:// needs an endpoint or a region: set TOS_ENDPOINT (e.g. https://tos-s3-cn-beijing.volces.com) or TOS_REGION");
      }
      if (addressing == Addressing.PATH_STYLE) {
        throw new IllegalArgumentException(
            "path-style addressing was requested for TOS, but TOS refuses path-style requests (403 InvalidPathAccess); drop the path-style setting");
      }
      return new Resolved(
          "https://tos-s3-" + givenRegion + ".volces.com", givenRegion, addressing, null);
    }
    return new Resolved(null, givenRegion == null ? DEFAULT_REGION : givenRegion, addressing, null);
  }

  // s3.<region>.amazonaws.com, s3-<region>.amazonaws.com, s3.dualstack.<region>.amazonaws.com
  private static final Pattern AWS_HOST =
      Pattern.compile(
          "(?:.*\\.)?s3[.-](?:dualstack\\.)?([a-z]{2}(?:-[a-z]+)+-\\d)\\.amazonaws\\.com(?:\\.cn)?");

  private static @Nullable String awsRegion(String host) {
    Matcher aws = AWS_HOST.matcher(host);
    return aws.matches() ? aws.group(1) : null;
  }

  private static int parsePort(Request request, String given, String port) {
    try {
      return Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          request.endpointSource()
              + " '"
              + given
              + "' has an invalid port '"
              + port
              + "'; write it as https://host[:port]");
    }
  }

  private static Addressing defaultAddressing(String host) {
    if (host.equals("localhost")
        || host.endsWith(".localhost")
        || IPV4.matcher(host).matches()
        || host.contains(":")) {
      return Addressing.PATH_STYLE;
    }
    for (String domain : VIRTUAL_HOSTED_DOMAINS) {
      if (host.equals(domain) || host.endsWith("." + domain)) {
        return Addressing.VIRTUAL_HOSTED;
      }
    }
    // Self-hosted stores (MinIO, Ceph RGW, SeaweedFS, ...) rarely have wildcard DNS for buckets.
    return Addressing.PATH_STYLE;
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
