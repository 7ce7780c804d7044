package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class RangeAnswerTest {

  @Test
  void theBytesAskedForPass() {
    assertNull(RangeAnswer.problem(206, "bytes 100-199/1000", 100L, 100, 199, 1000));
    assertNull(RangeAnswer.problem(206, "bytes 100-199/*", null, 100, 199, 1000));
    assertNull(
        RangeAnswer.problem(200, null, 1000L, 0, 999, 1000),
        "the whole object, for a whole-object range");
  }

  @Test
  void aPartialAnswerNamingOtherBytesIsRefused() {
    assertEquals(
        "server answered bytes=100-199 with Content-Range 'bytes 0-99/1000', not bytes 100-199/1000",
        RangeAnswer.problem(206, "bytes 0-99/1000", 100L, 100, 199, 1000));
    assertEquals(
        "server answered bytes=100-199 with Content-Range 'bytes 100-199/2000', not bytes 100-199/1000",
        RangeAnswer.problem(206, "bytes 100-199/2000", 100L, 100, 199, 1000),
        "another object's size");
  }

  @Test
  void aPartialAnswerWithoutAReadableContentRangeIsRefused() {
    assertEquals(
        "server answered bytes=100-199 with HTTP 206 and Content-Range (none), not bytes 100-199/1000",
        RangeAnswer.problem(206, null, 100L, 100, 199, 1000));
    assertEquals(
        "server answered bytes=100-199 with HTTP 206 and Content-Range 'items 1-2/3', not bytes 100-199/1000",
        RangeAnswer.problem(206, "items 1-2/3", 100L, 100, 199, 1000));
  }

  @Test
  void theWholeObjectForAPartOfItIsRefused() {
    assertEquals(
        "server answered bytes=100-199 with the whole object (HTTP 200, 1000 bytes); it does not honour"
            + " Range requests",
        RangeAnswer.problem(200, null, 1000L, 100, 199, 1000));
  }

  @Test
  void aLengthOtherThanTheRangeIsRefused() {
    assertEquals(
        "server answered bytes=100-199 with 99 bytes instead of 100 (a Content-Length that does not match"
            + " the range asked for)",
        RangeAnswer.problem(206, "bytes 100-199/1000", 99L, 100, 199, 1000));
  }

  @Test
  void anotherStatusIsRefused() {
    assertEquals(
        "server answered bytes=0-9 with HTTP 204, neither 200 nor 206",
        RangeAnswer.problem(204, null, null, 0, 9, 10));
  }
}
