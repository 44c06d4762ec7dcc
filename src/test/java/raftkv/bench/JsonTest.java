package raftkv.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {
  @TempDir Path tmp;

  @Test
  void indentsObjectsAndKeepsArraysOnOneLine() {
    ObjectNode doc = Json.object().put("b", 1);
    doc.putObject("a").put("x", 2.5).set("list", Json.tree(List.of(1, 2.25, 3L)));
    doc.putArray("objects").addObject().put("k", "v");
    doc.putArray("empty");
    doc.putObject("none");
    doc.set("bins", Json.tree(new long[] {0, 4, 7}));
    assertThat(Json.write(doc))
        .isEqualTo(
            "{\n"
                + "  \"b\": 1,\n"
                + "  \"a\": {\n"
                + "    \"x\": 2.5,\n"
                + "    \"list\": [1, 2.25, 3]\n"
                + "  },\n"
                + "  \"objects\": [{\n"
                + "    \"k\": \"v\"\n"
                + "  }],\n"
                + "  \"empty\": [],\n"
                + "  \"none\": {},\n"
                + "  \"bins\": [0, 4, 7]\n"
                + "}\n");
  }

  @Test
  void anUnmeasuredFigureIsNullAndAFigureHasAtMostThreeDecimals() throws Exception {
    ObjectNode doc = Json.object()
        .put("nan", Double.NaN)
        .put("inf", Double.POSITIVE_INFINITY)
        .put("whole", 12.0)
        .put("fine", 0.12345)
        .put("absent", (String) null)
        .put("yes", true);
    doc.set("series", Json.tree(List.of(300.4, 250.0, Double.NaN)));
    String text = Json.write(doc);
    assertThat(text).contains("\"whole\": 12,").contains("\"series\": [300.4, 250, null]");
    JsonNode back = Json.MAPPER.readTree(text);
    assertThat(back.get("nan").isNull()).isTrue();
    assertThat(back.get("inf").isNull()).isTrue();
    assertThat(back.get("whole").isIntegralNumber()).isTrue();
    assertThat(back.get("fine").asDouble()).isEqualTo(0.123);
    assertThat(back.get("absent").isNull()).isTrue();
    assertThat(back.get("yes").asBoolean()).isTrue();
  }

  @Test
  void escapesStrings() throws Exception {
    String s = "a\"b\\c\nd\u0001";
    String text = Json.write(Json.object().put("s", s));
    assertThat(text).contains("\"a\\\"b\\\\c\\nd\\u0001\"");
    assertThat(Json.MAPPER.readTree(text).get("s").asText()).isEqualTo(s);
  }

  /**
   * Readers of docs/bench/*.json see the same fields in the same structure: a document with every
   * section has the field paths of the committed one (which ran without the large section).
   */
  @Test
  void writesTheFieldsOfTheCommittedBenchmarkDocument() throws Exception {
    JsonNode committed = Json.MAPPER.readTree(Files.readString(Path.of("docs/bench/latest.json")));
    Report r = new Report(new PrintStream(OutputStream.nullOutputStream(), true, UTF_8),
        tmp.resolve("results.txt"), "raftkv: 3 nodes.");
    Histogram h = new Histogram(60_000_000_000L, 3);
    h.recordValue(5_000_000L);
    r.add(ReportTest.putSeq());
    r.add(new Failover.Outcome(List.of(ReportTest.rep(1, 180, 190)), 4, 0, 0,
        Duration.ofMillis(50), ReportTest.series()));
    r.add(new LargeData.Outcome(256, 1 << 20, 2048L << 20, 4, 300, 30, 1, h, 2, 2, 0, 0,
        List.of(700.0, 600.0, 650.0), 9000, ""));
    r.add(new Report.CliOutcome("kv_client get k", List.of(700.0, 650.0)));
    ObjectNode meta = Json.object().put("started_utc", "now").put("commit", "abc1234");
    meta.set("machine", Machine.describe());
    String ours =
        EtcdComparison.json(r.json(meta), EtcdComparison.parseResults(EtcdComparisonTest.OURS),
            EtcdComparisonTest.BENCH, EtcdComparisonTest.LEADER, EtcdComparisonTest.FAILOVER);
    TreeSet<String> expected = paths(committed, "");
    expected.removeIf(p -> p.startsWith("/raftkv/meta/") && !p.startsWith("/raftkv/meta/machine"));
    TreeSet<String> written = paths(Json.MAPPER.readTree(ours), "");
    written.removeIf(p -> p.startsWith("/raftkv/meta/") && !p.startsWith("/raftkv/meta/machine"));
    written.removeIf(p -> p.startsWith("/raftkv/large"));
    assertThat(written).isEqualTo(expected);
    assertThat(paths(Json.MAPPER.readTree(ours), ""))
        .contains("/raftkv/large/read_back/verified:number");
  }

  @Test
  void embedsOurCommittedDocumentUnchanged() throws Exception {
    JsonNode committed = Json.MAPPER.readTree(Files.readString(Path.of("docs/bench/latest.json")));
    String again =
        EtcdComparison.json(Json.write(committed.get("raftkv")), Map.of(), List.of(), List.of(),
            List.of());
    assertThat(Json.MAPPER.readTree(again).get("raftkv")).isEqualTo(committed.get("raftkv"));
  }

  /** Every field path, arrays as "[]", a value's kind (number, string, ...) at its end. */
  private static TreeSet<String> paths(JsonNode n, String at) {
    TreeSet<String> out = new TreeSet<>();
    if (n.isContainerNode()) {
      out.add(at + (n.isArray() ? "[]" : "/"));
    }
    if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.addAll(paths(e.getValue(), at + "/" + e.getKey()));
      }
    } else if (n.isArray()) {
      n.forEach(x -> out.addAll(paths(x, at + "[]")));
    } else if (!n.isNull()) {
      out.add(at + ":" + (n.isNumber() ? "number" : n.getNodeType().toString().toLowerCase()));
    }
    return out;
  }
}
