package io.modelprefetch.transforms.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.transforms.structure.SafetensorsFiles.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors header rules, on generated files, and the exact line each broken rule gives. */
class SafetensorsHeaderTest {

  @TempDir Path dir;

  private static final List<Tensor> MIXED =
      List.of(
          new Tensor("model.embed_tokens.weight", "BF16", 4, 8),
          new Tensor("model.norm.weight", "F32", 3),
          new Tensor("model.layers.0.mlp.experts.blocks", "F4", 2, 3),
          new Tensor("model.layers.0.mlp.experts.scales", "F8_E8M0", 2),
          new Tensor("model.layers.0.mlp.up.weight", "F6_E2M3", 4),
          new Tensor("model.layers.0.self_attn.k_proj.weight", "F8_E4M3", 16),
          new Tensor("rotary.inv_freq", "C64", 2),
          new Tensor("step", "I64"),
          new Tensor("mask", "BOOL", 5));

  private Structure check(Path file) throws IOException {
    return SafetensorsHeader.check(file);
  }

  /**
   * A file whose header is {@code header} (its true length) followed by a hole of {@code
   * dataBytes}.
   */
  private Path raw(String header, long dataBytes) throws IOException {
    return SafetensorsFiles.writeRaw(dir.resolve("model.safetensors"), header, dataBytes, true);
  }

  private static String failure(Structure structure) {
    assertEquals(
        Structure.Status.FAILED, structure.status(), () -> "expected a failure, got " + structure);
    assertEquals(Structure.SAFETENSORS, structure.check());
    return structure.failure();
  }

