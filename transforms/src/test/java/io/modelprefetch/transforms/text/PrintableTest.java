package io.modelprefetch.transforms.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class PrintableTest {

  @Test
  void plainAndNonAsciiTextIsKeptAsIs() {
    String key = "models/llama-2/配置 file+=&@.json";
    assertSame(key, Printable.escape(key));
    assertNull(Printable.escape(null));
  }

  @Test
  void aNewlineCannotForgeALogLine() {
    assertEquals(
        "w.bin\\nmodel-prefetch: 1 model(s), 6 object(s): 6 verified",
        Printable.escape("w.bin\nmodel-prefetch: 1 model(s), 6 object(s): 6 verified"));
  }

  @Test
  void controlsAreShownByCode() {
    assertEquals(
        "a\\tb\\rc\\x00d\\x1be\\x7ff\\x85g",
        Printable.escape("a\tb\rc\u0000d\u001be\u007ff\u0085g"));
  }

  @Test
  void backslashIsEscapedSoEscapesStayUnambiguous() {
    assertEquals("a\\\\nb", Printable.escape("a\\nb"));
  }

  @Test
  void separatorsAndBidiControlsAreShownByCode() {
    assertEquals(
        "a\\u{2028}b\\u{202e}gpj.exe\\u{2069}", Printable.escape("a\u2028b\u202egpj.exe\u2069"));
  }

  @Test
  void oneLineKeepsBackslashesSoEscapedKeysStayAsTheyAre() {
    String escaped = Printable.escape("a\nb");
    assertSame(escaped, Printable.oneLine(escaped));
    assertSame("C:\\models\\x", Printable.oneLine("C:\\models\\x"), "a backslash is kept as it is");
    assertEquals("a\\nb\\x1bc\\u{202e}", Printable.oneLine("a\nb\u001bc\u202e"));
    assertNull(Printable.oneLine(null));
  }
}
