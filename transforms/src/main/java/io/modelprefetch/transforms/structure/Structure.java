package io.modelprefetch.transforms.structure;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The structural outcome of one file of a model: whether its bytes make a usable file of its kind
 * (a safetensors file, a shard index, a JSON configuration), as opposed to whether they equal the
 * store's bytes, which {@code verify} proves.
 *
 * @param check which check ran: {@link #SAFETENSORS}, {@link #SHARD_INDEX}, {@link #JSON}, or null
 *     when none applies
 * @param failure one line naming the broken rule with its values, null unless {@code status} is
 *     {@link Status#FAILED}; it does not name the file (the caller does)
 * @param notes facts worth reporting that fail nothing (a shard the filters dropped, ...)
 */
public record Structure(
    @Nullable String check, Status status, @Nullable String failure, List<String> notes)
    implements Serializable {

  /** The header of a {@code *.safetensors} file: {@link SafetensorsHeader}. */
  public static final String SAFETENSORS = "safetensors";

  /** A {@code *.index.json} shard index against the model's listing: {@link ShardIndex}. */
  public static final String SHARD_INDEX = "shard-index";

  /** A JSON configuration or tokenizer file: {@link JsonDocument}. */
  public static final String JSON = "json";

  /**
   * The file's structure as the report shows it: {@code ok}, {@code failed} or {@code
   * not-applicable}.
   */
  public enum Status {
    OK,
    FAILED,
    NOT_APPLICABLE;

    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** No structural check applies to the file. */
  public static final Structure NOT_APPLICABLE =
      new Structure(null, Status.NOT_APPLICABLE, null, List.of());

  public Structure {
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  public static Structure ok(String check, List<String> notes) {
    return new Structure(check, Status.OK, null, notes);
  }

  public static Structure failed(String check, String failure) {
    return new Structure(check, Status.FAILED, failure, List.of());
  }

  public static Structure failed(String check, String failure, List<String> notes) {
    return new Structure(check, Status.FAILED, failure, notes);
  }

  public boolean isFailed() {
    return status == Status.FAILED;
  }
}
