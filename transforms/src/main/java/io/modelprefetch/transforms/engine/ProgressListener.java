package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;

/**
 * What a run's work tells about its progress as it goes: the objects listed, those already in
 * place, the bytes that arrive, and each file done. The {@link FetchRuntime} hands it to its
 * fetches and the steps that list and plan; it is {@link #NONE} unless the command line, in the
 * same JVM, {@link FetchRuntime#watch watches} the run (on a cluster, the job's metrics are the
 * figures).
 */
public interface ProgressListener {

  /** The listing kept {@code object}: one more file to do. */
  void listed(ObjectRef object);

  /** {@code object} is already in place: done without a fetch. */
  void present(ObjectRef object);

  /** {@code n} bytes of {@code model} arrived (negative: a failed attempt's bytes, taken back). */
  void bytes(ModelKey model, long n);

  /**
   * {@code n} bytes of {@code model} were already on disk from an interrupted run (not fetched
   * now).
   */
  void resumed(ModelKey model, long n);

  /**
   * {@code n} bytes of {@code model} counted as done are to be fetched again (a file that failed
   * verification).
   */
  void undone(ModelKey model, long n);

  /** A file of {@code model} was committed, or failed. */
  void fileDone(ModelKey model, boolean failed);

  /** Hears nothing. */
  ProgressListener NONE =
      new ProgressListener() {
        @Override
        public void listed(ObjectRef object) {}

        @Override
        public void present(ObjectRef object) {}

        @Override
        public void bytes(ModelKey model, long n) {}

        @Override
        public void resumed(ModelKey model, long n) {}

        @Override
        public void undone(ModelKey model, long n) {}

        @Override
        public void fileDone(ModelKey model, boolean failed) {}
      };
}
