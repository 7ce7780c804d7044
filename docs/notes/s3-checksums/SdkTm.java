import java.net.URI;
import java.nio.file.*;
import java.util.*;
import software.amazon.awssdk.auth.credentials.*;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.http.crt.AwsCrtAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.*;
import software.amazon.awssdk.services.s3.model.*;
import software.amazon.awssdk.transfer.s3.S3TransferManager;

/** The SDK's own multipart uploaders at their defaults: the Java multipart client and the CRT client through S3TransferManager. */
public class SdkTm {
  public static void main(String[] a) throws Exception {
    var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "SECRETTEST"));
    URI ep = URI.create("http://127.0.0.1:18990");
    Path medium = Path.of("files/medium.bin");
    switch (a[0]) {
      case "java-mp" -> {
        boolean chunked = !a[1].equals("nochunk");
        try (S3AsyncClient s3 = S3AsyncClient.builder().endpointOverride(ep).region(Region.US_EAST_1).forcePathStyle(true)
            .credentialsProvider(creds).httpClientBuilder(AwsCrtAsyncHttpClient.builder()).multipartEnabled(true)
            .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(chunked).build())
            .overrideConfiguration(o -> o.addExecutionInterceptor(new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
              // S3Proxy 4.1.0 answers 501 to the x-amz-mp-object-size header the SDK's multipart client sends on Complete.
              @Override public software.amazon.awssdk.http.SdkHttpRequest modifyHttpRequest(
                  software.amazon.awssdk.core.interceptor.Context.ModifyHttpRequest c, software.amazon.awssdk.core.interceptor.ExecutionAttributes x) {
                return c.httpRequest().toBuilder().removeHeader("x-amz-mp-object-size").build();
              }}).addExecutionInterceptor(new SdkUp.Dump())).build()) {
          String key = "sdk/java-mp-" + a[1] + ".bin";
          System.out.println("## " + key);
          System.out.println("   -> " + s3.putObject(b -> b.bucket("bkt").key(key), AsyncRequestBody.fromFile(medium)).join());
        }
      }
      case "crt-tm" -> {
        try (S3AsyncClient s3 = S3AsyncClient.crtBuilder().endpointOverride(ep).region(Region.US_EAST_1).forcePathStyle(true)
            .credentialsProvider(creds).build(); S3TransferManager tm = S3TransferManager.builder().s3Client(s3).build()) {
          String key = "sdk/crt-tm.bin";
          System.out.println("## " + key);
          System.out.println("   -> " + tm.uploadFile(u -> u.source(medium).putObjectRequest(p -> p.bucket("bkt").key(key))).completionFuture().join().response());
        }
      }
      default -> throw new IllegalArgumentException(a[0]);
    }
  }
}
