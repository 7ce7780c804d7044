import java.lang.management.ManagementFactory;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;

/**
 * The least a Beam job costs in a fresh JVM on the DirectRunner, as model-prefetch configures it
 * (no immutability or encodability checks, one runner thread): parse the options, build a graph of
 * Create, a ParDo, a GroupByKey and a ParDo over ten integers, run it to the end. No store, no
 * bytes, no file. Its CPU bounds from below what any cold run of a Beam pipeline spends before
 * the work of the job itself. Run from the repository root after a build, with the jar's class
 * path first so that a class archive recorded for it (bench/lib.sh's image_archive) maps:
 *
 * <pre>
 * javac -cp runners/target/model-prefetch.jar -d /tmp/floor bench/BeamFloor.java
 * java @configs/jvm.options -cp runners/target/model-prefetch.jar:/tmp/floor BeamFloor
 * </pre>
 *
 * <p>Prints the CPU-seconds of the whole process (every thread: JIT compilers and GC included) at
 * main, after the options, after the graph and at the end.
 */
public class BeamFloor {
  public static void main(String[] args) {
    double atMain = cpuSeconds();
    DirectOptions options =
        PipelineOptionsFactory.fromArgs("--runner=DirectRunner").as(DirectOptions.class);
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    options.setTargetParallelism(1);
    double optionsMade = cpuSeconds();
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(Create.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
        .apply(ParDo.of(new ByRemainder()))
        .apply(GroupByKey.create())
        .apply(ParDo.of(new Keys()));
    double graphBuilt = cpuSeconds();
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    double done = cpuSeconds();
    System.out.printf(
        "%s: JVM to main %.2f, options %.2f, graph %.2f, run %.2f; total %.2f CPU-s%n",
        state, atMain, optionsMade - atMain, graphBuilt - optionsMade, done - graphBuilt, done);
  }

  static class ByRemainder extends DoFn<Integer, KV<Integer, Integer>> {
    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<KV<Integer, Integer>> out) {
      out.output(KV.of(i % 3, i));
    }
  }

  static class Keys extends DoFn<KV<Integer, Iterable<Integer>>, Integer> {
    @ProcessElement
    public void process(@Element KV<Integer, Iterable<Integer>> group, OutputReceiver<Integer> out) {
      out.output(group.getKey());
    }
  }

  private static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }
}
