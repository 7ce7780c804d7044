package io.modelprefetch.runners.demo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/** A small generated model: shards, a multipart-uploaded shard, configs, tokenizer, a nested folder. */
public final class DemoModel {

  /** One file of a model; {@code partSizeBytes > 0} uploads it in parts of that size. */
  public record File(String relativePath, long sizeBytes, long partSizeBytes) {
    public static File single(String path, long size) {
      return new File(path, size, 0);
    }

    public static File multipart(String path, long size, long partSize) {
      return new File(path, size, partSize);
    }
  }

  public static final long MIB = 1L << 20;

  /** The demo model: about 27 MiB in 11 files. */
  public static final List<File> SMALL_MODEL = List.of(
      File.single("config.json", 0),
      File.single("generation_config.json", 0),
      File.single("tokenizer.json", 0),
      File.single("tokenizer_config.json", 0),
      File.single("special_tokens_map.json", 0),
      File.single("model.safetensors.index.json", 0),
      File.single("model-00001-of-00003.safetensors", 7 * MIB + 11),
      File.single("model-00002-of-00003.safetensors", 5 * MIB),
      File.multipart("model-00003-of-00003.safetensors", 12 * MIB + 5, 5 * MIB),
      File.single("original/params.json", 0),
      File.single("original/tokenizer.model", 512 * 1024 + 3));

  private DemoModel() {}

  /**
   * Uploads {@code files} under {@code prefix} of {@code bucket} (created if missing) and returns
   * the SHA-256 of each file by relative path. A file of size 0 whose name ends with {@code .json}
   * gets generated JSON text.
   */
  public static Map<String, String> upload(S3Client s3, String bucket, String prefix, List<File> files) {
    if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
      s3.createBucket(b -> b.bucket(bucket));
    }
    Map<String, String> digests = new LinkedHashMap<>();
    for (File file : files) {
      byte[] content = content(file);
      String key = prefix + file.relativePath();
      if (file.partSizeBytes() > 0) {
        uploadInParts(s3, bucket, key, content, (int) file.partSizeBytes());
      } else {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
      }
      digests.put(file.relativePath(), sha256(content));
    }
    return digests;
  }

  /** The deterministic content of {@code file}. */
  public static byte[] content(File file) {
    if (file.sizeBytes() == 0 && file.relativePath().endsWith(".json")) {
      return json(file.relativePath()).getBytes(StandardCharsets.UTF_8);
    }
    byte[] bytes = new byte[Math.toIntExact(file.sizeBytes())];
    new SplittableRandom(file.relativePath().hashCode()).nextBytes(bytes);
    return bytes;
  }

  private static String json(String path) {
    StringBuilder s = new StringBuilder("{\n  \"_name_or_path\": \"model-prefetch/demo\",\n  \"file\": \"" + path + "\"");
    if (path.contains("tokenizer.json")) {
      s.append(",\n  \"vocab\": {");
      for (int i = 0; i < 4000; i++) {
        s.append(i == 0 ? "" : ",").append("\"tok").append(i).append("\": ").append(i);
      }
      s.append("}");
    } else {
      s.append(",\n  \"hidden_size\": 256,\n  \"num_hidden_layers\": 4,\n  \"vocab_size\": 4000");
    }
    return s.append("\n}\n").toString();
  }

  private static void uploadInParts(S3Client s3, String bucket, String key, byte[] content, int partSize) {
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    for (int offset = 0, number = 1; offset < content.length; offset += partSize, number++) {
      int length = Math.min(partSize, content.length - offset);
      int n = number;
      String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(n),
          RequestBody.fromBytes(Arrays.copyOfRange(content, offset, offset + length))).eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
    }
    s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
  }

  public static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
