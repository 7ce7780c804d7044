package io.modelprefetch.transforms.model;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A parsed {@code s3://bucket/key} or {@code tos://bucket/key} URI.
 *
 * <p>A key that is empty or ends with {@code /} names a prefix; any other key may name a single
 * object or a prefix, which the listing step decides.
 */
public record ObjectUri(Scheme scheme, String bucket, String key) implements Serializable {

  /** The object-store families the tool reads from. */
  public enum Scheme {
    S3,
    TOS;

    public String prefix() {
      return name().toLowerCase(Locale.ROOT) + "://";
    }
  }

  // S3 bucket naming rules: 3-63 characters, lower-case letters, digits, dots and hyphens,
  // starting and ending with a letter or digit. TOS follows the same rules.
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

  /**
   * What the AIBrix downloader takes for a Hugging Face repo id: a URI that is neither {@code
   * s3://} nor {@code tos://} goes to its Hugging Face source ({@code get_downloader},
   * aibrix/downloader/base.py), which wants exactly {@code owner/name} ({@code
   * HuggingFaceDownloader._valid_config}, huggingface.py: {@code len(model_uri.split("/")) == 2}).
   */
  private static final Pattern HUGGING_FACE_REPO_ID =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9._-]+");

  /**
   * Parses {@code uri}.
   *
   * @throws IllegalArgumentException naming the URI and what is wrong with it
   */
  public static ObjectUri parse(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException(
          "model URI is empty; give s3://bucket/prefix/ or tos://bucket/prefix/");
    }
    String trimmed = uri.strip();
    int sep = trimmed.indexOf("://");
    if (sep <= 0 && HUGGING_FACE_REPO_ID.matcher(trimmed).matches()) {
      throw new IllegalArgumentException(
          "model URI '"
              + uri
              + "' is a Hugging Face repo id (the AIBrix downloader's"
              + " default source); Hugging Face is not supported here: copy the model to a bucket and give"
              + " s3://bucket/prefix/ or tos://bucket/prefix/");
    }
    if (sep <= 0) {
      throw new IllegalArgumentException(
          "model URI '"
              + uri
              + "' has no scheme; write it as s3://bucket/prefix/ or tos://bucket/prefix/");
    }
    String schemeText = trimmed.substring(0, sep).toLowerCase(Locale.ROOT);
    Scheme scheme;
    switch (schemeText) {
      case "s3" -> scheme = Scheme.S3;
      case "tos" -> scheme = Scheme.TOS;
      default ->
          throw new IllegalArgumentException(
              "model URI '"
                  + uri
                  + "' has unsupported scheme '"
                  + schemeText
                  + "'; use s3:// or tos://");
    }
    String rest = trimmed.substring(sep + 3);
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String key = slash < 0 ? "" : rest.substring(slash + 1);
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException(
          "model URI '"
              + uri
              + "' has no bucket; write it as "
              + scheme.prefix()
              + "bucket/prefix/");
    }
    if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw new IllegalArgumentException(
          "model URI '"
              + uri
              + "' has invalid bucket name '"
              + bucket
              + "'; bucket names are 3-63 lower-case letters, digits, dots or hyphens");
    }
    while (key.startsWith("/")) {
      key = key.substring(1);
    }
    return new ObjectUri(scheme, bucket, key);
  }

  /** True when the key can only be a prefix (empty or ending with {@code /}). */
  public boolean isPrefixOnly() {
    return key.isEmpty() || key.endsWith("/");
  }

  /** The key as a listing prefix: empty, or ending with {@code /}. */
  public String keyAsPrefix() {
    return isPrefixOnly() ? key : key + "/";
  }

  /**
   * The model name the AIBrix downloader infers: the last path segment of the URI, ignoring
   * trailing slashes; the bucket when the key is empty.
   */
  public String inferModelName() {
    String path = (bucket + "/" + key).replaceAll("/+$", "");
    return path.substring(path.lastIndexOf('/') + 1);
  }

  @Override
  public String toString() {
    return scheme.prefix() + bucket + "/" + key;
  }
}
