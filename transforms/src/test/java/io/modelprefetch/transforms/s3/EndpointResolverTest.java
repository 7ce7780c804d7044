package io.modelprefetch.transforms.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.model.ObjectUri.Scheme;
import io.modelprefetch.transforms.s3.EndpointResolver.Addressing;
import io.modelprefetch.transforms.s3.EndpointResolver.Request;
import io.modelprefetch.transforms.s3.EndpointResolver.Resolved;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointResolverTest {

  private static final Addressing VIRTUAL = Addressing.VIRTUAL_HOSTED;
  private static final Addressing PATH = Addressing.PATH_STYLE;

  private static final List<String> TOS_REGIONS =
      List.of(
          "cn-beijing",
          "cn-shanghai",
          "cn-guangzhou",
          "cn-hongkong",
          "cn-beijing2",
          "ap-southeast-1",
          "ap-southeast-3",
          "eu-west-9");
  private static final List<String> TOS_DOMAINS =
      List.of("volces.com", "ivolces.com", "bytepluses.com");

  private static Request tos(String endpoint, String region, Addressing addressing) {
    return new Request(
        Scheme.TOS, "mybucket", endpoint, "TOS_ENDPOINT", region, "TOS_REGION", addressing);
  }

  private static Request s3(String endpoint, String region, Addressing addressing) {
    return new Request(
        Scheme.S3, "mybucket", endpoint, "S3_ENDPOINT", region, "AWS_REGION", addressing);
  }

  private static String error(Request request) {
    return assertThrows(IllegalArgumentException.class, () -> EndpointResolver.resolve(request))
        .getMessage();
  }

  private static String nullIfEmpty(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  // ---- scheme ----------------------------------------------------------------------------

  @Test
  void missingSchemeBecomesHttpsWithNote() {
    assertEquals(
        new Resolved(
            "https://tos-s3-cn-beijing.volces.com",
            "cn-beijing",
            VIRTUAL,
            "TOS_ENDPOINT tos-s3-cn-beijing.volces.com has no scheme; using https://tos-s3-cn-beijing.volces.com,"
                + " region cn-beijing, virtual-hosted addressing"),
        EndpointResolver.resolve(tos("tos-s3-cn-beijing.volces.com", null, null)));
  }

  @ParameterizedTest
  @CsvSource({
    "s3.us-west-2.amazonaws.com, us-west-2, https://s3.us-west-2.amazonaws.com, virtual-hosted",
    "minio.local:9000, us-east-1, https://minio.local:9000, path-style",
    "127.0.0.1:9000, us-east-1, https://127.0.0.1:9000, path-style",
  })
  void missingSchemeIsAddedForNonTosHosts(
      String given, String region, String endpoint, String addressing) {
    Resolved resolved = EndpointResolver.resolve(s3(given, region, null));
    assertEquals(endpoint, resolved.endpoint());
    assertEquals(addressing, resolved.addressing().toString());
    assertEquals(
        "S3_ENDPOINT "
            + given
            + " has no scheme; using "
            + endpoint
            + ", region "
            + region
            + ", "
            + addressing
            + " addressing",
        resolved.note());
  }

  @ParameterizedTest
  @CsvSource({
    "ftp://tos-s3-cn-beijing.volces.com, ftp",
    "FTP://minio.local, ftp",
    "s3://mybucket, s3",
    "tos://mybucket/models, tos",
    "file:///tmp/x, file",
  })
  void nonHttpSchemeIsRefusedInOneLine(String given, String scheme) {
    String message = error(tos(given, null, null));
    assertEquals(
        "TOS_ENDPOINT '"
            + given
            + "' uses scheme '"
            + scheme
            + "'; an S3 endpoint is https://host (or http://host for a local test server)",
        message);
    assertFalse(message.contains("\n"));
  }

  @Test
  void httpSchemeIsKept() {
    assertEquals(
        new Resolved("http://tos-s3-cn-beijing.volces.com", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(tos("http://tos-s3-cn-beijing.volces.com", null, null)));
  }

  @Test
  void schemeAndHostAreLowerCased() {
    assertEquals(
        new Resolved("https://tos-s3-cn-beijing.volces.com", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(tos("HTTPS://TOS-S3-CN-BEIJING.VOLCES.COM", null, null)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://", "http://a b", "https://tos s3.volces.com"})
  void unparsableEndpointIsRefused(String given) {
    assertEquals(
        "TOS_ENDPOINT '" + given + "' is not a valid endpoint URL; write it as https://host[:port]",
        error(tos(given, null, null)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"http:///x", "https://:8080"})
  void endpointWithoutHostIsRefused(String given) {
    assertEquals(
        "TOS_ENDPOINT '" + given + "' has no host; write it as https://host[:port]",
        error(tos(given, null, null)));
  }

  // ---- native TOS hosts ------------------------------------------------------------------

  static Stream<Arguments> nativeTosHosts() {
    return TOS_REGIONS.stream()
        .flatMap(region -> TOS_DOMAINS.stream().map(domain -> Arguments.of(region, domain)));
  }

  @ParameterizedTest(name = "tos-{0}.{1}")
  @MethodSource("nativeTosHosts")
  void nativeTosHostIsRewrittenToS3Twin(String region, String domain) {
    String given = "https://tos-" + region + "." + domain;
    String twin = "https://tos-s3-" + region + "." + domain;
    assertEquals(
        new Resolved(
            twin,
            region,
            VIRTUAL,
            "TOS_ENDPOINT "
                + given
                + " is the native endpoint; using "
                + twin
                + ", region "
                + region
                + ", virtual-hosted addressing"),
        EndpointResolver.resolve(tos(given, null, null)));
  }

  @ParameterizedTest(name = "tos-s3-{0}.{1}")
  @MethodSource("nativeTosHosts")
  void s3CompatibleTosHostIsKeptAndGivesTheRegion(String region, String domain) {
    String given = "https://tos-s3-" + region + "." + domain;
    assertEquals(
        new Resolved(given, region, VIRTUAL, null),
        EndpointResolver.resolve(tos(given, null, null)));
  }

  @ParameterizedTest
  @MethodSource("nativeTosHosts")
  void matchingRegionIsAccepted(String region, String domain) {
    String given = "https://tos-s3-" + region + "." + domain;
    assertEquals(
        new Resolved(given, region, VIRTUAL, null),
        EndpointResolver.resolve(tos(given, region, null)));
  }

  @Test
  void nativeHostWithPortKeepsThePort() {
    assertEquals(
        new Resolved(
            "https://tos-s3-cn-beijing.volces.com:8443",
            "cn-beijing",
            VIRTUAL,
            "TOS_ENDPOINT https://tos-cn-beijing.volces.com:8443 is the native endpoint; using"
                + " https://tos-s3-cn-beijing.volces.com:8443, region cn-beijing, virtual-hosted addressing"),
        EndpointResolver.resolve(tos("https://tos-cn-beijing.volces.com:8443", null, null)));
  }

  @Test
  void nativeHostWithoutSchemeIsRewrittenWithOneNote() {
    Resolved resolved = EndpointResolver.resolve(tos("tos-cn-beijing.volces.com", null, null));
    assertEquals("https://tos-s3-cn-beijing.volces.com", resolved.endpoint());
    assertEquals("cn-beijing", resolved.region());
    assertEquals(VIRTUAL, resolved.addressing());
  }

  @Test
  void nativeHostWithoutSchemeNoteReadsAsASentence() {
    assertEquals(
        "TOS_ENDPOINT tos-cn-beijing.volces.com has no scheme and is the native endpoint; using"
            + " https://tos-s3-cn-beijing.volces.com, region cn-beijing, virtual-hosted addressing",
        EndpointResolver.resolve(tos("tos-cn-beijing.volces.com", null, null)).note());
  }

  // ---- bucket label ----------------------------------------------------------------------

  @Test
  void bucketLabelIsStrippedFromNativeTosEndpoint() {
    Resolved resolved =
        EndpointResolver.resolve(tos("https://mybucket.tos-cn-beijing.volces.com", null, null));
    assertEquals("https://tos-s3-cn-beijing.volces.com", resolved.endpoint());
    assertEquals("cn-beijing", resolved.region());
    assertEquals(VIRTUAL, resolved.addressing());
  }

  @Test
  void bucketQualifiedNativeEndpointNoteHasSpecifiedText() {
    assertEquals(
        "TOS_ENDPOINT https://mybucket.tos-cn-beijing.volces.com is the native, bucket-qualified endpoint; using"
            + " https://tos-s3-cn-beijing.volces.com, region cn-beijing, virtual-hosted addressing",
        EndpointResolver.resolve(tos("https://mybucket.tos-cn-beijing.volces.com", null, null))
            .note());
  }

  @ParameterizedTest
  @CsvSource({
    "https://mybucket.tos-s3-cn-beijing.volces.com, '', https://tos-s3-cn-beijing.volces.com, cn-beijing,"
        + " virtual-hosted",
    "https://mybucket.tos-s3-ap-southeast-1.ivolces.com:8443, '', https://tos-s3-ap-southeast-1.ivolces.com:8443,"
        + " ap-southeast-1, virtual-hosted",
    "https://mybucket.s3.us-west-2.amazonaws.com, us-west-2, https://s3.us-west-2.amazonaws.com, us-west-2,"
        + " virtual-hosted",
    "http://mybucket.minio.local:9000, '', http://minio.local:9000, us-east-1, path-style",
  })
  void bucketLabelIsStrippedWithNote(
      String given, String region, String endpoint, String expectedRegion, String addressing) {
    Resolved resolved = EndpointResolver.resolve(tos(given, nullIfEmpty(region), null));
    assertEquals(endpoint, resolved.endpoint());
    assertEquals(expectedRegion, resolved.region());
    assertEquals(addressing, resolved.addressing().toString());
    assertEquals(
        "TOS_ENDPOINT "
            + given
            + " is the bucket-qualified endpoint; using "
            + endpoint
            + ", region "
            + expectedRegion
            + ", "
            + addressing
            + " addressing",
        resolved.note());
  }

  @Test
  void hostEqualToBucketNameIsNotStripped() {
    Request request =
        new Request(
            Scheme.S3, "minio", "http://minio:9000", "S3_ENDPOINT", null, "AWS_REGION", null);
    assertEquals(
        new Resolved("http://minio:9000", "us-east-1", PATH, null),
        EndpointResolver.resolve(request));
  }

  @Test
  void missingBucketLeavesHostAlone() {
    Request request =
        new Request(
            Scheme.TOS,
            null,
            "https://tos-s3-cn-beijing.volces.com",
            "TOS_ENDPOINT",
            null,
            "TOS_REGION",
            null);
    assertEquals(
        new Resolved("https://tos-s3-cn-beijing.volces.com", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(request));
  }

  // ---- region ----------------------------------------------------------------------------

  @Test
  void conflictingRegionIsRefusedNamingBoth() {
    assertEquals(
        "TOS_REGION 'cn-shanghai' disagrees with region 'cn-beijing' of TOS_ENDPOINT"
            + " 'https://tos-cn-beijing.volces.com'; unset TOS_REGION or give an endpoint in region cn-shanghai",
        error(tos("https://tos-cn-beijing.volces.com", "cn-shanghai", null)));
  }

  @Test
  void conflictingRegionWithS3TwinIsRefused() {
    assertEquals(
        "TOS_REGION 'ap-southeast-1' disagrees with region 'cn-beijing2' of TOS_ENDPOINT"
            + " 'tos-s3-cn-beijing2.ivolces.com'; unset TOS_REGION or give an endpoint in region ap-southeast-1",
        error(tos("tos-s3-cn-beijing2.ivolces.com", "ap-southeast-1", null)));
  }

  @Test
  void blankRegionCountsAsUnset() {
    assertEquals(
        new Resolved("https://tos-s3-cn-beijing.volces.com", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(tos("https://tos-s3-cn-beijing.volces.com", "  ", null)));
  }

  @Test
  void givenRegionIsStripped() {
    assertEquals(
        new Resolved("http://minio.local:9000", "eu-central-1", PATH, null),
        EndpointResolver.resolve(s3("http://minio.local:9000", " eu-central-1 ", null)));
  }

  // ---- port and path ---------------------------------------------------------------------

  @Test
  void explicitPortIsKept() {
    assertEquals(
        new Resolved("https://tos-s3-cn-beijing.volces.com:8443", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(tos("https://tos-s3-cn-beijing.volces.com:8443", null, null)));
  }

  @Test
  void trailingSlashIsAcceptedAndDropped() {
    assertEquals(
        new Resolved("https://tos-s3-cn-beijing.volces.com", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(tos("https://tos-s3-cn-beijing.volces.com/", null, null)));
  }

  @Test
  void surroundingWhitespaceIsIgnored() {
    assertEquals(
        new Resolved("https://tos-s3-cn-beijing.volces.com", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(tos("  https://tos-s3-cn-beijing.volces.com \n", null, null)));
  }

  @ParameterizedTest
  @CsvSource({
    "https://tos-s3-cn-beijing.volces.com/mybucket, /mybucket",
    "https://tos-s3-cn-beijing.volces.com/mybucket/, /mybucket/",
    "https://tos-s3-cn-beijing.volces.com//, //",
    "http://minio.local:9000/minio, /minio",
  })
  void endpointWithPathIsRefused(String given, String path) {
    assertEquals(
        "TOS_ENDPOINT '"
            + given
            + "' has a path '"
            + path
            + "'; give only the scheme, host and port (the bucket comes from the model URI)",
        error(tos(given, null, null)));
  }

  // ---- non-TOS endpoints -----------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "https://s3.us-west-2.amazonaws.com, us-west-2, us-west-2, virtual-hosted",
    "https://s3.us-west-2.amazonaws.com, '', us-west-2, virtual-hosted",
    "https://s3.amazonaws.com, '', us-east-1, virtual-hosted",
    "https://s3.cn-north-1.amazonaws.com.cn, cn-north-1, cn-north-1, virtual-hosted",
    "https://oss-cn-hangzhou.aliyuncs.com, cn-hangzhou, cn-hangzhou, virtual-hosted",
    "https://cos.ap-guangzhou.myqcloud.com, ap-guangzhou, ap-guangzhou, virtual-hosted",
    "http://minio.local:9000, '', us-east-1, path-style",
    "http://127.0.0.1:9000, '', us-east-1, path-style",
    "http://10.0.12.7, '', us-east-1, path-style",
    "http://localhost:9000, '', us-east-1, path-style",
    "http://minio.localhost:9000, '', us-east-1, path-style",
    "https://storage.example.com, eu-west-1, eu-west-1, path-style",
    "https://ceph-rgw.internal:7480, '', us-east-1, path-style",
  })
  void nonTosEndpointIsUntouched(
      String given, String region, String expectedRegion, String addressing) {
    Resolved resolved = EndpointResolver.resolve(s3(given, nullIfEmpty(region), null));
    assertEquals(new Resolved(given, expectedRegion, resolved.addressing(), null), resolved);
    assertEquals(addressing, resolved.addressing().toString());
  }

  @Test
  void notAmazonawsLookalikeIsPathStyle() {
    assertEquals(
        PATH, EndpointResolver.resolve(s3("https://s3.notamazonaws.com", null, null)).addressing());
  }

  @Test
  void ipv6LiteralEndpointIsUntouchedAndPathStyle() {
    assertEquals(
        new Resolved("http://[::1]:9000", "us-east-1", PATH, null),
        EndpointResolver.resolve(s3("http://[::1]:9000", null, null)));
  }

  @Test
  void ipv6LiteralEndpointIsPathStyle() {
    assertEquals(PATH, EndpointResolver.resolve(s3("http://[::1]:9000", null, null)).addressing());
  }

  // ---- addressing override ---------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "http://localhost:9000, VIRTUAL_HOSTED",
    "http://127.0.0.1:9000, VIRTUAL_HOSTED",
    "https://storage.example.com, VIRTUAL_HOSTED",
    "https://s3.us-west-2.amazonaws.com, PATH_STYLE",
    "http://minio.local:9000, PATH_STYLE",
  })
  void explicitAddressingIsHonoured(String given, Addressing addressing) {
    Resolved resolved = EndpointResolver.resolve(s3(given, "us-west-2", addressing));
    assertEquals(new Resolved(given, "us-west-2", addressing, null), resolved);
  }

  @Test
  void explicitVirtualHostedForTosIsHonoured() {
    assertEquals(
        new Resolved("https://tos-s3-cn-beijing.volces.com", "cn-beijing", VIRTUAL, null),
        EndpointResolver.resolve(tos("https://tos-s3-cn-beijing.volces.com", null, VIRTUAL)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://tos-s3-cn-beijing.volces.com",
        "https://tos-cn-beijing.volces.com",
        "tos-s3-ap-southeast-1.ivolces.com",
        "https://mybucket.tos-cn-beijing.volces.com"
      })
  void pathStyleForTosEndpointIsRefused(String given) {
    assertEquals(
        "path-style addressing was requested for TOS endpoint '"
            + given
            + "', but TOS refuses path-style requests (403 InvalidPathAccess); drop the path-style setting",
        error(tos(given, null, PATH)));
  }

  // ---- no endpoint -----------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"cn-beijing", "cn-beijing2", "ap-southeast-3", "eu-west-9"})
  void tosWithRegionOnlyUsesS3TwinOfThatRegion(String region) {
    assertEquals(
        new Resolved("https://tos-s3-" + region + ".volces.com", region, VIRTUAL, null),
        EndpointResolver.resolve(tos(null, region, null)));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "   "})
  void blankEndpointCountsAsUnset(String endpoint) {
    assertEquals(
        new Resolved("https://tos-s3-cn-shanghai.volces.com", "cn-shanghai", VIRTUAL, null),
        EndpointResolver.resolve(tos(endpoint, " cn-shanghai ", null)));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "  "})
  void tosWithoutEndpointOrRegionIsRefused(String region) {
    assertEquals(
        "tos:// needs an endpoint or a region: set TOS_ENDPOINT (e.g. https://tos-s3-cn-beijing.volces.com) or"
            + " TOS_REGION",
        error(tos(null, region, null)));
  }

  @Test
  void tosWithRegionOnlyAndPathStyleIsRefused() {
    assertEquals(
        "path-style addressing was requested for TOS, but TOS refuses path-style requests (403 InvalidPathAccess);"
            + " drop the path-style setting",
        error(tos(null, "cn-beijing", PATH)));
  }

  @Test
  void s3WithoutEndpointLeavesItToTheSdkWithDefaultRegion() {
    assertEquals(
        new Resolved(null, "us-east-1", VIRTUAL, null),
        EndpointResolver.resolve(s3(null, null, null)));
  }

  @Test
  void s3WithoutEndpointKeepsGivenRegion() {
    assertEquals(
        new Resolved(null, "eu-west-1", VIRTUAL, null),
        EndpointResolver.resolve(s3("", "eu-west-1", null)));
  }

  @ParameterizedTest
  @EnumSource(Addressing.class)
  void s3WithoutEndpointHonoursAddressing(Addressing addressing) {
    assertEquals(
        new Resolved(null, "us-east-1", addressing, null),
        EndpointResolver.resolve(s3(null, null, addressing)));
  }

  @Test
  void addressingPrintsAsWords() {
    assertEquals("virtual-hosted", VIRTUAL.toString());
    assertEquals("path-style", PATH.toString());
  }
}
