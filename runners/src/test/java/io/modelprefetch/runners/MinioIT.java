package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.runners.demo.DemoModel;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The same end-to-end prefetch against MinIO in a container, for machines with Docker. Skipped
 * where no Docker daemon runs; {@link PrefetchIT} covers the behaviour against S3Proxy everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioIT {

  @Container
  static final MinIOContainer MINIO =
      new MinIOContainer("minio/minio:RELEASE.2024-12-18T13-15-44Z");

  @TempDir Path dest;

  @Test
  void modelFromMinioLandsByteIdentical() throws Exception {
    Map<String, String> digests;
    try (S3Client admin =
        S3Client.builder()
            .httpClientBuilder(ApacheHttpClient.builder())
            .endpointOverride(URI.create(MINIO.getS3URL()))
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .credentialsProvider(
                () -> AwsBasicCredentials.create(MINIO.getUserName(), MINIO.getPassword()))
            .build()) {
      digests = DemoModel.upload(admin, "models", "llama/", PrefetchIT.MODEL);
    }
    Map<String, String> env =
        Map.of(
            "AWS_ENDPOINT_URL", MINIO.getS3URL(),
            "AWS_REGION", "us-east-1",
            "AWS_ACCESS_KEY_ID", MINIO.getUserName(),
            "AWS_SECRET_ACCESS_KEY", MINIO.getPassword());

    Cli cli =
        Cli.run(
            env,
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/llama/",
            "--part-size",
            "1MiB",
            "--part-threshold",
            "2MiB");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("llama")));
    assertEquals(List.of(dest.resolve("llama").toString()), cli.out().lines().toList());
  }
}