  private static long headerBytes(String header) {
    return header.getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  void fileOfSeveralDtypesIncludingBf16AndSubByteTypesIsOk() throws IOException {
    Path file =
        SafetensorsFiles.write(dir.resolve("model.safetensors"), Map.of("format", "pt"), MIXED);

    assertEquals(Structure.ok("safetensors", List.of()), check(file));
  }

  @Test
  void headerPaddedWithManySpacesIsOk() throws IOException {
    String header =
        "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}" + " ".repeat(4000);

    assertEquals(Structure.Status.OK, check(raw(header, 8)).status());
  }

  @Test
  void emptyTensorsWithAZeroDimensionTakeNoBytesAndAreOk() throws IOException {
    List<Tensor> tensors =
        List.of(
            new Tensor("a", "F32", 2),
            new Tensor("empty", "BF16", 0, 4096),
            new Tensor("huge.but.empty", "F64", 4294967296L, 4294967296L, 0),
            new Tensor("b", "F32", 2));

    assertEquals(
        Structure.Status.OK,
        check(SafetensorsFiles.write(dir.resolve("m.safetensors"), tensors)).status());
  }

  @Test
  void headerOfNoTensorsWithNoDataIsOk() throws IOException {
    assertEquals(Structure.Status.OK, check(raw("{}", 0)).status());
    assertEquals(
        Structure.Status.OK, check(raw("{\"__metadata__\":{\"format\":\"pt\"}}", 0)).status());
  }

  @Test
  void truncatedFileNamesTheDeclaredEndAndTheShortfall() throws IOException {
    Path file = SafetensorsFiles.write(dir.resolve("model.safetensors"), MIXED);
    long fullBytes = Files.size(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(fullBytes - 3);
    }

    assertEquals(
        "the header declares tensor data up to byte "
            + fullBytes
            + " (tensor 'mask' ends there), the file "
            + "has "
            + (fullBytes - 3)
            + " bytes: the file is truncated, 3 bytes short; upload it again",
        failure(check(file)));
  }

  @Test
  void fileThatEndsInsideItsHeaderIsTruncated() throws IOException {
    String header = SafetensorsFiles.header(Map.of(), MIXED);
    Path file =
        SafetensorsFiles.writeRaw(
            dir.resolve("m.safetensors"),
            headerBytes(header),
            header.substring(0, 100).getBytes(StandardCharsets.UTF_8),
            0,
            false);

    assertEquals(
        "the header ends at byte "
            + (8 + headerBytes(header))
            + ", the file has 108 bytes: the file is "
            + "truncated, upload it again",
        failure(check(file)));
  }

  @Test
  void fileShorterThanTheHeaderLengthIsNotSafetensors() throws IOException {
    Path file = Files.write(dir.resolve("m.safetensors"), new byte[] {2, 0, 0, 0, 0});

    assertEquals(
        "the file has 5 bytes, fewer than the 8-byte header length a safetensors file starts with",
        failure(check(file)));
  }

  @Test
  void absurdHeaderLengthsAreRefusedAboveTheReferenceLimit() throws IOException {
    byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
    Path max = SafetensorsFiles.writeRaw(dir.resolve("a.safetensors"), -1L, header, 0, false);
    Path justAbove =
        SafetensorsFiles.writeRaw(dir.resolve("b.safetensors"), 100_000_001L, header, 0, false);
    Path atLimit =
        SafetensorsFiles.writeRaw(dir.resolve("c.safetensors"), 100_000_000L, header, 0, false);

    assertEquals(
        "the header length is 18446744073709551615 bytes, above the 100000000 bytes safetensors loaders "
            + "accept: the first 8 bytes are not a safetensors header length (not a safetensors file, or a damaged one)",
        failure(check(max)));
    assertEquals(
        "the header length is 100000001 bytes, above the 100000000 bytes safetensors loaders "
            + "accept: the first 8 bytes are not a safetensors header length (not a safetensors file, or a damaged one)",
        failure(check(justAbove)));
    assertEquals(
        "the header ends at byte 100000008, the file has 10 bytes: the file is truncated, upload it again",
        failure(check(atLimit)));
  }

  @Test
  void headerLengthBelowTwoBytesCannotHoldAnObject() throws IOException {
    Path zero = SafetensorsFiles.writeRaw(dir.resolve("a.safetensors"), 0, new byte[0], 0, false);
    Path one =
        SafetensorsFiles.writeRaw(
            dir.resolve("b.safetensors"), 1, "{".getBytes(StandardCharsets.UTF_8), 0, false);

    assertEquals(
        "the header length is 0, fewer than the 2 bytes of the smallest header ({}): not a "
            + "safetensors file, or a damaged one",
        failure(check(zero)));
    assertEquals(
        "the header length is 1, fewer than the 2 bytes of the smallest header ({}): not a "
            + "safetensors file, or a damaged one",
        failure(check(one)));
  }

  @Test
  void overlappingOffsetsNameBothTensors() throws IOException {
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";

    assertEquals(
        "tensor 'b' (data_offsets [8, 16]) overlaps tensor 'a' (data_offsets [0, 16])",
        failure(check(raw(header, 16))));
  }

  @Test
  void gapBetweenTensorsNamesTheUncoveredBytes() throws IOException {
    String gap =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
    String late = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";

    assertEquals(
        "tensor 'b' (data_offsets [12, 20]) starts after tensor 'a' (data_offsets [0, 8]) ends: data bytes "
            + "8 to 12 belong to no tensor",
        failure(check(raw(gap, 20))));
    assertEquals(
        "the first tensor, 'a' (data_offsets [4, 12]), starts after 0: data bytes 0 to 4 belong to no "
            + "tensor",
        failure(check(raw(late, 12))));
  }

  @Test
  void trailingBytesAfterTheLastTensorBelongToNoTensor() throws IOException {
    String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    long dataStart = 8 + headerBytes(header);

    assertEquals(
        "the file has "
            + (dataStart + 10)
            + " bytes, 2 more than the header declares (tensor data ends "
            + "at byte "
            + (dataStart + 8)
            + "): the bytes after the last tensor belong to no tensor",
        failure(check(raw(header, 10))));
  }

  @Test
  void sizeThatDisagreesWithDtypeAndShapeNamesBoth() throws IOException {
    String header =
        "{\"q\":{\"dtype\":\"BF16\",\"shape\":[4096,4096],\"data_offsets\":[0,16777216]}}";

    assertEquals(
        "tensor 'q' is BF16 of shape [4096, 4096], which takes 33554432 bytes, but its data_offsets "
            + "[0, 16777216] hold 16777216",
        failure(check(raw(header, 16777216))));
  }

  @Test
  void subByteTensorMustFillWholeBytes() throws IOException {
    String f4 = "{\"blocks\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}";
    String f6 = "{\"up\":{\"dtype\":\"F6_E3M2\",\"shape\":[2,2],\"data_offsets\":[0,3]}}";

    assertEquals(
        "tensor 'blocks' is F4 of shape [3], which takes 12 bits, not a whole number of bytes",
        failure(check(raw(f4, 2))));
    assertEquals(Structure.Status.OK, check(raw(f6, 3)).status());
  }

  @Test
  void shapeWhoseSizeOverflowsIsDamaged() throws IOException {
    String header =
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}";

    assertEquals(
        "tensor 'x' is F32 of shape [4294967296, 4294967296], whose size overflows 64 bits: its shape is "
            + "damaged",
        failure(check(raw(header, 8))));
  }

