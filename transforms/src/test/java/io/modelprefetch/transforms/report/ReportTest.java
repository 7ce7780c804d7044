package io.modelprefetch.transforms.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.FileResult.Status;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.structure.Structure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  private static final Instant START = Instant.parse("2025-01-02T03:04:05Z");
  private static final Instant FINISH = Instant.parse("2025-01-02T03:04:07Z");

  private static final ModelKey LLAMA = new ModelKey("llama", "tos://b/llama/", "/models/llama");
  private static final ModelKey QWEN = new ModelKey("qwen", "s3://b/qwen/", "/models/qwen");

  private static FileResult file(
      ModelKey model, String path, long size, Status status, long fetched) {
    return new FileResult(
        model,
        model.uri() + path,
        path,
        size,
        "\"e-" + path + "\"",
        status == Status.VERIFIED ? "md5" : null,
        status == Status.VERIFIED ? List.of("size", "md5") : List.of(),
        status,
        fetched,
        0,
        status == Status.FAILED ? "boom" : null);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> totals(Map<String, Object> report) {
    return (Map<String, Object>) report.get("totals");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Map<String, Object> report, String key) {
    return (List<Map<String, Object>>) report.get(key);
  }

  @Test
  void allVerifiedOrPresentGivesOkWithTotals() {
    List<FileResult> results =
        List.of(
            file(LLAMA, "model.safetensors", 1000, Status.VERIFIED, 1000),
            file(LLAMA, "config.json", 10, Status.PRESENT, 0),
            file(QWEN, "a.bin", 500, Status.VERIFIED, 600));
    Map<String, Object> report =
        Report.build(results, List.of(LLAMA, QWEN), START, FINISH, List.of("note"));

    assertEquals("ok", report.get("status"));
    assertEquals("2025-01-02T03:04:05Z", report.get("startedAt"));
    assertEquals("2025-01-02T03:04:07Z", report.get("finishedAt"));
    assertEquals(List.of("note"), report.get("endpoints"));

    Map<String, Object> expectedTotals = new LinkedHashMap<>();
    expectedTotals.put("models", 2);
    expectedTotals.put("objects", 3L);
    expectedTotals.put("verified", 2L);
    expectedTotals.put("present", 1L);
    expectedTotals.put("failed", 0L);
    expectedTotals.put("bytes", 1510L);
    expectedTotals.put("bytesFetched", 1600L);
    expectedTotals.put("seconds", 2.0);
    expectedTotals.put("throughputBytesPerSecond", 800L);
    expectedTotals.put("evidence", Map.of("md5", Map.of("objects", 2L, "bytes", 1500L)));
    expectedTotals.put("sizeOnlyObjects", 0L);
    expectedTotals.put("sizeOnlyBytes", 0L);
    expectedTotals.put("structure", Map.of("ok", 0L, "failed", 0L, "notApplicable", 3L));
    assertEquals(expectedTotals, totals(report));
    assertEquals(List.copyOf(expectedTotals.keySet()), List.copyOf(totals(report).keySet()));
  }

  @Test
  void topLevelKeysAreInFixedOrder() throws IOException {
    Map<String, Object> report =
        Report.build(
            List.of(file(LLAMA, "x", 1, Status.VERIFIED, 1)),
            List.of(LLAMA),
            START,
            FINISH,
            List.of());
    List<String> order =
        List.of("status", "startedAt", "finishedAt", "totals", "endpoints", "models", "objects");
    assertEquals(order, List.copyOf(report.keySet()));

    List<String> jsonOrder = new ArrayList<>();
    Iterator<String> names = new ObjectMapper().readTree(Report.toJson(report)).fieldNames();
    names.forEachRemaining(jsonOrder::add);
    assertEquals(order, jsonOrder);
  }

  @Test
  void modelEntryHasCountsInFixedOrder() {
    List<FileResult> results =
        List.of(
            file(LLAMA, "b.json", 20, Status.PRESENT, 0),
            file(LLAMA, "a.safetensors", 100, Status.VERIFIED, 100),
            file(LLAMA, "c.bin", 7, Status.FAILED, 3));
    Map<String, Object> model =
        list(Report.build(results, List.of(LLAMA), START, FINISH, List.of()), "models").get(0);

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("name", "llama");
    expected.put("uri", "tos://b/llama/");
    expected.put("localPath", "/models/llama");
    expected.put("status", "failed");
    expected.put("objects", 3L);
    expected.put("verified", 1L);
    expected.put("present", 1L);
    expected.put("failed", 1L);
    expected.put("bytes", 127L);
    expected.put("error", null);
    assertEquals(expected, model);
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(model.keySet()));
  }

  @Test
  void oneFailedFileFailsItsModelAndTheRunButNotOtherModels() {
    List<FileResult> results =
        List.of(
            file(LLAMA, "a", 1, Status.VERIFIED, 1),
            file(QWEN, "b", 2, Status.VERIFIED, 2),
            file(QWEN, "c", 3, Status.FAILED, 0));
    Map<String, Object> report =
        Report.build(results, List.of(LLAMA, QWEN), START, FINISH, List.of());
    assertEquals("failed", report.get("status"));
    List<Map<String, Object>> models = list(report, "models");
    assertEquals("ok", models.get(0).get("status"));
    assertEquals("failed", models.get(1).get("status"));
    assertEquals(1L, totals(report).get("failed"));
    assertEquals(2L, totals(report).get("verified"));
  }

  @Test
  void modelLevelFailureFailsModelAndIsNotCountedAsObject() {
    List<FileResult> results =
        List.of(
            file(LLAMA, "a", 1, Status.VERIFIED, 1),
            FileResult.modelFailure(QWEN, "listing of s3://b/qwen/ found no object"));
    Map<String, Object> report =
        Report.build(results, List.of(LLAMA, QWEN), START, FINISH, List.of());

    assertEquals("failed", report.get("status"));
    Map<String, Object> qwen = list(report, "models").get(1);
    assertEquals("failed", qwen.get("status"));
    assertEquals("listing of s3://b/qwen/ found no object", qwen.get("error"));
    assertEquals(0L, qwen.get("objects"));
    assertEquals(0L, qwen.get("failed"));
    assertEquals(1L, totals(report).get("objects"));
    assertEquals(0L, totals(report).get("failed"));
    assertEquals(1, list(report, "objects").size());
    assertEquals("llama", list(report, "objects").get(0).get("model"));
  }

  @Test
  void modelLevelFailureFailsModelEvenWithVerifiedFiles() {
    List<FileResult> results =
        List.of(
            file(LLAMA, "a", 1, Status.VERIFIED, 1),
            FileResult.modelFailure(LLAMA, "listing broke"));
    Map<String, Object> report = Report.build(results, List.of(LLAMA), START, FINISH, List.of());
    Map<String, Object> llama = list(report, "models").get(0);
    assertEquals("failed", llama.get("status"));
    assertEquals("listing broke", llama.get("error"));
    assertEquals(1L, llama.get("verified"));
    assertEquals("failed", report.get("status"));
  }

  @Test
  void modelWithNoResultFails() {
    Map<String, Object> report = Report.build(List.of(), List.of(LLAMA), START, FINISH, List.of());
    assertEquals("failed", report.get("status"));
    assertEquals("failed", list(report, "models").get(0).get("status"));
    assertEquals(0L, totals(report).get("objects"));
  }

  @Test
  void objectsAreSortedByModelDirThenPathWithFixedFields() {
    FileResult failed =
        new FileResult(
            QWEN,
            "s3://b/qwen/z",
            "z",
            9,
            "\"abc\"",
            null,
            List.of(),
            Status.FAILED,
            4,
            2,
            "refused: why");
    List<FileResult> results =
        List.of(
            failed,
            file(LLAMA, "tokenizer/vocab.json", 5, Status.VERIFIED, 5),
            file(LLAMA, "config.json", 1, Status.PRESENT, 0));
    List<Map<String, Object>> objects =
        list(Report.build(results, List.of(QWEN, LLAMA), START, FINISH, List.of()), "objects");

    assertEquals(
        List.of("config.json", "tokenizer/vocab.json", "z"),
        objects.stream().map(o -> o.get("relativePath")).toList());
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("model", "qwen");
    expected.put("uri", "s3://b/qwen/z");
    expected.put("relativePath", "z");
    expected.put("size", 9L);
    expected.put("etag", "\"abc\"");
    expected.put("verifiedBy", null);
    expected.put("checks", List.of());
    expected.put("structure", "not-applicable");
    expected.put("structureNotes", List.of());
    expected.put("status", "failed");
    expected.put("bytesFetched", 4L);
    expected.put("retries", 2);
    expected.put("error", "refused: why");
    assertEquals(expected, objects.get(2));
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(objects.get(2).keySet()));
  }

  @Test
  void eachObjectSaysItsStructureWithItsNotesAndTheTotalsCountThemInFixedOrder() {
    FileResult index =
        file(LLAMA, "model.safetensors.index.json", 30, Status.VERIFIED, 30)
            .withStructure(
                Structure.Status.OK,
                List.of("the filters drop a shard the index names: b.safetensors"));
    FileResult shard =
        file(LLAMA, "a.safetensors", 100, Status.VERIFIED, 100)
            .withStructure(Structure.Status.OK, null);
    FileResult malformed =
        file(LLAMA, "b.safetensors", 100, Status.FAILED, 100)
            .withStructure(Structure.Status.FAILED, List.of());
    FileResult other = file(LLAMA, "tokenizer.model", 7, Status.VERIFIED, 7);
    FileResult present = file(LLAMA, "config.json", 7, Status.PRESENT, 0);
    Map<String, Object> report =
        Report.build(
            List.of(index, shard, malformed, other, present),
            List.of(LLAMA),
            START,
            FINISH,
            List.of());

    Map<String, Object> byPath = new LinkedHashMap<>();
    Map<String, Object> notesByPath = new LinkedHashMap<>();
    for (Map<String, Object> o : list(report, "objects")) {
      byPath.put((String) o.get("relativePath"), o.get("structure"));
      notesByPath.put((String) o.get("relativePath"), o.get("structureNotes"));
    }
    assertEquals(
        Map.of(
            "model.safetensors.index.json",
            "ok",
            "a.safetensors",
            "ok",
            "b.safetensors",
            "failed",
            "tokenizer.model",
            "not-applicable",
            "config.json",
            "not-applicable"),
        byPath);
    assertEquals(
        List.of("the filters drop a shard the index names: b.safetensors"),
        notesByPath.get("model.safetensors.index.json"));
    assertEquals(List.of(), notesByPath.get("a.safetensors"));
    @SuppressWarnings("unchecked")
    Map<String, Object> structure = (Map<String, Object>) totals(report).get("structure");
    assertEquals(List.of("ok", "failed", "notApplicable"), List.copyOf(structure.keySet()));
    assertEquals(List.of(2L, 1L, 2L), List.copyOf(structure.values()));
    List<String> fields = List.copyOf(list(report, "objects").get(0).keySet());
    assertEquals(
        List.of("verifiedBy", "checks", "structure", "structureNotes", "status"),
        fields.subList(fields.indexOf("verifiedBy"), fields.indexOf("status") + 1));
  }

  @Test
  void modelsKeepTheGivenOrder() {
    List<FileResult> results =
        List.of(file(LLAMA, "a", 1, Status.VERIFIED, 1), file(QWEN, "b", 1, Status.VERIFIED, 1));
    List<Map<String, Object>> models =
        list(Report.build(results, List.of(QWEN, LLAMA), START, FINISH, List.of()), "models");
    assertEquals(List.of("qwen", "llama"), models.stream().map(m -> m.get("name")).toList());
  }

  @Test
  void zeroDurationCountsAsOneMillisecond() {
    Map<String, Object> report =
        Report.build(
            List.of(file(LLAMA, "a", 5, Status.VERIFIED, 5)),
            List.of(LLAMA),
            START,
            START,
            List.of());
    assertEquals(0.001, totals(report).get("seconds"));
    assertEquals(5000L, totals(report).get("throughputBytesPerSecond"));
  }

  @Test
  void writeReplacesFileAtomicallyAndLeavesNoTemporary(@TempDir Path dir) throws IOException {
    Map<String, Object> report =
        Report.build(
            List.of(file(LLAMA, "a", 1, Status.VERIFIED, 1)),
            List.of(LLAMA),
            START,
            FINISH,
            List.of());
    Path path = dir.resolve("out").resolve("report.json");
    Report.write(report, path);
    Files.writeString(path, "stale");
    Report.write(report, path);

    assertEquals(Report.toJson(report), Files.readString(path));
    JsonNode json = new ObjectMapper().readTree(path.toFile());
    assertEquals("ok", json.get("status").asText());
    assertEquals(1, json.get("totals").get("verified").asLong());
    assertFalse(Files.exists(dir.resolve("out").resolve(".report.json.tmp")));
    assertNull(json.get("objects").get(0).get("error").textValue());
  }
}
