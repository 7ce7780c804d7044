package io.modelprefetch.transforms.structure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Checks a shard index ({@code model.safetensors.index.json}, or any {@code *.index.json} with a
 * {@code weight_map}) against what the store holds of its model.
 *
 * <p>The {@code weight_map} maps tensor names to shard files, named relative to the index's folder.
 * The rules:
 *
 * <ul>
 *   <li>the index is a JSON object, its {@code weight_map} a non-empty object of strings naming
 *       files inside the model;
 *   <li>every shard it names is in the listing. One the filters dropped is a note, not a failure:
 *       the user asked for less than the whole model (say {@code --include '*.json'}), and failing
 *       every index for it would make such runs impossible; the note says the local copy lacks its
 *       tensors;
 *   <li>when the named shards follow one {@code <prefix>-NNNNN-of-MMMMM<ext>} naming (the names
 *       transformers and diffusers write), every file the store holds in that naming, kept or
 *       dropped, is named (else the index lacks that shard's tensors), every number lies in {@code
 *       1..MMMMM}, and every number of {@code 1..MMMMM} is named or held. Files of the naming with
 *       another count are noted, not failed (a leftover of another upload); other files, such as
 *       Mistral's {@code consolidated.safetensors} beside the shards, are not the index's business.
 * </ul>
 *
 * <p>Every broken rule is reported, joined by {@code "; "}, each naming up to {@value #NAMES_SHOWN}
 * files. The {@code metadata.total_size} field is not checked: it counts tensor bytes, which only
 * the shards' headers tell.
 */
public final class ShardIndex {

  /** Files named in one message before "and N more". */
  static final int NAMES_SHOWN = 5;

  private static final Pattern SHARD = Pattern.compile("(.+)-(\\d{1,9})-of-(\\d{1,9})(\\.[^/]+)");

  private static final JsonFactory JSON = Json.factory(Integer.MAX_VALUE);

  private ShardIndex() {}

  /**
   * One shard file name taken apart: {@code <prefix>-<number>-of-<count><ext>}, prefix with its
   * folder.
   */
  private record Naming(
      String path, String prefix, int number, int count, String extension, int width) {
    static @Nullable Naming of(String path) {
      Matcher m = SHARD.matcher(path);
      if (!m.matches()) {
        return null;
      }
      return new Naming(
          path,
          m.group(1),
          Integer.parseInt(m.group(2)),
          Integer.parseInt(m.group(3)),
          m.group(4),
          m.group(2).length());
    }

    boolean sameFamily(Naming other) {
      return prefix.equals(other.prefix) && extension.equals(other.extension);
    }

    /** The path of shard {@code n} in this naming, numbers padded as here. */
    String path(int n) {
      return prefix + "-" + pad(n) + "-of-" + pad(count) + extension;
    }

    private String pad(int n) {
      return String.format("%0" + width + "d", n);
    }
  }

  /**
   * Checks the index at {@code indexPath} (relative to the model's root), whose content {@code
   * index} streams, against {@code listing}. Leaves {@code index} open.
   *
   * @throws IOException when {@code index} cannot be read (not a structural failure)
   */
  public static Structure check(String indexPath, InputStream index, ModelListing listing)
      throws IOException {
    Set<String> named;
    try {
      named = weightMapShards(index);
    } catch (Broken e) {
      return Structure.failed(Structure.SHARD_INDEX, e.getMessage());
    }
    if (named == null) {
      return Structure.ok(
          Structure.SHARD_INDEX, List.of("the index has no weight_map: checked as JSON only"));
    }
    if (named.isEmpty()) {
      return Structure.failed(
          Structure.SHARD_INDEX, "the index's weight_map is empty: it names no shard");
    }
    String folder = indexPath.substring(0, indexPath.lastIndexOf('/') + 1);
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();

    Set<String> shards = new TreeSet<>();
    List<String> outside = new ArrayList<>();
    for (String name : named) {
      String path = resolve(folder, name);
      if (path == null) {
        outside.add(name);
      } else {
        shards.add(path);
      }
    }
    if (!outside.isEmpty()) {
      problems.add(
          "the index names " + count(outside, "shard") + " outside the model: " + names(outside));
    }
    List<String> absent = shards.stream().filter(s -> !listing.holds(s)).toList();
    if (!absent.isEmpty()) {
      problems.add(
          "the index names "
              + count(absent, "shard")
              + " the store does not hold: "
              + names(absent)
              + " (the model's upload is incomplete: upload "
              + (absent.size() == 1 ? "it" : "them")
              + ")");
    }
    List<String> droppedNamed =
        shards.stream()
            .filter(s -> !listing.kept().contains(s) && listing.dropped().contains(s))
            .toList();
    if (!droppedNamed.isEmpty()) {
      notes.add(
          "the filters drop "
              + count(droppedNamed, "shard")
              + " the index names: "
              + names(droppedNamed)
              + " (the local copy lacks "
              + (droppedNamed.size() == 1 ? "its" : "their")
              + " tensors)");
    }
    checkNaming(shards, listing, problems, notes);
    return problems.isEmpty()
        ? Structure.ok(Structure.SHARD_INDEX, notes)
        : Structure.failed(Structure.SHARD_INDEX, String.join("; ", problems), notes);
  }

  /**
   * The naming rules, when every named shard follows one {@code <prefix>-N-of-M<ext>}; a note when
   * some do and others do not, or follow another.
   */
  private static void checkNaming(
      Set<String> shards, ModelListing listing, List<String> problems, List<String> notes) {
    List<Naming> namings = shards.stream().map(Naming::of).toList();
    Naming first = namings.get(0);
    if (namings.stream().allMatch(n -> n == null)) {
      return; // A single-file model's index ("model.safetensors"): no naming to hold shards to.
    }
    boolean oneNaming =
        first != null
            && namings.stream()
                .allMatch(n -> n != null && n.sameFamily(first) && n.count() == first.count());
    if (!oneNaming) {
      notes.add(
          "the index's shard names follow no single <prefix>-NNNNN-of-MMMMM pattern: shards it does not name "
              + "were not looked for");
      return;
    }
    int count = first.count();
    List<String> outOfRange =
        namings.stream()
            .filter(n -> n.number() < 1 || n.number() > count)
            .map(Naming::path)
            .toList();
    if (!outOfRange.isEmpty()) {
      problems.add(
          "the index names "
              + count(outOfRange, "shard")
              + " numbered outside 1 to "
              + count
              + ": "
              + names(outOfRange));
    }

    Set<Integer> present = new TreeSet<>();
    namings.forEach(n -> present.add(n.number()));
    List<String> unnamed = new ArrayList<>();
    List<String> otherCount = new ArrayList<>();
    Set<String> held = new TreeSet<>(listing.kept());
    held.addAll(listing.dropped());
    for (String path : held) {
      Naming n = Naming.of(path);
      if (n == null || !n.sameFamily(first) || shards.contains(path)) {
        continue;
      }
      if (n.count() != count) {
        otherCount.add(path);
      } else {
        unnamed.add(listing.kept().contains(path) ? path : path + " (dropped by the filters)");
        present.add(n.number());
      }
    }
    if (!unnamed.isEmpty()) {
      problems.add(
          "the index does not name "
              + count(unnamed, "shard")
              + " of its naming that the store holds, so "
              + "it lacks "
              + (unnamed.size() == 1 ? "its" : "their")
              + " tensors (upload the index written with these "
              + "shards): "
              + names(unnamed));
    }
    if (!otherCount.isEmpty()) {
      notes.add(
          "the store holds "
              + count(otherCount, "file")
              + " with the index's shard prefix but another count "
              + "than "
              + count
              + ", not checked against this index: "
              + names(otherCount));
    }

    List<String> missing = new ArrayList<>();
    long missingCount = count - present.stream().filter(n -> n >= 1 && n <= count).count();
    for (int n = 1; n <= count && missing.size() < NAMES_SHOWN; n++) {
      if (!present.contains(n)) {
        missing.add(first.path(n));
      }
    }
    if (missingCount > 0) {
      problems.add(
          "the shard names say there are "
              + count
              + " shards, but "
              + missingCount
              + " "
              + (missingCount == 1 ? "is" : "are")
              + " neither named by the index nor held by the store: "
              + String.join(", ", missing)
              + (missingCount > missing.size()
                  ? " and " + (missingCount - missing.size()) + " more"
                  : ""));
    }
  }

  /** The distinct shard names of the weight_map, in their order; null when there is none. */
  private static @Nullable Set<String> weightMapShards(InputStream index)
      throws IOException, Broken {
    try (JsonParser p = Json.open(JSON, index, "the index")) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw new Broken(
            first == null
                ? "the index is empty, a shard index is a JSON object"
                : "the index is " + Json.kind(p) + ", a shard index is a JSON object");
      }
      Set<String> shards = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (!"weight_map".equals(field)) {
          p.skipChildren();
          continue;
        }
        if (p.currentToken() != JsonToken.START_OBJECT) {
          throw new Broken(
              "the index's weight_map is "
                  + Json.kind(p)
                  + ", it must be an object of tensor names to "
                  + "shard files");
        }
        shards = new LinkedHashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String tensor = p.currentName();
          if (p.nextToken() != JsonToken.VALUE_STRING) {
            throw new Broken(
                "the index's weight_map maps tensor '"
                    + tensor
                    + "' to "
                    + Json.kind(p)
                    + ", it must name a shard file");
          }
          shards.add(p.getText());
        }
      }
      if (p.nextToken() != null) {
        throw new Broken(
            "the index goes on after its JSON object, at line "
                + p.currentTokenLocation().getLineNr()
                + ", column "
                + p.currentTokenLocation().getColumnNr());
      }
      return shards;
    } catch (JsonProcessingException e) {
      throw new Broken("the index is not valid JSON: " + Json.describe(e));
    }
  }

  /**
   * {@code name} relative to {@code folder} ({@code ""} or ending in {@code /}); null when outside
   * the model.
   */
  static @Nullable String resolve(String folder, String name) {
    if (name.startsWith("/")) {
      return null;
    }
    Deque<String> segments = new ArrayDeque<>();
    for (String segment : (folder + name).split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (segments.pollLast() == null) {
          return null;
        }
      } else {
        segments.addLast(segment);
      }
    }
    return segments.isEmpty() ? null : String.join("/", segments);
  }

  private static String count(List<String> items, String noun) {
    return items.size() == 1 ? "a " + noun : items.size() + " " + noun + "s";
  }

  private static String names(List<String> items) {
    List<String> shown = items.subList(0, Math.min(items.size(), NAMES_SHOWN));
    int more = items.size() - shown.size();
    return String.join(", ", shown) + (more > 0 ? " and " + more + " more" : "");
  }
}
