package io.modelprefetch.runners.demo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

/**
 * A small generated model: shards, a multipart-uploaded shard, configs, tokenizer, a nested folder.
 */
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
  public static final List<File> SMALL_MODEL =
      List.of(
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
   * the SHA-256 of each file by relative path; the content is {@link #content(File, List)}'s.
   */
  public static Map<String, String> upload(
      S3Client s3, String bucket, String prefix, List<File> files) {
    if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
      s3.createBucket(b -> b.bucket(bucket));
    }
    Map<String, String> digests = new LinkedHashMap<>();
    for (File file : files) {
      byte[] content = content(file, files);
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

  /**
   * The deterministic content of {@code file} alone: {@link #content(File, List)} of a model of one
   * file.
   */
  public static byte[] content(File file) {
    return content(file, List.of(file));
  }

  /**
   * The deterministic content of {@code file}, one of {@code model}'s files: a {@code
   * *.safetensors} file is a valid safetensors file of its size (a small header, then one U8 tensor
   * of pseudo-random bytes filling the rest); a {@code *.safetensors.index.json} of size 0 is a
   * shard index whose {@code weight_map} names each {@code *.safetensors} file of its folder in
   * {@code model} (by its tensor); another {@code *.json} of size 0 is generated JSON text;
   * anything else is pseudo-random bytes of its size.
   *
   * @throws IllegalArgumentException when a {@code *.safetensors} file is too small for its header
   */
  public static byte[] content(File file, List<File> model) {
    String path = file.relativePath();
    if (file.sizeBytes() == 0 && path.endsWith(".safetensors.index.json")) {
      return index(path, model).getBytes(StandardCharsets.UTF_8);
    }
    if (file.sizeBytes() == 0 && path.endsWith(".json")) {
      return json(path).getBytes(StandardCharsets.UTF_8);
    }
    byte[] bytes = new byte[Math.toIntExact(file.sizeBytes())];
    new SplittableRandom(path.hashCode()).nextBytes(bytes);
    if (path.endsWith(SAFETENSORS)) {
      byte[] start = safetensorsStart(path, file.sizeBytes());
      System.arraycopy(start, 0, bytes, 0, start.length);
    }
    return bytes;
  }

  private static final String SAFETENSORS = ".safetensors";

  /**
   * The name of the one tensor of the safetensors file {@code path}: its file name, suffix dropped.
   */
  static String tensorName(String path) {
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.substring(0, name.length() - SAFETENSORS.length()) + ".weight";
  }

  /**
   * The first bytes of a safetensors file of {@code sizeBytes} bytes holding one U8 tensor that
   * fills it: the little-endian header length, then the header, padded with spaces to a multiple of
   * 8 bytes as the reference writer pads it.
   */
  public static byte[] safetensorsStart(String path, long sizeBytes) {
    // The header's length, found with the widest data size (the file's own), then padded to it.
    int headerBytes = (header(path, sizeBytes).length + 7) / 8 * 8;
    long dataBytes = sizeBytes - 8 - headerBytes;
    if (dataBytes < 0) {
      throw new IllegalArgumentException(
          path
              + ": "
              + sizeBytes
              + " bytes cannot hold a safetensors header of "
              + headerBytes
              + " bytes; give it "
              + (8 + headerBytes)
              + " bytes or more, or another name");
    }
    byte[] header = header(path, dataBytes);
    byte[] start = new byte[8 + headerBytes];
    Arrays.fill(start, 8, start.length, (byte) ' ');
    ByteBuffer.wrap(start).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes);
    System.arraycopy(header, 0, start, 8, header.length);
    return start;
  }

  private static byte[] header(String path, long dataBytes) {
    return ("{\"__metadata__\":{\"format\":\"pt\"},"
            + quote(tensorName(path))
            + ":{\"dtype\":\"U8\",\"shape\":["
            + dataBytes
            + "],\"data_offsets\":[0,"
            + dataBytes
            + "]}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /**
   * A shard index naming each safetensors file of its folder in {@code model}, by its one tensor.
   */
  private static String index(String path, List<File> model) {
    String folder = path.substring(0, path.lastIndexOf('/') + 1);
    List<String> entries = new ArrayList<>();
    long total = 0;
    for (File f : model) {
      String shard = f.relativePath();
      if (shard.endsWith(SAFETENSORS)
          && shard.startsWith(folder)
          && shard.indexOf('/', folder.length()) < 0) {
        entries.add(
            "    " + quote(tensorName(shard)) + ": " + quote(shard.substring(folder.length())));
        total += f.sizeBytes() - safetensorsStart(shard, f.sizeBytes()).length;
      }
    }
    if (entries.isEmpty()) {
      return json(path);
    }
    return "{\n  \"metadata\": {\"total_size\": "
        + total
        + "},\n  \"weight_map\": {\n"
        + String.join(",\n", entries)
        + "\n  }\n}\n";
  }

  private static String json(String path) {
    StringBuilder s =
        new StringBuilder(
            "{\n  \"_name_or_path\": \"model-prefetch/demo\",\n  \"file\": \"" + path + "\"");
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

  private static void uploadInParts(
      S3Client s3, String bucket, String key, byte[] content, int partSize) {
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    for (int offset = 0, number = 1; offset < content.length; offset += partSize, number++) {
      int length = Math.min(partSize, content.length - offset);
      int n = number;
      String etag =
          s3.uploadPart(
                  b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(n),
                  RequestBody.fromBytes(Arrays.copyOfRange(content, offset, offset + length)))
              .eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
    }
    s3.completeMultipartUpload(
        b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
  }

  public static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
