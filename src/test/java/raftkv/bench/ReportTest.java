package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  @TempDir Path tmp;

  final ByteArrayOutputStream progress = new ByteArrayOutputStream();

  Report report() {
    return new Report(
        new PrintStream(progress, true, StandardCharsets.UTF_8), tmp.resolve("results.txt"),
        "raftkv: 3 nodes.");
  }

  static Load.Outcome putSeq() {
    Histogram h = new Histogram(60_000_000_000L, 3);
    for (int i = 1; i <= 100; i++) {
      h.recordValue(i * 10_000L); // 0.01 .. 1 ms
    }
    return new Load.Outcome("put-seq", "put, 1 client sequential", 1, 100, 100, 0, 2, 0.5, h, 950,
        List.of(300.4, 250.0, Double.NaN));
  }

  static Failover.Rep rep(int n, double election, double firstWrite) {
    return new Failover.Rep(n, 1, n, n + (n == 2 ? 2 : 1), election - 5, election, firstWrite,
        firstWrite + 10, 3000, n * 5000.0, List.of(firstWrite + 100, firstWrite + 150));
  }

  @Test
  void rendersTheLoadTableAndWritesResultLines() throws Exception {
    Report r = report();
    r.add(putSeq());
    String md = r.markdown();
    assertThat(md).startsWith("raftkv: 3 nodes.\n");
    assertThat(md)
        .contains("| put, 1 client sequential | 100 | 200 | 0.50 | 0.99 | 1.00 | 1.00 | 950"
            + " | 300 / 250 / - | 0 / 2 |");
    String line = Files.readString(tmp.resolve("results.txt"));
    assertThat(line)
        .startsWith("RESULT name=put-seq outstanding=1 value_bytes=100 ops=100 errors=0 retries=2"
            + " secs=0.5 ops_s=200 p50_ms=0.5")
        .contains(" node_cpu_us_per_op=950 rss_peak_mib_n1=300 rss_peak_mib_n2=250"
            + " rss_peak_mib_n3=NaN\n");
    assertThat(progress.toString(StandardCharsets.UTF_8)).isEqualTo(line);
  }

  @Test
  void summarizesFailoverAndChecksTheTargets() {
    Report r = report();
    List<Failover.Rep> reps = List.of(rep(1, 200, 250), rep(2, 300, 350), rep(3, 400, 1200));
    reps.forEach(r::add);
    r.add(new Failover.Outcome(reps, 5000, 12, 0, Duration.ofMillis(50), series()));
    String md = r.markdown();
    assertThat(md).contains("3 kills");
    assertThat(md).contains("| new leader: kill -> a survivor reports leader, higher term | 200 | 300 | 400 | 400 |");
    assertThat(md).contains("| first write: kill -> first ack of a write sent after the kill | 250 | 350 | 1200 | 1200 |");
    assertThat(md).contains("A second election round was needed after 1 of 3 kills: #2 (term +2)."
        + " Writer: 5,000 acks, 12 retries, 0 errors.");
    assertThat(md).contains("election poll 300 / 400 / 400 ms **missed**");
    assertThat(md).contains("first write 350 / 1200 / 1200 ms **missed**");
    assertThat(progress.toString(StandardCharsets.UTF_8))
        .contains("RESULT name=failover-first-write n=3 min_ms=250 median_ms=350 p90_ms=1200 max_ms=1200")
        .contains("RESULT name=failover-rep rep=2 killed=n1 old_term=2 new_term=4 rounds=2")
        .contains("RESULT name=failover-writer acks=5000 retries=12 errors=0 attempt_timeout_ms=50 second_rounds=1")
        .contains("RESULT name=target-first-write median_ms=350 p90_ms=1200 max_ms=1200 met=false")
        .contains("RESULT name=target-election-poll median_ms=300 p90_ms=400 max_ms=400 met=false");
  }

  static Failover.Series series() {
    long ms = 1_000_000L;
    return new Failover.Series(0, 40 * ms, new long[] {1 * ms, 2 * ms, 15 * ms, 39 * ms});
  }

  @Test
  void theFailoverTargetsAreMedianP90AndMax() {
    assertThat(Report.met(Stats.Summary.of(150, 180, 200, 290))).isTrue();
    assertThat(Report.met(Stats.Summary.of(150, 210, 220, 290))).isFalse(); // median 215
    assertThat(Report.met(Stats.Summary.of(201, 201, 201))).isFalse();
    assertThat(Report.met(Stats.Summary.of(100, 100, 100, 100, 100, 100, 100, 100, 310, 310)))
        .isFalse();
    assertThat(Report.met(Stats.Summary.of())).isFalse();
  }

  @Test
  void writesTheFailoverAsJsonWithItsSeries() throws Exception {
    Report r = report();
    r.add(new Failover.Outcome(List.of(rep(1, 180, 190), rep(2, 250, 260)), 4, 0, 0,
        Duration.ofMillis(50), series()));
    r.add(putSeq());
    String json = r.json(Json.object().put("commit", "abc1234"));
    assertThat(json).startsWith("{\n  \"schema\": \"raftkv-bench/1\",\n  \"meta\": {\n");
    JsonNode doc = Json.MAPPER.readTree(json);
    assertThat(doc.get("schema").asText()).isEqualTo("raftkv-bench/1");
    assertThat(doc.at("/meta/commit").asText()).isEqualTo("abc1234");
    JsonNode load = doc.at("/workloads/0");
    assertThat(load.get("name").asText()).isEqualTo("put-seq");
    assertThat(load.get("group").asText()).isEqualTo("workloads");
    assertThat(load.get("node_peak_rss_mib").toString()).isEqualTo("[300.4,250,null]");
    JsonNode failover = doc.get("failover");
    assertThat(failover.at("/kills/1/second_round").asBoolean()).isTrue();
    assertThat(failover.at("/kills/1/kill_at_ms").asLong()).isEqualTo(10000);
    assertThat(failover.at("/series/writes_per_bin").toString()).isEqualTo("[2,1,0,1]");
    assertThat(failover.get("second_rounds").asLong()).isEqualTo(1);
    assertThat(failover.at("/summary/first_write/median_ms").asDouble()).isEqualTo(225);
    assertThat(r.failoverSvg("t")).get().asString().startsWith("<svg ").contains("n1");
  }

  @Test
  void putsTheCurvesInTablesOfTheirOwnAndChecksTheMemoryTarget() {
    Report r = report();
    Histogram h = new Histogram(60_000_000_000L, 3);
    h.recordValue(5_000_000L);
    r.add(new Load.Outcome("put-conc", "put, 64 outstanding", 64, 100, 1000, 0, 0, 0.1, h, 200,
        List.of(400.0, 530.2, 390.0)));
    r.add(Report.OUTSTANDING, new Load.Outcome("curve-outstanding-4", "put, 4 outstanding", 4, 100,
        1000, 0, 0, 1, h, 300, List.of(100.0, 100.0, 100.0)));
    r.add(Report.VALUE_SIZE, new Load.Outcome("curve-value-1024", "put of 1 KiB", 16, 1024,
        500, 0, 0, 1, h, 300, List.of(100.0, 100.0, 100.0)));
    String md = r.markdown();
    assertThat(md)
        .contains("Curve: puts of 100 B against outstanding requests:\n\n| workload |")
        .contains("| put, 4 outstanding | 1,000 | 1,000 | 5.00 |")
        .contains("Curve: puts against value size")
        .contains("| put of 1 KiB | 500 | 500 |")
        .contains("during the 64-client put run: largest peak 530 MiB, **missed**.");
    assertThat(md.indexOf("put, 4 outstanding")).isLessThan(md.indexOf("put of 1 KiB"));
  }

  @Test
  void reportsALargeLoadThatStoppedEarly() {
    Report r = report();
    Histogram h = new Histogram(60_000_000_000L, 3);
    h.recordValue(20_000_000L);
    r.add(new LargeData.Outcome(256, 1 << 20, 2048L << 20, 4, 300, 30, 1, h, 0, 0, 0, 0,
        List.of(700.0, Double.NaN, 650.0), 9000, "n2 exited with status 3 (java.lang.OutOfMemoryError: Java heap space)"));
    String md = r.markdown();
    assertThat(md)
        .contains("nodes with a 256 MiB heap, 2,048 MiB of distinct values of 1,048,576 B")
        .contains("| 300 | 30.0 | 10.0 | 20.0 | 20.0 | 1 | 0 / 0 / 0 | 700 / - / 650 | **no** |")
        .contains("The load stopped early: n2 exited with status 3 (java.lang.OutOfMemoryError");
    assertThat(progress.toString(StandardCharsets.UTF_8))
        .contains("RESULT name=large heap_mib=256 value_bytes=1048576 target_mib=2048 loaded_mib=300")
        .contains("served=false");
  }

  @Test
  void rendersTheCliTimingsAndNotes() {
    Report r = report();
    r.add(new Report.CliOutcome("kv_client --port 9401 get k", List.of(700.0, 650.0, 900.0)));
    r.note("CLI: skipped.");
    assertThat(r.markdown())
        .contains("CLI: `kv_client --port 9401 get k`, wall clock from start to exit, 3 runs after one"
            + " warm-up: median 700 ms, min 650 ms, max 900 ms.")
        .endsWith("\nCLI: skipped.\n");
  }
}
