import java.net.URI;
import software.amazon.awssdk.auth.credentials.*;
import software.amazon.awssdk.core.checksums.*;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.*;
import software.amazon.awssdk.services.s3.model.*;

/** GetObject of whole objects with checksum mode ENABLED, as model-prefetch's client is configured (WHEN_REQUIRED). */
public class SdkGet {
  public static void main(String[] a) throws Exception {
    S3Client s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:18990")).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "SECRETTEST")))
        .httpClientBuilder(ApacheHttpClient.builder())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.valueOf(a[0])).build();
    for (int i = 1; i < a.length; i++) {
      String key = a[i];
      for (String range : new String[] {null, "bytes=0-99"}) {
        try (var in = s3.getObject(b -> b.bucket("bkt").key(key).checksumMode(ChecksumMode.ENABLED).range(range))) {
          long n = in.transferTo(java.io.OutputStream.nullOutputStream());
          GetObjectResponse r = in.response();
          System.out.println(a[0] + " " + key + (range == null ? " whole" : " " + range) + ": read " + n + " bytes, crc32=" + r.checksumCRC32()
              + " crc32c=" + r.checksumCRC32C() + " crc64nvme=" + r.checksumCRC64NVME() + " type=" + r.checksumTypeAsString());
        } catch (Exception e) {
          System.out.println(a[0] + " " + key + (range == null ? " whole" : " " + range) + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
      }
    }
  }
}
