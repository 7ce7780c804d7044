package io.modelprefetch.transforms.structure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Checks that a file is one JSON object, as a model's {@code config.json} or {@code tokenizer.json}
 * must be: UTF-8 without a byte order mark (transformers reads them as UTF-8 and Python's {@code
 * json} refuses a mark), one object, nothing after it but white space. The file is streamed token
 * by token, so a 20 MB {@code tokenizer.json} costs the parser's buffers, not a tree of its
 * content. A failure gives Jackson's reason with the line and column where the parse stopped;
 * columns count bytes from the line's start (1-based), which is characters for ASCII text.
 */
public final class JsonDocument {

  // Strings are bounded by the file itself; Python's json has no limit of its own to match.
  private static final JsonFactory JSON = Json.factory(Integer.MAX_VALUE);

  private JsonDocument() {}

  /**
   * Checks the document {@code in} streams. Leaves {@code in} open.
   *
   * @throws IOException when {@code in} cannot be read (not a structural failure)
   */
  public static Structure check(InputStream in) throws IOException {
    try (JsonParser p = Json.open(JSON, in, "the file")) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        return Structure.failed(
            Structure.JSON,
            first == null
                ? "the file is empty, a JSON object was expected"
                : "the file holds " + Json.kind(p) + ", a JSON object was expected");
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        return Structure.failed(
            Structure.JSON,
            "the file goes on after its JSON object, at line "
                + p.currentTokenLocation().getLineNr()
                + ", column "
                + p.currentTokenLocation().getColumnNr());
      }
      return Structure.ok(Structure.JSON, List.of());
    } catch (JsonProcessingException e) {
      return Structure.failed(Structure.JSON, "the file is not valid JSON: " + Json.describe(e));
    } catch (Broken e) {
      return Structure.failed(Structure.JSON, e.getMessage());
    }
  }
}
