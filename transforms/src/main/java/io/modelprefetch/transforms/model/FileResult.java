package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.structure.Structure;
import java.io.Serializable;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The outcome for one object, or for a whole model when {@code relativePath} is null (a listing
 * that failed or found nothing).
 *
 * @param verifiedBy the strongest evidence checked: sha256, md5, multipart-md5, crc64ecma, or size
 *     (weak)
 * @param checks every evidence checked
 * @param structure whether the file is a usable file of its kind ({@link Structure}): {@code OK} or
 *     {@code FAILED} when its structural check ran in this run, {@code NOT_APPLICABLE} when none
 *     ran (no check applies to its name, {@code --structure-check off}, already present, or it
 *     failed before its bytes were verified). Never null.
 * @param structureNotes what the structural check found worth saying that fails nothing (a shard
 *     the filters dropped, ...); empty when none
 */
public record FileResult(
    ModelKey model,
    String uri,
    @Nullable String relativePath,
    long sizeBytes,
    @Nullable String etag,
    @Nullable String verifiedBy,
    List<String> checks,
    Status status,
    long bytesFetched,
    int retries,
    @Nullable String error,
    Structure.Status structure,
    List<String> structureNotes)
    implements Serializable {

  /** What happened to an object. */
  public enum Status {
    /** Fetched, verified and committed under its final name. */
    VERIFIED,
    /** Already present with the same size and ETag; not fetched. */
    PRESENT,
    /** Not committed; {@code error} says why. */
    FAILED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public FileResult {
    checks = checks == null ? List.of() : List.copyOf(checks);
    structure = structure == null ? Structure.Status.NOT_APPLICABLE : structure;
    structureNotes = structureNotes == null ? List.of() : List.copyOf(structureNotes);
  }

  /** An outcome no structural check ran on. */
  public FileResult(
      ModelKey model,
      String uri,
      @Nullable String relativePath,
      long sizeBytes,
      @Nullable String etag,
      @Nullable String verifiedBy,
      List<String> checks,
      Status status,
      long bytesFetched,
      int retries,
      @Nullable String error) {
    this(
        model,
        uri,
        relativePath,
        sizeBytes,
        etag,
        verifiedBy,
        checks,
        status,
        bytesFetched,
        retries,
        error,
        Structure.Status.NOT_APPLICABLE,
        List.of());
  }

  public static FileResult modelFailure(ModelKey model, String error) {
    return new FileResult(
        model, model.uri(), null, 0, null, null, List.of(), Status.FAILED, 0, 0, error);
  }

  /**
   * An object already in place: same size, and its ETag sidecar names the listed ETag. Its
   * structure is not checked again: the run that fetched it checked it before its final name.
   */
  public static FileResult present(ObjectRef object) {
    return new FileResult(
        object.model(),
        object.uri(),
        object.relativePath(),
        object.sizeBytes(),
        object.etag(),
        "etag-sidecar",
        List.of(),
        Status.PRESENT,
        0,
        0,
        null);
  }

  public static FileResult objectFailure(
      ObjectRef object, long bytesFetched, int retries, String error) {
    return new FileResult(
        object.model(),
        object.uri(),
        object.relativePath(),
        object.sizeBytes(),
        object.etag(),
        null,
        List.of(),
        Status.FAILED,
        bytesFetched,
        retries,
        error);
  }

  /** The same outcome, reported for {@code other} (a staged object's destination model). */
  public FileResult withModel(ModelKey other) {
    return new FileResult(
        other,
        uri,
        relativePath,
        sizeBytes,
        etag,
        verifiedBy,
        checks,
        status,
        bytesFetched,
        retries,
        error,
        structure,
        structureNotes);
  }

  /** The same outcome, with the structural check's status and notes. */
  public FileResult withStructure(Structure.Status checked, List<String> notes) {
    return new FileResult(
        model,
        uri,
        relativePath,
        sizeBytes,
        etag,
        verifiedBy,
        checks,
        status,
        bytesFetched,
        retries,
        error,
        checked,
        notes);
  }

  public boolean isModelLevel() {
    return relativePath == null;
  }
}