  @Test
  void headerThatIsNotJsonGivesTheParserReasonAndPlace() throws IOException {
    assertEquals(
        "the header is not valid JSON: Unexpected character ('}' (code 125)): expected a value at line 1, "
            + "column 7",
        failure(check(raw("{\"a\": }", 0))));
    assertEquals(
        "the header is not valid JSON: Unexpected end-of-input: expected close marker for Object (start "
            + "marker at line 1, column 6) at line 1, column 20",
        failure(check(raw("{\"a\":{\"dtype\":\"F16\"", 0))));
    assertEquals(
        "the header is not valid JSON: Illegal character ((CTRL-CHAR, code 0)): only regular white space "
            + "(\\r, \\n, \\t) is allowed between tokens at line 1, column 8",
        failure(check(raw("{}    \0\0", 0))));
    assertEquals(
        "the header holds a zero byte in its first bytes (7B 00 7D 20): it is not UTF-8 JSON (UTF-16 or "
            + "UTF-32?), write it as UTF-8",
        failure(check(raw("{\0} ", 0))));
  }

  @Test
  void headerThatIsJsonButNotAnObjectIsRefused() throws IOException {
    assertEquals(
        "the header is an array, a safetensors header is a JSON object of tensors",
        failure(check(raw("[1, 2]", 0))));
    assertEquals(
        "the header is a string \"weights\", a safetensors header is a JSON object of tensors",
        failure(check(raw("\"weights\"", 0))));
    assertEquals(
        "the header holds only white space, a safetensors header is a JSON object",
        failure(check(raw("        ", 0))));
    assertEquals(
        "tensor 'a' is a number 1, not an object of dtype, shape and data_offsets",
        failure(check(raw("{\"a\": 1}", 0))));
  }

  @Test
  void headerMayHoldOneObjectOnly() throws IOException {
    assertEquals(
        "the header goes on after its JSON object, at line 1, column 4: only spaces may pad it",
        failure(check(raw("{} {}", 0))));
  }

  @Test
  void headerWithAByteOrderMarkIsRefused() throws IOException {
    byte[] header = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};

