package io.modelprefetch.transforms.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.ObjectUri.Scheme;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ObjectUriTest {

  private static String parseError(String uri) {
    return assertThrows(IllegalArgumentException.class, () -> ObjectUri.parse(uri)).getMessage();
  }

  @Test
  void s3UriIsSplitIntoBucketAndKey() {
    assertEquals(
        new ObjectUri(Scheme.S3, "models", "llama/7b/"), ObjectUri.parse("s3://models/llama/7b/"));
  }

  @Test
  void tosUriIsSplitIntoBucketAndKey() {
    assertEquals(
        new ObjectUri(Scheme.TOS, "bucket", "models/llama-2-7b-hf/"),
        ObjectUri.parse("tos://bucket/models/llama-2-7b-hf/"));
  }

  @Test
  void schemeIsCaseInsensitive() {
    assertEquals(new ObjectUri(Scheme.TOS, "bucket", "a"), ObjectUri.parse("TOS://bucket/a"));
    assertEquals(new ObjectUri(Scheme.S3, "bucket", "a"), ObjectUri.parse("S3://bucket/a"));
  }

  @Test
  void surroundingWhitespaceIsIgnored() {
    assertEquals(new ObjectUri(Scheme.S3, "bucket", "a/"), ObjectUri.parse("  s3://bucket/a/ \n"));
  }

  @Test
  void bucketWithoutSlashHasEmptyKey() {
    assertEquals(new ObjectUri(Scheme.S3, "bucket", ""), ObjectUri.parse("s3://bucket"));
    assertEquals(new ObjectUri(Scheme.S3, "bucket", ""), ObjectUri.parse("s3://bucket/"));
  }

  @Test
  void leadingSlashesOfTheKeyAreDropped() {
    assertEquals(new ObjectUri(Scheme.S3, "bucket", "a/b"), ObjectUri.parse("s3://bucket///a/b"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"   ", "\t\n"})
  void emptyUriIsRefused(String uri) {
    assertEquals(
        "model URI is empty; give s3://bucket/prefix/ or tos://bucket/prefix/", parseError(uri));
  }

  @ParameterizedTest
  @ValueSource(strings = {"bucket/models/llama/", "://bucket/models/", "s3:/bucket/models/"})
  void uriWithoutSchemeIsRefused(String uri) {
    assertEquals(
        "model URI '"
            + uri
            + "' has no scheme; write it as s3://bucket/prefix/ or tos://bucket/prefix/",
        parseError(uri));
  }

  /**
   * AIBrix sends every URI that is not s3:// or tos:// to Hugging Face ({@code get_downloader},
   * aibrix/downloader/base.py), as {@code owner/name} ({@code
   * HuggingFaceDownloader._valid_config}).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "deepseek-ai/deepseek-coder-6.7b-instruct",
        "Qwen/Qwen2.5-0.5B",
        "meta-llama/Llama-3.1-8B"
      })
  void huggingFaceRepoIdIsRefusedSayingWhatToGiveInstead(String uri) {
    assertEquals(
        "model URI '"
            + uri
            + "' is a Hugging Face repo id (the AIBrix downloader's default source);"
            + " Hugging Face is not supported here: copy the model to a bucket and give s3://bucket/prefix/ or"
            + " tos://bucket/prefix/",
        parseError(uri));
  }

  @ParameterizedTest
  @CsvSource({
    "gs://bucket/models/, gs",
    "HTTPS://bucket/models/, https",
    "oss://bucket/models/, oss",
    "s3a://bucket/models/, s3a",
  })
  void unsupportedSchemeIsRefusedNamingIt(String uri, String scheme) {
    assertEquals(
        "model URI '" + uri + "' has unsupported scheme '" + scheme + "'; use s3:// or tos://",
        parseError(uri));
  }

  @Test
  void missingBucketIsRefusedWithTheSchemeOfTheUri() {
    assertEquals(
        "model URI 's3:///models/' has no bucket; write it as s3://bucket/prefix/",
        parseError("s3:///models/"));
    assertEquals(
        "model URI 'tos://' has no bucket; write it as tos://bucket/prefix/", parseError("tos://"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ab",
        "My-Bucket",
        "-bucket",
        "bucket-",
        ".bucket",
        "bucket.",
        "my..bucket",
        "bucket_name",
        "bucket name",
        "a234567890123456789012345678901234567890123456789012345678901234"
      })
  void invalidBucketNameIsRefusedNamingIt(String bucket) {
    String uri = "s3://" + bucket + "/models/";
    assertEquals(
        "model URI '"
            + uri
            + "' has invalid bucket name '"
            + bucket
            + "'; bucket names are 3-63 lower-case letters, digits, dots or hyphens",
        parseError(uri));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "abc",
        "my.bucket-1",
        "123",
        "a23456789012345678901234567890123456789012345678901234567890123"
      })
  void validBucketNamesAreAccepted(String bucket) {
    assertEquals(bucket, ObjectUri.parse("tos://" + bucket + "/k").bucket());
  }

  @Test
  void emptyKeyAndKeyEndingWithSlashArePrefixOnly() {
    assertTrue(ObjectUri.parse("s3://bucket").isPrefixOnly());
    assertTrue(ObjectUri.parse("s3://bucket/models/llama/").isPrefixOnly());
    assertFalse(ObjectUri.parse("s3://bucket/models/llama").isPrefixOnly());
  }

  @ParameterizedTest
  @CsvSource({
    "s3://bucket, ''",
    "s3://bucket/, ''",
    "s3://bucket/models/llama/, models/llama/",
    "s3://bucket/models/llama, models/llama/",
    "s3://bucket/config.json, config.json/",
  })
  void keyAsPrefixIsEmptyOrEndsWithSlash(String uri, String prefix) {
    assertEquals(prefix, ObjectUri.parse(uri).keyAsPrefix());
  }

  @ParameterizedTest
  @CsvSource({
    "tos://bucket/models/llama-2-7b-hf/, llama-2-7b-hf",
    "tos://bucket/models/llama-2-7b-hf, llama-2-7b-hf",
    "tos://bucket/models/llama-2-7b-hf///, llama-2-7b-hf",
    "s3://bucket/deepseek-r1, deepseek-r1",
    "s3://bucket/a/b/model.safetensors, model.safetensors",
    "s3://bucket/, bucket",
    "s3://bucket, bucket",
    "tos://my.bucket-1, my.bucket-1",
  })
  void modelNameIsLastSegmentWithoutTrailingSlashesOrTheBucket(String uri, String name) {
    assertEquals(name, ObjectUri.parse(uri).inferModelName());
  }

  @Test
  void toStringRestoresCanonicalUri() {
    assertEquals("tos://bucket/models/x/", ObjectUri.parse("TOS://bucket//models/x/").toString());
    assertEquals("s3://bucket/", ObjectUri.parse("s3://bucket").toString());
  }
}
