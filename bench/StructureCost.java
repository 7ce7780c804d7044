import io.modelprefetch.transforms.structure.JsonDocument;
import io.modelprefetch.transforms.structure.SafetensorsHeader;
import io.modelprefetch.transforms.structure.Structure;
import java.io.BufferedWriter;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the structural checks cost: the safetensors header check on a 1 GiB sparse shard with a
 * 200-tensor header (time per call, bytes read), and the JSON check on a 17 MB tokenizer.json.
 * Run from the repository root after {@code mvn -B -o -q -pl transforms -am compile}:
 *
 * <pre>
 * CP=transforms/target/classes:$HOME/.m2/repository/com/fasterxml/jackson/core/jackson-core/2.22.2/jackson-core-2.22.2.jar
 * javac -cp $CP -d /tmp/structure-cost bench/StructureCost.java
 * java -Xmx256m -cp $CP:/tmp/structure-cost StructureCost /tmp/structure-cost
 * </pre>
 *
 * <p>Times are of warm calls (the file's first pages in the page cache); a cold call adds one read
 * of the header's pages from disk.
 */
public class StructureCost {
  private static final long GIB = 1L << 30;
  private static final int TENSORS = 200;

  public static void main(String[] args) throws Exception {
    Path dir = Files.createDirectories(Path.of(args[0]));
    Path shard = shard(dir.resolve("model-00001-of-00004.safetensors"));
    long headerBytes = headerBytes(shard);
    System.out.printf("shard: %d bytes, header %d bytes, %d tensors%n", Files.size(shard), headerBytes,
        TENSORS);

    long firstNanos = System.nanoTime();
    Structure first = SafetensorsHeader.check(shard);
    firstNanos = System.nanoTime() - firstNanos;
    System.out.printf("first call (cold JVM): %.2f ms, %s%n", firstNanos / 1e6, first);

    for (int i = 0; i < 3000; i++) {
      SafetensorsHeader.check(shard);
    }
    int calls = 5000;
    long[] nanos = new long[calls];
    long rcharBefore = rchar();
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      Structure s = SafetensorsHeader.check(shard);
      nanos[i] = System.nanoTime() - start;
      if (s.isFailed()) {
        throw new AssertionError(s);
      }
    }
    long rcharPerCall = (rchar() - rcharBefore) / calls;
    Arrays.sort(nanos);
    System.out.printf("warm calls: %d, median %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us%n", calls,
        nanos[calls / 2] / 1e3, nanos[calls * 9 / 10] / 1e3, nanos[calls * 99 / 100] / 1e3, nanos[calls - 1] / 1e3);
    System.out.printf("bytes read per call: %d by read(2) (/proc/self/io rchar), header 8 + %d = %d%n",
        rcharPerCall, headerBytes, 8 + headerBytes);

    long[] consumed = new long[1];
    try (InputStream in = new FilterInputStream(Files.newInputStream(shard)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        consumed[0] += Math.max(n, 0);
        return n;
      }

      @Override
      public int read() throws IOException {
        int b = super.read();
        consumed[0] += b < 0 ? 0 : 1;
        return b;
      }
    }) {
      SafetensorsHeader.check(in, Files.size(shard));
    }
    System.out.printf("bytes the check took from its stream: %d%n", consumed[0]);

    Path tokenizer = tokenizer(dir.resolve("tokenizer.json"));
    Runtime rt = Runtime.getRuntime();
    for (int round = 0; round < 5; round++) {
      System.gc();
      long start = System.nanoTime();
      Structure s;
      try (InputStream in = Files.newInputStream(tokenizer)) {
        s = JsonDocument.check(in);
      }
      System.out.printf("tokenizer.json %d bytes: %.0f ms (%s)%n", Files.size(tokenizer),
          (System.nanoTime() - start) / 1e6, s.status().label());
    }
    System.out.printf("heap max %d MB%n", rt.maxMemory() >> 20);
  }

  /** A 1 GiB shard of 200 BF16 tensors named and shaped as a Llama-style model's, data a hole. */
  private static Path shard(Path file) throws IOException {
    List<String> entries = new ArrayList<>();
    long offset = 0;
    String[][] layer = {
        {"self_attn.q_proj.weight", "1536,1536"}, {"self_attn.k_proj.weight", "256,1536"},
        {"self_attn.v_proj.weight", "256,1536"}, {"self_attn.o_proj.weight", "1536,1536"},
        {"mlp.gate_proj.weight", "4096,1536"}, {"mlp.up_proj.weight", "4096,1536"},
        {"mlp.down_proj.weight", "1536,4096"}, {"input_layernorm.weight", "1536"},
        {"post_attention_layernorm.weight", "1536"}, {"self_attn.k_proj.bias", "256"}};
    int tensors = 0;
    for (int l = 0; tensors < TENSORS - 1; l++) {
      for (String[] t : layer) {
        long bytes = 2 * Arrays.stream(t[1].split(",")).mapToLong(Long::parseLong).reduce(1, (a, b) -> a * b);
        if (tensors == TENSORS - 1) {
          break;
        }
        entries.add(String.format("\"model.layers.%d.%s\":{\"dtype\":\"BF16\",\"shape\":[%s],"
            + "\"data_offsets\":[%d,%d]}", l, t[0], t[1], offset, offset + bytes));
        offset += bytes;
        tensors++;
      }
    }
    entries.add(String.format("\"lm_head.weight\":{\"dtype\":\"BF16\",\"shape\":[%d],\"data_offsets\":[%d,%d]}",
        (GIB - offset) / 2, offset, GIB));
    if (entries.size() != TENSORS || offset > GIB) {
      throw new AssertionError(entries.size() + " tensors, " + offset + " bytes");
    }
    StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"},").append(String.join(",", entries))
        .append('}');
    while (json.length() % 8 != 0) {
      json.append(' ');
    }
    byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer start = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
      start.putLong(header.length).put(header).flip();
      out.write(start);
      out.write(ByteBuffer.wrap(new byte[1]), 8L + header.length + GIB - 1);
    }
    return file;
  }

  private static Path tokenizer(Path file) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file)) {
      out.write("{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", \"vocab\": {");
      for (int i = 0; i < 800_000; i++) {
        out.write((i == 0 ? "" : ",") + "\"\u0120tok" + i + "\": " + i);
      }
      out.write("}, \"merges\": [\"a b\"]}}");
    }
    return file;
  }

  private static long headerBytes(Path file) throws IOException {
    try (FileChannel in = FileChannel.open(file)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      in.read(b, 0);
      return b.getLong(0);
    }
  }

  private static long rchar() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
      if (line.startsWith("rchar:")) {
        return Long.parseLong(line.substring(6).strip());
      }
    }
    throw new IOException("no rchar in /proc/self/io");
  }
}