    assertEquals(
        "the header starts with a byte order mark (EF BB BF 7B), which the JSON readers of model loaders "
            + "refuse: write it as UTF-8 without a byte order mark",
        failure(
            check(SafetensorsFiles.writeRaw(dir.resolve("m.safetensors"), 5, header, 0, false))));
  }

  @Test
  void unknownDtypeListsTheKnownOnes() throws IOException {
    String header = "{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}";

    assertEquals(
        "tensor 'w' has dtype \"F128\", which safetensors does not define (it defines BOOL, F4, F6_E2M3, "
            + "F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, I16, U16, F16, BF16, I32, U32, F32, "
            + "C64, F64, I64, U64)",
        failure(check(raw(header, 16))));
  }

  @Test
  void offsetsMustBeTwoIntegersFromZeroInOrder() throws IOException {
    assertEquals(
        "tensor 'w' has data_offsets value -4 at index 0: negative, data_offsets values are integers >= 0",
        failure(check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[-4,0]}}", 0))));
    assertEquals(
        "tensor 'w' has data_offsets value 4.0 at index 1: not an integer, data_offsets values are "
            + "integers >= 0",
        failure(
            check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4.0]}}", 4))));
    assertEquals(
        "tensor 'w' has data_offsets value \"4\" at index 1: not an integer, data_offsets values are "
            + "integers >= 0",
        failure(
            check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,\"4\"]}}", 4))));
    assertEquals(
        "tensor 'w' has data_offsets value 18446744073709551616 at index 1: too large, data_offsets values "
            + "are integers >= 0",
        failure(
            check(
                raw(
                    "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,18446744073709551616]}}",
                    4))));
    assertEquals(
        "tensor 'w' has data_offsets [0, 2, 4], the format takes two: [begin, end]",
        failure(
            check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,2,4]}}", 4))));
    assertEquals(
        "tensor 'w' has data_offsets [4, 0]: its begin is after its end",
        failure(check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,0]}}", 4))));
    assertEquals(
        "tensor 'w' has data_offsets an object, the format takes an array of integers",
        failure(check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":{}}}", 4))));
  }

  @Test
  void everyTensorNeedsDtypeShapeAndOffsetsOnce() throws IOException {
    assertEquals(
        "tensor 'w' has no data_offsets",
        failure(check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4]}}", 4))));
    assertEquals(
        "tensor 'w' has no dtype",
        failure(check(raw("{\"w\":{\"shape\":[4],\"data_offsets\":[0,4]}}", 4))));
    assertEquals(
        "tensor 'w' has shape value -1 at index 1: negative, shape values are integers >= 0",
        failure(
            check(raw("{\"w\":{\"dtype\":\"U8\",\"shape\":[4,-1],\"data_offsets\":[0,4]}}", 4))));
    assertEquals(
        "tensor 'w' has dtype a number 16, a dtype is a string such as \"BF16\"",
        failure(check(raw("{\"w\":{\"dtype\":16,\"shape\":[4],\"data_offsets\":[0,4]}}", 4))));
    assertEquals(
        "tensor 'w' has dtype twice",
        failure(
            check(
                raw(
                    "{\"w\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
                    4))));
    assertEquals(
        "tensor 'w' appears twice in the header",
        failure(
            check(
                raw(
                    "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"U8\",\"shape\":[4],"
                        + "\"data_offsets\":[0,4]}}",
                    4))));
  }

  @Test
  void fieldsTheFormatDoesNotKnowAreIgnoredAsTheReferenceDoes() throws IOException {
    String header =
        "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4],\"quant\":{\"bits\":[4]}}}";

    assertEquals(Structure.Status.OK, check(raw(header, 4)).status());
  }

  @Test
  void metadataHoldsStringsOnly() throws IOException {
    assertEquals(
        "__metadata__ value 'step' is a number 3, the format allows only strings",
        failure(check(raw("{\"__metadata__\":{\"format\":\"pt\",\"step\":3}}", 0))));
    assertEquals(
        "__metadata__ is an array, the format allows only an object of strings",
        failure(check(raw("{\"__metadata__\":[\"pt\"]}", 0))));
  }

  @Test
  void checkReadsTheLengthAndHeaderAndNotOneByteOfData() throws IOException {
    String header = SafetensorsFiles.header(Map.of(), MIXED);
    byte[] start = new byte[8 + (int) headerBytes(header)];
    Path file = SafetensorsFiles.write(dir.resolve("m.safetensors"), MIXED);
    try (InputStream in = Files.newInputStream(file)) {
      in.readNBytes(start, 0, start.length);
    }
    AtomicLong dataRead = new AtomicLong();
    InputStream data =
        new InputStream() {
          @Override
          public int read() {
            dataRead.incrementAndGet();
            throw new UncheckedIOException(new IOException("the check read tensor data"));
          }
        };

    Structure structure =
        SafetensorsHeader.check(
            new SequenceInputStream(new ByteArrayInputStream(start), data), Files.size(file));

    assertEquals(Structure.Status.OK, structure.status());
    assertEquals(0, dataRead.get());
  }
}
