package io.modelprefetch.pipeline;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.verify.Verification;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The prefetch settings carried in the pipeline options. Runners serialize and display options, so
 * nothing here is secret: credentials are resolved by each worker.
 */
public interface PrefetchOptions extends PipelineOptions {

  @Description(
      "Ranged GETs in flight at once per worker JVM: 0 adapts the number to the link (up to 64),"
          + " 1..1024 holds it there (backing off only when the store throttles). Default: 0 (adaptive).")
  @Default.Integer(FetchSettings.ADAPTIVE)
  int getNumThreads();

  void setNumThreads(int value);

  @Description(
      "Objects larger than this many bytes are fetched as parallel ranges. Default: 64 MiB.")
  @Default.Long(FetchSettings.DEFAULT_PART_SIZE_BYTES)
  long getPartThresholdBytes();

  void setPartThresholdBytes(long value);

  @Description("The size of each ranged GET in bytes, at least 1 MiB. Default: 64 MiB.")
  @Default.Long(FetchSettings.DEFAULT_PART_SIZE_BYTES)
  long getPartSizeBytes();

  void setPartSizeBytes(long value);

  @Description(
      "Attempts per range for retryable failures (5xx, throttling, resets, truncation). Default: 4.")
  @Default.Integer(FetchSettings.DEFAULT_MAX_ATTEMPTS)
  int getMaxAttempts();

  void setMaxAttempts(int value);

  @Description(
      "Fetch every object even when it is already present with the same ETag. Default: false.")
  @Default.Boolean(false)
  boolean getForceDownload();

  void setForceDownload(boolean value);

  @Description(
      "What a fetched file is checked against: FULL (every digest the object and the manifest offer)"
          + " or SIZE (the size, and a manifest's sha256). Default: FULL.")
  @Default.Enum("FULL")
  Verification getVerify();

  void setVerify(Verification value);

  @Description(
      "Write ranges of 8 MiB and more to local files with O_DIRECT, past the page cache, on local ext4,"
          + " xfs and btrfs (buffered elsewhere, e.g. NFS, FUSE, tmpfs); false keeps the written files in the page"
          + " cache. Default: true.")
  @Default.Boolean(true)
  boolean getDirectIo();

  void setDirectIo(boolean value);

  @Description(
      "Keys the work is spread over between steps: 0 for one per element (a cluster), a few for"
          + " one JVM, whose runner then works in a few large bundles. Default: 0.")
  @Default.Integer(0)
  int getSpreadBuckets();

  void setSpreadBuckets(int value);

  @Description(
      "A response body that delivers less than 64 KiB in this many milliseconds is abandoned and its"
          + " range retried. At least 1. Default: 30000 (30 s).")
  @Default.Long(30_000)
  long getStallTimeoutMillis();

  void setStallTimeoutMillis(long value);

  @Description(
      "Fail an object whose store keeps no digest of it instead of committing it checked by its size"
          + " alone. Default: false.")
  @Default.Boolean(false)
  boolean getRequireDigest();

  void setRequireDigest(boolean value);

  @Description(
      "Check each verified file's structure before its final name (a safetensors header and layout, a"
          + " shard index against the model's listing, configuration and tokenizer JSON) and fail a malformed one."
          + " Default: true.")
  @Default.Boolean(true)
  boolean getStructureCheck();

  void setStructureCheck(boolean value);

  @Description("Where the JSON report is written; empty for none. Default: none.")
  String getReportPath();

  void setReportPath(String value);

  /** The fetch settings these options describe. */
  static FetchSettings fetchSettings(PrefetchOptions options) {
    return new FetchSettings(
        options.getPartThresholdBytes(),
        options.getPartSizeBytes(),
        options.getNumThreads(),
        options.getMaxAttempts(),
        options.getForceDownload(),
        options.getVerify(),
        options.getSpreadBuckets(),
        options.getDirectIo(),
        options.getStallTimeoutMillis(),
        options.getRequireDigest(),
        options.getStructureCheck());
  }
}
