package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class EtagsTest {

  private static final String MD5 = "d41d8cd98f00b204e9800998ecf8427e";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"D41D8CD98F00B204E9800998ECF8427E\"|d41d8cd98f00b204e9800998ecf8427e",
        "d41d8cd98f00b204e9800998ecf8427e|d41d8cd98f00b204e9800998ecf8427e",
        "'  \"abcDEF-3\"  '|abcdef-3",
        "\"\"|''",
        "\"|\"",
        "W/\"ABC\"|w/\"abc\"",
      })
  void normalizeStripsOneQuotePairAndLowerCases(String etag, String normalized) {
    assertEquals(normalized, Etags.normalize(etag));
  }

  @Test
  void normalizeOfNullIsEmpty() {
    assertEquals("", Etags.normalize(null));
  }

  @ParameterizedTest
  @ValueSource(strings = {MD5, "\"" + MD5 + "\"", "\"D41D8CD98F00B204E9800998ECF8427E\""})
  void singlePutEtagIsPlainMd5(String etag) {
    assertTrue(Etags.isPlainMd5(etag));
    assertFalse(Etags.isMultipart(etag));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {MD5 + "-1", "\"" + MD5 + "-12\"", "\"D41D8CD98F00B204E9800998ECF8427E-10000\""})
  void etagWithPartCountIsMultipart(String etag) {
    assertTrue(Etags.isMultipart(etag));
    assertFalse(Etags.isPlainMd5(etag));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "d41d8cd98f00b204e9800998ecf8427",
        "d41d8cd98f00b204e9800998ecf8427e0",
        "g41d8cd98f00b204e9800998ecf8427e",
        MD5 + "-",
        MD5 + "-x",
        "-3",
        "W/\"" + MD5 + "\"",
      })
  void otherEtagsAreNeitherPlainMd5NorMultipart(String etag) {
    assertFalse(Etags.isPlainMd5(etag));
    assertFalse(Etags.isMultipart(etag));
  }
}
