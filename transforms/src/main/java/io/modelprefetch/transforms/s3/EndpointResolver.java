package io.modelprefetch.transforms.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  /** What the user gave; {@code endpoint}, {@code region} and {@code addressing} may be null. */
  public record Request(
      ObjectUri.Scheme scheme,
      String bucket,
      String endpoint,
      String endpointSource,
      String region,
      String regionSource,
      Addressing addressing) {}

  /**
   * What is used. {@code endpoint} is null for AWS's own endpoints, which the SDK derives from the
   * region. {@code note} says in plain words what was rewritten, or is null.
   */
  public record Resolved(String endpoint, String region, Addressing addressing, String note) {}

  static final String DEFAULT_REGION = "us-east-1";

  // TOS hosts: tos-<region>.volces.com (native) and tos-s3-<region>.volces.com (S3-compatible),
  // with .ivolces.com inside Volcano Engine and .bytepluses.com on BytePlus.
  private static final Pattern TOS_HOST =
      Pattern.compile("tos-(s3-)?([a-z0-9]+(?:-[a-z0-9]+)*)\\.(volces\\.com|ivolces\\.com|bytepluses\\.com)");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final List<String> VIRTUAL_HOSTED_DOMAINS =
      List.of("amazonaws.com", "amazonaws.com.cn", "volces.com", "ivolces.com", "bytepluses.com",
          "aliyuncs.com", "myqcloud.com");

  private EndpointResolver() {}

  /**
   * Resolves {@code request}.
   *
   * @throws IllegalArgumentException with one line naming the input, the value, what is wrong
   *     and the fix
   */
  public static Resolved resolve(Request request) {
    String givenRegion = blankToNull(request.region());
    if (blankToNull(request.endpoint()) == null) {
      return defaultEndpoint(request, givenRegion);
    }
    String given = request.endpoint().strip();
    List<String> changes = new ArrayList<>();
    String withScheme = given;
    if (!given.contains("://")) {
      withScheme = "https://" + given;
      changes.add("has no scheme");
    }
    URI uri;
    try {
      uri = new URI(withScheme);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          request.endpointSource() + " '" + given + "' is not a valid endpoint URL; write it as https://host[:port]");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new IllegalArgumentException(
          request.endpointSource() + " '" + given + "' uses scheme '" + scheme
              + "'; an S3 endpoint is https://host (or http://host for a local test server)");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          request.endpointSource() + " '" + given + "' has no host; write it as https://host[:port]");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/")) {
      throw new IllegalArgumentException(
          request.endpointSource() + " '" + given + "' has a path '" + path
              + "'; give only the scheme, host and port (the bucket comes from the model URI)");
    }
    host = host.toLowerCase(Locale.ROOT);
    String bucketLabel = request.bucket() + ".";
    if (request.bucket() != null && host.startsWith(bucketLabel) && host.length() > bucketLabel.length()) {
      host = host.substring(bucketLabel.length());
      changes.add("bucket-qualified");
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
            request.regionSource() + " '" + givenRegion + "' disagrees with region '" + derived + "' of "
                + request.endpointSource() + " '" + given + "'; unset " + request.regionSource()
                + " or give an endpoint in region " + givenRegion);
      }
      region = derived;
    }
    if (region == null) {
      region = DEFAULT_REGION;
    }

    Addressing addressing = request.addressing();
    if (addressing == null) {
      addressing = defaultAddressing(host);
    } else if (isTos && addressing == Addressing.PATH_STYLE) {
      throw new IllegalArgumentException(
          "path-style addressing was requested for TOS endpoint '" + given
              + "', but TOS refuses path-style requests (403 InvalidPathAccess); drop the path-style setting");
    }

    String endpoint = scheme + "://" + (host.contains(":") ? "[" + host + "]" : host)
        + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    String note = null;
    if (!changes.isEmpty()) {
      String what = String.join(", ", changes);
      note = request.endpointSource() + " " + given + " "
          + (what.equals("has no scheme") ? "has no scheme" : "is the " + what + " endpoint")
          + "; using " + endpoint + ", region " + region + ", " + addressing + " addressing";
    }
    return new Resolved(endpoint, region, addressing, note);
  }

  private static Resolved defaultEndpoint(Request request, String givenRegion) {
    Addressing addressing = request.addressing() == null ? Addressing.VIRTUAL_HOSTED : request.addressing();
    if (request.scheme() == ObjectUri.Scheme.TOS) {
      if (givenRegion == null) {
        throw new IllegalArgumentException(
            "tos:// needs an endpoint or a region: set TOS_ENDPOINT (e.g. https://tos-s3-cn-beijing.volces.com) or TOS_REGION");
      }
      if (addressing == Addressing.PATH_STYLE) {
        throw new IllegalArgumentException(
            "path-style addressing was requested for TOS, but TOS refuses path-style requests (403 InvalidPathAccess); drop the path-style setting");
      }
      return new Resolved("https://tos-s3-" + givenRegion + ".volces.com", givenRegion, addressing, null);
    }
    return new Resolved(null, givenRegion == null ? DEFAULT_REGION : givenRegion, addressing, null);
  }

  private static Addressing defaultAddressing(String host) {
    if (host.equals("localhost") || host.endsWith(".localhost") || IPV4.matcher(host).matches() || host.contains(":")) {
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

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
