package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FileResult;
import org.apache.beam.sdk.values.TupleTag;

/** The tag under which every step emits its final per-object (or per-model) outcomes. */
public final class Results {

  public static final TupleTag<FileResult> TAG = new TupleTag<>("results") {};

  private Results() {}
}
