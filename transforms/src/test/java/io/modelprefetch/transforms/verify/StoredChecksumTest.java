package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.verify.StoredChecksum.Algorithm;
import io.modelprefetch.transforms.verify.StoredChecksum.Type;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StoredChecksumTest {

  @Test
  void compositeHeaderAsS3ProxyReturnsItForAnAwsCliMultipartUpload() {
    StoredChecksum c = StoredChecksum.fromHeader("x-amz-checksum-crc32", "EKGgJw==-4", "COMPOSITE");

    assertEquals(new StoredChecksum(Algorithm.CRC32, Type.COMPOSITE, 4, "EKGgJw=="), c);
    assertEquals("EKGgJw==-4", c.headerValue());
    assertEquals("crc32 EKGgJw==-4 (COMPOSITE)", c.toString());
    assertTrue(c.composite());
  }

  @Test
  void fullObjectHeaderOfAnSdkUploadInAnyCase() {
    StoredChecksum c =
        StoredChecksum.fromHeader("X-Amz-Checksum-CRC64NVME", " 48JEVfNFAdc= ", "full_object");

    assertEquals(new StoredChecksum(Algorithm.CRC64NVME, Type.FULL_OBJECT, 0, "48JEVfNFAdc="), c);
    assertTrue(c.matchesCrc(0xe3c24455f34501d7L));
    assertFalse(c.matchesCrc(0xe3c24455f34501d6L));
  }

  @Test
  void withoutTheTypeHeaderTheSuffixDecides() {
    assertEquals(
        Type.COMPOSITE,
        StoredChecksum.fromHeader(
                "x-amz-checksum-sha256", "+AbM4appOhbK7VjrOIx7J1651B26CE80OvWm4DIi0ig=-4", null)
            .type());
    assertEquals(
        Type.FULL_OBJECT,
        StoredChecksum.fromHeader("x-amz-checksum-sha1", "bEDU7PfKuJQT3aWkXFY1VpTnxKw=", "")
            .type());
  }

  @Test
  void xmlFormOfGetObjectAttributes() {
    StoredChecksum c = StoredChecksum.fromXml(Algorithm.CRC32C, "d52a0A==-6", "COMPOSITE");

    assertEquals(new StoredChecksum(Algorithm.CRC32C, Type.COMPOSITE, 6, "d52a0A=="), c);
  }

  @Test
  void headersOfAResponseGiveTheKnownChecksumsAndSkipTheRest() {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("ETag", List.of("\"3f10d2df40eb7bc678366c23193bd3d4-4\""));
    headers.put("x-amz-checksum-crc32", List.of("EKGgJw==-4"));
    headers.put("X-Amz-Checksum-Type", List.of("COMPOSITE"));
    headers.put("x-amz-checksum-mode", List.of("ENABLED"));
    headers.put("x-amz-checksum-xxhash64", List.of("AAAAAAAAAAA="));

    assertEquals(
        List.of(new StoredChecksum(Algorithm.CRC32, Type.COMPOSITE, 4, "EKGgJw==")),
        StoredChecksum.fromHeaders(headers));
    assertEquals(List.of(), StoredChecksum.fromHeaders(Map.of("ETag", List.of("\"x\""))));
  }

  @Test
  void namesOfEachAlgorithm() {
    assertEquals("x-amz-checksum-crc64nvme", Algorithm.CRC64NVME.headerName());
    assertEquals("ChecksumCRC64NVME", Algorithm.CRC64NVME.xmlName());
    assertEquals(Algorithm.SHA256, Algorithm.ofHeader("X-AMZ-CHECKSUM-SHA256"));
    assertNull(Algorithm.ofHeader("x-amz-checksum-type"));
    assertEquals(CrcAlgorithm.CRC32C, Algorithm.CRC32C.crc());
    assertNull(Algorithm.SHA1.crc());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "x-amz-checksum-crc32|''|COMPOSITE|x-amz-checksum-crc32 is empty: expected the base64 of a 4-byte CRC32, followed by -N (the part count) for a multipart upload's COMPOSITE checksum",
        "x-amz-checksum-crc32|@@@|FULL_OBJECT|x-amz-checksum-crc32 value \"@@@\" is not base64: expected the base64 of a 4-byte CRC32, followed by -N (the part count) for a multipart upload's COMPOSITE checksum",
        "x-amz-checksum-crc32c|AAAA||x-amz-checksum-crc32c value \"AAAA\" decodes to 3 bytes: a CRC32C has 4",
        "x-amz-checksum-crc64nvme|v7h4HQ==||x-amz-checksum-crc64nvme value \"v7h4HQ==\" decodes to 4 bytes: a CRC64NVME has 8",
        "x-amz-checksum-crc32|EKGgJw==-x|COMPOSITE|x-amz-checksum-crc32 value \"EKGgJw==-x\" has part count \"x\": expected a whole number from 1 to 10000 after the \"-\"",
        "x-amz-checksum-crc32|EKGgJw==-0|COMPOSITE|x-amz-checksum-crc32 value \"EKGgJw==-0\" has part count \"0\": expected a whole number from 1 to 10000 after the \"-\"",
        "x-amz-checksum-crc32|EKGgJw==-10001||x-amz-checksum-crc32 value \"EKGgJw==-10001\" has part count \"10001\": expected a whole number from 1 to 10000 after the \"-\"",
        "x-amz-checksum-crc32|EKGgJw==-|COMPOSITE|x-amz-checksum-crc32 value \"EKGgJw==-\" has part count \"\": expected a whole number from 1 to 10000 after the \"-\"",
        "x-amz-checksum-crc32|EKGgJw==-4|PARTIAL|x-amz-checksum-type \"PARTIAL\" is not a checksum type: expected FULL_OBJECT or COMPOSITE",
        "x-amz-checksum-crc32|EKGgJw==|COMPOSITE|x-amz-checksum-crc32 value \"EKGgJw==\" has no -N part count but x-amz-checksum-type is COMPOSITE: a whole-object HEAD or GET returns <base64>-N; a ranged or part GET's value cannot be checked against the whole object",
        "x-amz-checksum-crc32|EKGgJw==-4|FULL_OBJECT|x-amz-checksum-crc32 value \"EKGgJw==-4\" has part count 4 but x-amz-checksum-type is FULL_OBJECT: a full-object checksum has no -N suffix",
        "x-amz-checksum-md5|1B2M2Y8AsgTpgAmY7PhCfg==||header x-amz-checksum-md5 is not an S3 checksum: expected one of x-amz-checksum-crc64nvme, -crc32c, -crc32, -sha256, -sha1",
      })
  void malformedHeadersAreRefusedWithOneLineNamingThem(
      String name, String value, String type, String message) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> StoredChecksum.fromHeader(name, value, type));
    assertEquals(message, e.getMessage());
  }

  @Test
  void malformedXmlNamesTheElement() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                StoredChecksum.fromXml(
                    Algorithm.SHA256, "2qFNFzFdi29aIMLCCD+Nnj5kbaiy+8+1m2AfigLs", "FULL_OBJECT"));
    assertEquals(
        "ChecksumSHA256 value \"2qFNFzFdi29aIMLCCD+Nnj5kbaiy+8+1m2AfigLs\" decodes to 30 bytes: "
            + "a SHA256 has 32",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> StoredChecksum.fromXml(Algorithm.CRC32, "EKGgJw==-4", "BOTH"));
    assertEquals(
        "ChecksumType \"BOTH\" is not a checksum type: expected FULL_OBJECT or COMPOSITE",
        e.getMessage());
  }

  @Test
  void aRecordWithAnImpossiblePartCountIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new StoredChecksum(Algorithm.CRC32, Type.FULL_OBJECT, 3, "EKGgJw=="));
    assertEquals(
        "partCount must be 0 for FULL_OBJECT and 1..10000 for COMPOSITE, was 3 for FULL_OBJECT",
        e.getMessage());
  }
}
