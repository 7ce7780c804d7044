package io.modelprefetch.runners;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** How to reach the store: the options {@code run} and {@code doctor} share. */
final class EndpointOptions {

  @Option(
      names = "--download-extra-config",
      paramLabel = "JSON",
      description =
          "AIBrix-style JSON: ak, sk, endpoint, region, num_threads, part_threshold, part_chunksize, allow_file_suffix, force_download.")
  @Nullable String extraConfig;

  @Option(
      names = "--endpoint",
      paramLabel = "URL",
      description =
          "S3-compatible endpoint. Env: TOS_ENDPOINT (tos://), AWS_ENDPOINT_URL (s3://). Default: AWS, or TOS of TOS_REGION.")
  @Nullable String endpoint;

  @Option(
      names = "--region",
      paramLabel = "REGION",
      description =
          "Signing region. Env: TOS_REGION (tos://), AWS_REGION (s3://). Default: from a TOS endpoint, else us-east-1.")
  @Nullable String region;

  @Option(
      names = "--addressing",
      paramLabel = "STYLE",
      description =
          "auto, virtual or path. Default: auto (path-style for IP and localhost endpoints).")
  @Nullable String addressing;
}
