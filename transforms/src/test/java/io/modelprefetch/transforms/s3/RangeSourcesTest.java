package io.modelprefetch.transforms.s3;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** Which source a recipe's ranges go through. */
class RangeSourcesTest {

  private static final ClientRecipe RECIPE =
      new ClientRecipe(
          "http://127.0.0.1:9000",
          "us-east-1",
          true,
          true,
          CredentialsSource.of(CredentialsSource.Type.ANONYMOUS),
          null,
          4);

  @Test
  void rangesUpToOneMebibyteGoThroughTheSmallGetsLargerOnesThroughTheSdk() {
    SmallGets small = SmallGets.of(RECIPE);
    assumeTrue(small != null, "an HTTP proxy is configured here: every range goes through the SDK");
    try (S3Client s3 = S3Clients.build(RECIPE)) {
      RangeSources sources = RangeSources.of(small, s3);
      assertSame(small, sources.forRange("bucket", 1));
      assertSame(small, sources.forRange("bucket", RangeSources.SMALL_RANGE_BYTES));
      assertInstanceOf(SdkRangeSource.class, sources.forRange("bucket", 1 << 20 | 1));
      assertInstanceOf(SdkRangeSource.class, sources.forRange("bucket", 64L << 20));
    }
  }

  @Test
  void withoutSmallGetsEveryRangeGoesThroughTheSdk() {
    try (S3Client s3 = S3Clients.build(RECIPE)) {
      RangeSources sources = RangeSources.of(null, s3);
      assertInstanceOf(SdkRangeSource.class, sources.forRange("bucket", 1));
      assertInstanceOf(SdkRangeSource.class, sources.forRange("bucket", 64L << 20));
    }
  }
}
