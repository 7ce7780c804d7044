package io.modelprefetch.transforms.structure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a file is a whole safetensors file, from its header alone: the first {@code 8 + N}
 * bytes are read, never the tensor data.
 *
 * <p>The format (huggingface/safetensors README, "Format"): 8 bytes, {@code N} as an unsigned
 * little-endian 64-bit integer; {@code N} bytes of UTF-8 JSON, an object mapping each tensor name
 * to {@code {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]}}, plus an optional {@code
 * __metadata__} object of strings, padded with spaces; then the data section, to which the offsets
 * are relative. The rules, in the order they are checked, follow the reference loader ({@code
 * SafeTensors::read_metadata} and {@code Metadata::validate} in {@code safetensors/src/tensor.rs}):
 *
 * <ol>
 *   <li>the file holds the 8-byte length; {@code 2 <= N <= }{@link #MAX_HEADER_BYTES}; the header
 *       ends inside the file;
 *   <li>the header is UTF-8 JSON (no byte order mark), one object and only spaces after it; each
 *       name appears once;
 *   <li>{@code __metadata__}, when present, is an object of strings (or null);
 *   <li>every other entry is an object with a {@code dtype} of {@link #DTYPE_BITS}, a {@code shape}
 *       of integers {@code >= 0} and {@code data_offsets} {@code [begin, end]}, integers with
 *       {@code begin <= end}; other fields are ignored, as the reference does;
 *   <li>{@code end - begin} is the element count (the product of the shape, 1 for {@code []}) times
 *       the dtype's bits, divided by 8, which must be whole bytes;
 *   <li>no tensor's data ends beyond the file (a truncated file);
 *   <li>sorted by offsets, the tensors start at 0 and each starts where the previous ended (no
 *       overlap, no gap);
 *   <li>the file ends where the last tensor ends (no trailing bytes).
 * </ol>
 *
 * <p>The first rule broken is reported; a failure names the tensor and the values involved.
 */
public final class SafetensorsHeader {

  /** The little-endian header length every file starts with. */
  static final int LENGTH_BYTES = 8;

  /** The smallest header, {@code {}}. */
  static final long MIN_HEADER_BYTES = 2;

  /**
   * The largest header accepted, in bytes: the reference implementation's {@code MAX_HEADER_SIZE}
   * ({@code const MAX_HEADER_SIZE: usize = 100_000_000;} in huggingface/safetensors {@code
   * safetensors/src/tensor.rs}, since "Fixing potential DOS attacks" #26, 2022-10; still so at
   * 24b0b28, 2026-05), above which its loaders fail with {@code HeaderTooLarge}.
   */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /**
   * Bits per element of every dtype the reference defines ({@code Dtype::bitsize} at
   * huggingface/safetensors 24b0b28, 2026-05), in its order. F4 (MXFP4) and F6 (MXFP6) take fewer
   * than 8 bits: a tensor's size is its element count times the bits, over 8, and must be whole
   * bytes ({@code MisalignedSlice} otherwise). A dtype added to the reference after that commit is
   * refused here until it is added to this table.
   */
  static final Map<String, Integer> DTYPE_BITS = dtypeBits();

  private static final String METADATA = "__metadata__";

  /**
   * Whole {@code __metadata__} strings are allowed up to the header's size, as the reference does.
   */
  private static final JsonFactory JSON = Json.factory((int) MAX_HEADER_BYTES);

  private SafetensorsHeader() {}

  /** One tensor's entry: name, dtype, shape, and offsets relative to the data section. */
  private record Tensor(String name, String dtype, long[] shape, long begin, long end) {
    String offsets() {
      return "[" + begin + ", " + end + "]";
    }
  }

  /**
   * Checks the safetensors file {@code file}. Reads its first {@code 8 + N} bytes.
   *
   * @throws IOException when the file cannot be read (not a structural failure)
   */
  public static Structure check(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return check(Channels.newInputStream(channel), channel.size());
    }
  }

  /**
   * Checks a safetensors file of {@code fileBytes} bytes whose content {@code start} streams from
   * its first byte (a local file, or a Hadoop file system's stream). Reads at most {@code 8 + N}
   * bytes of {@code start} and leaves it open.
   *
   * @throws IOException when {@code start} cannot be read (not a structural failure)
   */
  public static Structure check(InputStream start, long fileBytes) throws IOException {
    try {
      checkStructure(start, fileBytes);
      return Structure.ok(Structure.SAFETENSORS, List.of());
    } catch (Broken e) {
      return Structure.failed(Structure.SAFETENSORS, e.getMessage());
    }
  }

  private static void checkStructure(InputStream start, long fileBytes) throws IOException, Broken {
    if (fileBytes < LENGTH_BYTES) {
      throw new Broken(
          "the file has "
              + fileBytes
              + " bytes, fewer than the "
              + LENGTH_BYTES
              + "-byte header length a safetensors file starts with");
    }
    byte[] length = start.readNBytes(LENGTH_BYTES);
    if (length.length < LENGTH_BYTES) {
      throw new EOFException(
          "the file ended after " + length.length + " bytes, its size is " + fileBytes);
    }
    long headerBytes = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (Long.compareUnsigned(headerBytes, MAX_HEADER_BYTES) > 0) {
      throw new Broken(
          "the header length is "
              + Long.toUnsignedString(headerBytes)
              + " bytes, above the "
              + MAX_HEADER_BYTES
              + " bytes safetensors loaders accept: the first 8 bytes are not a safetensors header "
              + "length (not a safetensors file, or a damaged one)");
    }
    if (headerBytes < MIN_HEADER_BYTES) {
      throw new Broken(
          "the header length is "
              + headerBytes
              + ", fewer than the "
              + MIN_HEADER_BYTES
              + " bytes of the smallest header ({}): not a safetensors file, or a damaged one");
    }
    long dataStart = LENGTH_BYTES + headerBytes;
    if (dataStart > fileBytes) {
      throw new Broken(
          "the header ends at byte "
              + dataStart
              + ", the file has "
              + fileBytes
              + " bytes: the file is "
              + "truncated, upload it again");
    }
    List<Tensor> tensors = parse(new Bounded(start, headerBytes));
    checkLayout(tensors, dataStart, fileBytes);
  }

  private static List<Tensor> parse(InputStream header) throws IOException, Broken {
    try (JsonParser p = Json.open(JSON, header, "the header")) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new Broken(
            "the header holds only white space, a safetensors header is a JSON object");
      }
      if (first != JsonToken.START_OBJECT) {
        throw new Broken(
            "the header is " + Json.kind(p) + ", a safetensors header is a JSON object of tensors");
      }
      List<Tensor> tensors = new ArrayList<>();
      Set<String> names = new HashSet<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (!names.add(name)) {
          throw new Broken(
              METADATA.equals(name)
                  ? METADATA + " appears twice in the header"
                  : "tensor '" + name + "' appears twice in the header");
        }
        p.nextToken();
        if (METADATA.equals(name)) {
          metadata(p);
        } else {
          tensors.add(tensor(name, p));
        }
      }
      if (p.nextToken() != null) {
        throw new Broken(
            "the header goes on after its JSON object, at line "
                + p.currentTokenLocation().getLineNr()
                + ", column "
                + p.currentTokenLocation().getColumnNr()
                + ": only spaces may pad it");
      }
      return tensors;
    } catch (JsonProcessingException e) {
      throw new Broken("the header is not valid JSON: " + Json.describe(e));
    }
  }

  private static void metadata(JsonParser p) throws IOException, Broken {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return;
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new Broken(
          METADATA + " is " + Json.kind(p) + ", the format allows only an object of strings");
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      if (p.nextToken() != JsonToken.VALUE_STRING) {
        throw new Broken(
            METADATA
                + " value '"
                + key
                + "' is "
                + Json.kind(p)
                + ", the format allows only strings");
      }
    }
  }

  private static Tensor tensor(String name, JsonParser p) throws IOException, Broken {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new Broken(
          "tensor '"
              + name
              + "' is "
              + Json.kind(p)
              + ", not an object of dtype, shape and data_offsets");
    }
    String dtype = null;
    long[] shape = null;
    long[] offsets = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      boolean repeated;
      switch (field) {
        case "dtype" -> {
          repeated = dtype != null;
          if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw new Broken(
                "tensor '"
                    + name
                    + "' has dtype "
                    + Json.kind(p)
                    + ", a dtype is a string such as \"BF16\"");
          }
          dtype = p.getText();
        }
        case "shape" -> {
          repeated = shape != null;
          shape = integers(p, name, field);
        }
        case "data_offsets" -> {
          repeated = offsets != null;
          offsets = integers(p, name, field);
        }
        default -> {
          // The reference ignores fields it does not know.
          repeated = false;
          p.skipChildren();
        }
      }
      if (repeated) {
        throw new Broken("tensor '" + name + "' has " + field + " twice");
      }
    }
    if (dtype == null || shape == null || offsets == null) {
      String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
      throw new Broken("tensor '" + name + "' has no " + missing);
    }
    Integer bits = DTYPE_BITS.get(dtype);
    if (bits == null) {
      throw new Broken(
          "tensor '"
              + name
              + "' has dtype \""
              + dtype
              + "\", which safetensors does not define (it "
              + "defines "
              + String.join(", ", DTYPE_BITS.keySet())
              + ")");
    }
    if (offsets.length != 2) {
      throw new Broken(
          "tensor '"
              + name
              + "' has data_offsets "
              + Arrays.toString(offsets)
              + ", the format takes two: "
              + "[begin, end]");
    }
    Tensor tensor = new Tensor(name, dtype, shape, offsets[0], offsets[1]);
    if (tensor.begin() > tensor.end()) {
      throw new Broken(
          "tensor '"
              + name
              + "' has data_offsets "
              + tensor.offsets()
              + ": its begin is after its end");
    }
    long declaredBytes = tensor.end() - tensor.begin();
    long expectedBytes = bytes(tensor, bits);
    if (declaredBytes != expectedBytes) {
      throw new Broken(
          describe(tensor)
              + ", which takes "
              + expectedBytes
              + " bytes, but its data_offsets "
              + tensor.offsets()
              + " hold "
              + declaredBytes);
    }
    return tensor;
  }

  /** An array of integers from 0 to {@code Long.MAX_VALUE}. */
  private static long[] integers(JsonParser p, String tensor, String field)
      throws IOException, Broken {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new Broken(
          "tensor '"
              + tensor
              + "' has "
              + field
              + " "
              + Json.kind(p)
              + ", the format takes an array of "
              + "integers");
    }
    long[] values = new long[4];
    int count = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      boolean integer = p.currentToken() == JsonToken.VALUE_NUMBER_INT;
      if (!integer
          || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          || p.getLongValue() < 0) {
        String why =
            !integer ? "not an integer" : p.getText().startsWith("-") ? "negative" : "too large";
        throw new Broken(
            "tensor '"
                + tensor
                + "' has "
                + field
                + " value "
                + Json.value(p)
                + " at index "
                + count
                + ": "
                + why
                + ", "
                + field
                + " values are integers >= 0");
      }
      if (count == values.length) {
        values = Arrays.copyOf(values, count * 2);
      }
      values[count++] = p.getLongValue();
    }
    return Arrays.copyOf(values, count);
  }

  /** The bytes a tensor takes: element count times the dtype's bits, over 8. */
  private static long bytes(Tensor tensor, int bitsPerElement) throws Broken {
    long bits = 0;
    // A zero dimension empties the tensor whatever the others hold, so it cannot overflow.
    if (Arrays.stream(tensor.shape()).noneMatch(d -> d == 0)) {
      try {
        bits = bitsPerElement;
        for (long dimension : tensor.shape()) {
          bits = Math.multiplyExact(bits, dimension);
        }
      } catch (ArithmeticException e) {
        throw new Broken(describe(tensor) + ", whose size overflows 64 bits: its shape is damaged");
      }
    }
    if (bits % 8 != 0) {
      throw new Broken(
          describe(tensor) + ", which takes " + bits + " bits, not a whole number of bytes");
    }
    return bits / 8;
  }

  private static String describe(Tensor tensor) {
    return "tensor '"
        + tensor.name()
        + "' is "
        + tensor.dtype()
        + " of shape "
        + Arrays.toString(tensor.shape());
  }

  /** Rules 6 to 8: inside the file, contiguous from 0, ending where the file ends. */
  private static void checkLayout(List<Tensor> tensors, long dataStart, long fileBytes)
      throws Broken {
    long dataBytes = fileBytes - dataStart;
    Tensor last = tensors.stream().max(Comparator.comparingLong(Tensor::end)).orElse(null);
    if (last != null && last.end() > dataBytes) {
      throw new Broken(
          "the header declares tensor data up to byte "
              + (dataStart + last.end())
              + " (tensor '"
              + last.name()
              + "' ends there), the file has "
              + fileBytes
              + " bytes: the file is truncated, "
              + (last.end() - dataBytes)
              + " bytes short; upload it again");
    }
    tensors.sort(Comparator.comparingLong(Tensor::begin).thenComparingLong(Tensor::end));
    long covered = 0;
    Tensor previous = null;
    for (Tensor tensor : tensors) {
      if (tensor.begin() < covered) {
        Tensor overlapped =
            Objects.requireNonNull(previous, "covered is 0 before the first tensor");
        throw new Broken(
            "tensor '"
                + tensor.name()
                + "' (data_offsets "
                + tensor.offsets()
                + ") overlaps tensor '"
                + overlapped.name()
                + "' (data_offsets "
                + overlapped.offsets()
                + ")");
      }
      if (tensor.begin() > covered) {
        throw new Broken(
            (previous == null
                    ? "the first tensor, '"
                        + tensor.name()
                        + "' (data_offsets "
                        + tensor.offsets()
                        + "), starts after 0"
                    : "tensor '"
                        + tensor.name()
                        + "' (data_offsets "
                        + tensor.offsets()
                        + ") starts after tensor '"
                        + previous.name()
                        + "' (data_offsets "
                        + previous.offsets()
                        + ") ends")
                + ": data bytes "
                + covered
                + " to "
                + tensor.begin()
                + " belong to no tensor");
      }
      covered = tensor.end();
      previous = tensor;
    }
    if (covered < dataBytes) {
      throw new Broken(
          "the file has "
              + fileBytes
              + " bytes, "
              + (dataBytes - covered)
              + " more than the header "
              + "declares (tensor data ends at byte "
              + (dataStart + covered)
              + "): the bytes after the last tensor "
              + "belong to no tensor");
    }
  }

  private static Map<String, Integer> dtypeBits() {
    Map<String, Integer> bits = new LinkedHashMap<>();
    bits.put("BOOL", 8);
    bits.put("F4", 4);
    bits.put("F6_E2M3", 6);
    bits.put("F6_E3M2", 6);
    bits.put("U8", 8);
    bits.put("I8", 8);
    bits.put("F8_E5M2", 8);
    bits.put("F8_E4M3", 8);
    bits.put("F8_E8M0", 8);
    bits.put("F8_E4M3FNUZ", 8);
    bits.put("F8_E5M2FNUZ", 8);
    bits.put("I16", 16);
    bits.put("U16", 16);
    bits.put("F16", 16);
    bits.put("BF16", 16);
    bits.put("I32", 32);
    bits.put("U32", 32);
    bits.put("F32", 32);
    bits.put("C64", 64);
    bits.put("F64", 64);
    bits.put("I64", 64);
    bits.put("U64", 64);
    return Collections.unmodifiableMap(bits);
  }

  /** The first {@code limitBytes} bytes of a stream, and never a byte more. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long remainingBytes;

    Bounded(InputStream in, long limitBytes) {
      this.in = in;
      this.remainingBytes = limitBytes;
    }

    @Override
    public int read() throws IOException {
      if (remainingBytes == 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException(
            "the file ended " + remainingBytes + " bytes before the end of its header");
      }
      remainingBytes--;
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (remainingBytes == 0) {
        return -1;
      }
      int n = in.read(buffer, offset, (int) Math.min(length, remainingBytes));
      if (n < 0) {
        throw new EOFException(
            "the file ended " + remainingBytes + " bytes before the end of its header");
      }
      remainingBytes -= n;
      return n;
    }
  }
}
