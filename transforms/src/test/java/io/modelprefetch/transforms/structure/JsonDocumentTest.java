package io.modelprefetch.transforms.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON configuration files: one UTF-8 object, or a failure with the parser's reason and place. */
class JsonDocumentTest {

  @TempDir Path dir;

  private static Structure check(byte[] bytes) throws IOException {
    return JsonDocument.check(new ByteArrayInputStream(bytes));
  }

  private static Structure check(String text) throws IOException {
    return check(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void configObjectIsOk() throws IOException {
    String config =
        "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"hidden_size\": 4096,\n"
            + "  \"rope_scaling\": null,\n  \"name\": \"caf\u00e9\"\n}\n";

    assertEquals(Structure.ok("json", List.of()), check(config));
  }

  @Test
  void malformedConfigNamesLineAndColumn() throws IOException {
    String config = "{\n  \"hidden_size\": 4096,\n  \"num_layers\": 32,\n}\n";

    assertEquals(
        Structure.failed(
            "json",
            "the file is not valid JSON: Unexpected character ('}' (code 125)): was "
                + "expecting double-quote to start field name at line 4, column 1"),
        check(config));
  }

  @Test
  void configCutShortNamesWhereItEnds() throws IOException {
    assertEquals(
        "the file is not valid JSON: Unexpected end-of-input: expected close marker for Object (start marker "
            + "at line 1, column 1) at line 2, column 20",
        check("{\n  \"hidden_size\": 40").failure());
  }

  @Test
  void documentThatIsNotAnObjectFails() throws IOException {
    assertEquals(
        "the file holds an array, a JSON object was expected", check("[{\"a\": 1}]").failure());
    assertEquals("the file holds null, a JSON object was expected", check("null").failure());
    assertEquals("the file is empty, a JSON object was expected", check(" \n").failure());
    assertEquals(
        "the file goes on after its JSON object, at line 2, column 1", check("{}\n{}").failure());
  }

  @Test
  void byteOrderMarkAndInvalidUtf8Fail() throws IOException {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
    byte[] utf16 = "{}".getBytes(StandardCharsets.UTF_16LE);
    byte[] badUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, '(', '"', '}'};

    assertEquals(
        "the file starts with a byte order mark (EF BB BF 7B), which the JSON readers of model loaders "
            + "refuse: write it as UTF-8 without a byte order mark",
        check(bom).failure());
    assertEquals(
        "the file holds a zero byte in its first bytes (7B 00 7D 00): it is not UTF-8 JSON (UTF-16 or "
            + "UTF-32?), write it as UTF-8",
        check(utf16).failure());
    assertEquals(
        "the file is not valid JSON: Invalid UTF-8 middle byte 0x28 at line 1, column 9",
        check(badUtf8).failure());
  }

  @Test
  void largeTokenizerIsStreamedToTheEnd() throws IOException {
    Path tokenizer = dir.resolve("tokenizer.json");
    try (BufferedWriter out = Files.newBufferedWriter(tokenizer)) {
      out.write("{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", \"vocab\": {");
      for (int i = 0; i < 800_000; i++) {
        out.write((i == 0 ? "" : ",") + "\"\u0120tok" + i + "\": " + i);
      }
      out.write("}, \"merges\": [\"a b\"]}}");
    }
    Path broken = dir.resolve("broken.json");
    byte[] bytes = Files.readAllBytes(tokenizer);
    Files.write(broken, Arrays.copyOf(bytes, bytes.length - 1));

    try (InputStream in = Files.newInputStream(tokenizer)) {
      assertEquals(Structure.ok("json", List.of()), JsonDocument.check(in));
    }
    // Columns count bytes, not characters (each 'Ġ' is 2), and the end of input is one past the
    // last.
    long endColumn = bytes.length;
    try (InputStream in = Files.newInputStream(broken)) {
      assertEquals(
          "the file is not valid JSON: Unexpected end-of-input: expected close marker for Object (start "
              + "marker at line 1, column 1) at line 1, column "
              + endColumn,
          JsonDocument.check(in).failure());
    }
  }
}
