package io.modelprefetch.runners;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files for tests, as the reference writer lays them out: tensors in the order
 * given from data byte 0, the header padded with spaces to a multiple of 8 bytes. Depends on the
 * JDK alone, so that other modules' tests can copy it as it is.
 *
 * <p>A copy of {@code transforms}' {@code io.modelprefetch.transforms.structure.SafetensorsFiles}
 * (test classes are not shared between modules); keep the two the same.
 */
public final class SafetensorsFiles {

  /** One tensor to write; its size follows from dtype and shape. */
  public record Tensor(String name, String dtype, long... shape) {
    /** Element count times the dtype's bits, over 8 (whole bytes: pick shapes that make them). */
    public long bytes() {
      long bits = BITS.get(dtype);
      for (long d : shape) {
        bits *= d;
      }
      if (bits % 8 != 0) {
        throw new IllegalArgumentException(name + ": " + bits + " bits is not whole bytes");
      }
      return bits / 8;
    }
  }

  private static final Map<String, Integer> BITS =
      Map.ofEntries(
          Map.entry("BOOL", 8),
          Map.entry("F4", 4),
          Map.entry("F6_E2M3", 6),
          Map.entry("F6_E3M2", 6),
          Map.entry("U8", 8),
          Map.entry("I8", 8),
          Map.entry("F8_E5M2", 8),
          Map.entry("F8_E4M3", 8),
          Map.entry("F8_E8M0", 8),
          Map.entry("F8_E4M3FNUZ", 8),
          Map.entry("F8_E5M2FNUZ", 8),
          Map.entry("I16", 16),
          Map.entry("U16", 16),
          Map.entry("F16", 16),
          Map.entry("BF16", 16),
          Map.entry("I32", 32),
          Map.entry("U32", 32),
          Map.entry("F32", 32),
          Map.entry("C64", 64),
          Map.entry("F64", 64),
          Map.entry("I64", 64),
          Map.entry("U64", 64));

  private SafetensorsFiles() {}

  /**
   * The header JSON for {@code tensors} (and {@code metadata} when not empty), padded to 8 bytes.
   */
  public static String header(Map<String, String> metadata, List<Tensor> tensors) {
    StringBuilder json = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      json.append("\"__metadata__\":{");
      List<String> entries = new ArrayList<>();
      metadata.forEach((k, v) -> entries.add(quote(k) + ":" + quote(v)));
      json.append(String.join(",", entries)).append("},");
    }
    long offset = 0;
    for (Tensor t : tensors) {
      StringBuilder shape = new StringBuilder();
      for (long d : t.shape()) {
        shape.append(shape.length() == 0 ? "" : ",").append(d);
      }
      long end = offset + t.bytes();
      json.append(quote(t.name()))
          .append(":{\"dtype\":")
          .append(quote(t.dtype()))
          .append(",\"shape\":[")
          .append(shape)
          .append("],\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(end)
          .append("]},");
      offset = end;
    }
    if (json.charAt(json.length() - 1) == ',') {
      json.setLength(json.length() - 1);
    }
    json.append('}');
    while (json.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
      json.append(' ');
    }
    return json.toString();
  }

  /** The data section's size for {@code tensors}. */
  public static long dataBytes(List<Tensor> tensors) {
    return tensors.stream().mapToLong(Tensor::bytes).sum();
  }

  /** Writes {@code tensors} with deterministic data bytes ({@code i * 31 + 7} for byte i). */
  public static Path write(Path file, List<Tensor> tensors) throws IOException {
    return write(file, Map.of(), tensors);
  }

  public static Path write(Path file, Map<String, String> metadata, List<Tensor> tensors)
      throws IOException {
    return writeRaw(file, header(metadata, tensors), dataBytes(tensors), false);
  }

  /**
   * Writes {@code tensors} with their data section a hole (sparse where the file system allows).
   */
  public static Path writeSparse(Path file, List<Tensor> tensors) throws IOException {
    return writeRaw(file, header(Map.of(), tensors), dataBytes(tensors), true);
  }

  /** Writes any header text, its length as the 8-byte prefix, then {@code dataBytes} of data. */
  public static Path writeRaw(Path file, String header, long dataBytes, boolean sparse)
      throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    return writeRaw(file, json.length, json, dataBytes, sparse);
  }

  /**
   * Writes {@code declaredHeaderBytes} as the prefix (true or not), {@code header}, then the data.
   */
  public static Path writeRaw(
      Path file, long declaredHeaderBytes, byte[] header, long dataBytes, boolean sparse)
      throws IOException {
    try (FileChannel out =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer start = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
      start.putLong(declaredHeaderBytes).put(header).flip();
      while (start.hasRemaining()) {
        out.write(start);
      }
      if (sparse) {
        if (dataBytes > 0) {
          out.write(ByteBuffer.wrap(new byte[1]), 8L + header.length + dataBytes - 1);
        }
        return file;
      }
      ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
      for (long written = 0; written < dataBytes; ) {
        chunk.clear();
        int n = (int) Math.min(chunk.capacity(), dataBytes - written);
        for (int i = 0; i < n; i++) {
          chunk.put((byte) ((written + i) * 31 + 7));
        }
        chunk.flip();
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
        written += n;
      }
    }
    return file;
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
