package io.modelprefetch.transforms.structure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which structural check applies to a file of a model, and its outcome: the one entry the commit
 * step calls for each file after its bytes are verified and before it gets its final name.
 *
 * <ul>
 *   <li>{@code *.safetensors}: {@link SafetensorsHeader} (reads the header only);
 *   <li>{@code *.index.json}: {@link ShardIndex} against the model's listing;
 *   <li>{@link #JSON_DOCUMENTS} by file name, in any folder: {@link JsonDocument};
 *   <li>anything else: {@link Structure#NOT_APPLICABLE}.
 * </ul>
 *
 * <p>A failure means the store holds an unusable file: fetching again brings the same bytes, so it
 * is not worth a retry. An {@link IOException} means the local file could not be read, which says
 * nothing of its structure.
 */
public final class ModelStructure {

  /** File names checked as JSON objects, wherever they lie in the model. */
  public static final Set<String> JSON_DOCUMENTS =
      Set.of("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json");

  private static final String SAFETENSORS_SUFFIX = ".safetensors";
  private static final String INDEX_SUFFIX = ".index.json";

  private ModelStructure() {}

  /**
   * The check that applies to {@code relativePath}: {@link Structure#SAFETENSORS}, {@link
   * Structure#SHARD_INDEX}, {@link Structure#JSON}, or null for none.
   */
  public static @Nullable String checkFor(String relativePath) {
    String name = relativePath.substring(relativePath.lastIndexOf('/') + 1);
    if (name.endsWith(SAFETENSORS_SUFFIX)) {
      return Structure.SAFETENSORS;
    }
    if (name.endsWith(INDEX_SUFFIX)) {
      return Structure.SHARD_INDEX;
    }
    return JSON_DOCUMENTS.contains(name) ? Structure.JSON : null;
  }

  /**
   * Checks {@code file}, the local copy of the model's {@code relativePath}. {@code listing} is
   * what the store holds of the model; only a shard index reads it, and it may be null for any
   * other file.
   *
   * @throws IOException when {@code file} cannot be read
   * @throws IllegalArgumentException when {@code relativePath} is a shard index and {@code listing}
   *     is null
   */
  public static Structure check(String relativePath, Path file, @Nullable ModelListing listing)
      throws IOException {
    String check = checkFor(relativePath);
    if (check == null) {
      return Structure.NOT_APPLICABLE;
    }
    if (check.equals(Structure.SHARD_INDEX) && listing == null) {
      throw new IllegalArgumentException(
          "checking the shard index "
              + relativePath
              + " needs the model's listing, "
              + "which is null");
    }
    if (check.equals(Structure.SAFETENSORS)) {
      return SafetensorsHeader.check(file);
    }
    try (InputStream in = Files.newInputStream(file)) {
      return check.equals(Structure.SHARD_INDEX)
          ? ShardIndex.check(relativePath, in, Objects.requireNonNull(listing, "checked above"))
          : JsonDocument.check(in);
    }
  }
}
