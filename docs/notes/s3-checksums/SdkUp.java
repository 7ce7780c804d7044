import java.net.URI;
import java.nio.file.*;
import java.util.*;
import software.amazon.awssdk.auth.credentials.*;
import software.amazon.awssdk.core.checksums.*;
import software.amazon.awssdk.core.interceptor.*;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.*;
import software.amazon.awssdk.services.s3.model.*;

/** Uploads the seeded files with the AWS SDK for Java v2 and prints the checksum headers each request sent. */
public class SdkUp {
  static final String EP = "http://127.0.0.1:18990";

  static class Dump implements ExecutionInterceptor {
    final Set<String> seen = new HashSet<>();
    @Override public void beforeTransmission(Context.BeforeTransmission c, ExecutionAttributes a) {
      SdkHttpRequest r = c.httpRequest();
      StringBuilder sb = new StringBuilder("   " + r.method() + " " + r.rawQueryParameters().keySet());
      new TreeMap<>(r.headers()).forEach((k, v) -> {
        String l = k.toLowerCase(Locale.ROOT);
        if (l.contains("checksum") || l.contains("trailer") || l.equals("content-encoding") || l.equals("content-md5")
            || l.equals("x-amz-content-sha256") || l.equals("x-amz-decoded-content-length")) sb.append(" ").append(k).append("=").append(v);
      });
      if (r.method().name().equals("POST") && r.rawQueryParameters().containsKey("uploadId")) sb.append(" ALL=").append(r.headers().keySet());
      String line = sb.toString().replaceAll("partNumber=\\d+", "");
      if (seen.add(line.replaceAll("x-amz-checksum-[a-z0-9]+=\\[[^]]*]", "x-amz-checksum-=…"))) System.out.println(line);
    }
  }

  static S3Client client(boolean chunked, Dump dump) {
    return S3Client.builder().endpointOverride(URI.create(EP)).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "SECRETTEST")))
        .httpClientBuilder(ApacheHttpClient.builder())
        .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(chunked).build())
        .overrideConfiguration(o -> o.addExecutionInterceptor(dump)).build();
  }

  public static void main(String[] args) throws Exception {
    byte[] small = Files.readAllBytes(Path.of("files/small.bin"));
    byte[] medium = Files.readAllBytes(Path.of("files/medium.bin"));
    String what = args[0];
    Dump d = new Dump();
    switch (what) {
      case "put-default" -> put(client(true, d), "sdk/put-default.bin", small, null);
      case "put-crc32c-chunked" -> put(client(true, d), "sdk/put-crc32c-chunked.bin", small, ChecksumAlgorithm.CRC32_C);
      case "put-crc32c" -> put(client(false, d), "sdk/put-crc32c.bin", small, ChecksumAlgorithm.CRC32_C);
      case "put-crc64nvme" -> put(client(false, d), "sdk/put-crc64nvme.bin", small, ChecksumAlgorithm.CRC64_NVME);
      case "put-crc32" -> put(client(false, d), "sdk/put-crc32.bin", small, ChecksumAlgorithm.CRC32);
      case "put-sha256" -> put(client(false, d), "sdk/put-sha256.bin", small, ChecksumAlgorithm.SHA256);
      case "put-crc64nvme-medium" -> put(client(false, d), "sdk/put-crc64nvme-medium.bin", medium, ChecksumAlgorithm.CRC64_NVME);
      case "put-crc32c-medium" -> put(client(false, d), "sdk/put-crc32c-medium.bin", medium, ChecksumAlgorithm.CRC32_C);
      case "mpu" -> {
        // mpu ALGO TYPE PARTMIB [full=VALUE|none]
        ChecksumAlgorithm alg = ChecksumAlgorithm.fromValue(args[1]);
        ChecksumType type = ChecksumType.fromValue(args[2]);
        int partBytes = Integer.parseInt(args[3]) << 20;
        String full = args.length > 4 ? args[4] : "none";
        mpu(client(false, d), "sdk/mpu-" + args[1] + "-" + args[2] + "-" + args[3] + "m" + (full.equals("none") ? "" : "-full") + ".bin",
            medium, alg, type, partBytes, full);
      }
      default -> throw new IllegalArgumentException(what);
    }
  }

  static void put(S3Client s3, String key, byte[] body, ChecksumAlgorithm alg) {
    System.out.println("## " + key);
    var b = PutObjectRequest.builder().bucket("bkt").key(key);
    if (alg != null) b.checksumAlgorithm(alg);
    PutObjectResponse r = s3.putObject(b.build(), RequestBody.fromBytes(body));
    System.out.println("   -> " + r);
  }

  static void mpu(S3Client s3, String key, byte[] body, ChecksumAlgorithm alg, ChecksumType type, int partBytes, String full) {
    System.out.println("## " + key);
    String id = s3.createMultipartUpload(b -> b.bucket("bkt").key(key).checksumAlgorithm(alg).checksumType(type)).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    for (int n = 1, off = 0; off < body.length; n++, off += partBytes) {
      int len = Math.min(partBytes, body.length - off);
      final int pn = n;
      UploadPartResponse r = s3.uploadPart(b -> b.bucket("bkt").key(key).uploadId(id).partNumber(pn).checksumAlgorithm(alg),
          RequestBody.fromBytes(Arrays.copyOfRange(body, off, off + len)));
      parts.add(CompletedPart.builder().partNumber(n).eTag(r.eTag()).checksumCRC32(r.checksumCRC32()).checksumCRC32C(r.checksumCRC32C())
          .checksumCRC64NVME(r.checksumCRC64NVME()).checksumSHA256(r.checksumSHA256()).checksumSHA1(r.checksumSHA1()).build());
      if (n == 1) System.out.println("   part 1 -> " + r);
    }
    var c = CompleteMultipartUploadRequest.builder().bucket("bkt").key(key).uploadId(id).checksumType(type)
        .multipartUpload(m -> m.parts(parts));
    if (!full.equals("none")) {
      String v = full.substring(full.indexOf('=') + 1);
      switch (alg) {
        case CRC64_NVME -> c.checksumCRC64NVME(v);
        case CRC32_C -> c.checksumCRC32C(v);
        case CRC32 -> c.checksumCRC32(v);
        default -> throw new IllegalArgumentException("full value for " + alg);
      }
    }
    try {
      System.out.println("   complete -> " + s3.completeMultipartUpload(c.build()));
    } catch (S3Exception e) {
      System.out.println("   complete FAILED " + e.statusCode() + " " + e.awsErrorDetails().errorCode() + ": " + e.awsErrorDetails().errorMessage());
    }
  }
}
