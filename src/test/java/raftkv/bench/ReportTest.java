package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

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
    return new Load.Outcome("put-seq", "put, 1 client sequential", 100, 0, 2, 0.5, h, 950);
  }

  static Failover.Rep rep(int n, double election, double firstWrite) {
    return new Failover.Rep(n, 1, n, n + 1, election - 5, election, firstWrite, firstWrite + 10, 3000);
  }

  @Test
  void rendersTheLoadTableAndWritesResultLines() throws Exception {
    Report r = report();
    r.add(putSeq());
    String md = r.markdown();
    assertThat(md).startsWith("raftkv: 3 nodes.\n");
    assertThat(md).contains("| put, 1 client sequential | 100 | 200 | 0.50 | 0.99 | 1.00 | 1.00 | 950 | 0 / 2 |");
    String line = Files.readString(tmp.resolve("results.txt"));
    assertThat(line).startsWith("RESULT name=put-seq ops=100 errors=0 retries=2 secs=0.5 ops_s=200 p50_ms=0.5");
    assertThat(progress.toString(StandardCharsets.UTF_8)).isEqualTo(line);
  }

  @Test
  void summarizesFailoverAndChecksTheTargets() {
    Report r = report();
    List<Failover.Rep> reps = List.of(rep(1, 200, 250), rep(2, 300, 350), rep(3, 400, 1200));
    r.add(new Failover.Outcome(reps, 5000, 12, 0, Duration.ofMillis(50)));
    String md = r.markdown();
    assertThat(md).contains("3 kills");
    assertThat(md).contains("| election (poll): kill -> a survivor reports leader, higher term | 200 | 300 | 400 | 400 |");
    assertThat(md).contains("| first write: kill -> first ack of a write sent after the kill | 250 | 350 | 1200 | 1200 |");
    assertThat(md).contains("Elections won in the first round (term + 1): 3 of 3. Writer: 5,000 acks, 12 retries, 0 errors.");
    assertThat(md).contains("election poll 300 / 400 ms met");
    assertThat(md).contains("first write 350 / 1200 ms **missed**");
    assertThat(progress.toString(StandardCharsets.UTF_8))
        .contains("RESULT name=failover-first-write n=3 min_ms=250 median_ms=350 p90_ms=1200 max_ms=1200")
        .contains("RESULT name=target-first-write median_ms=350 max_ms=1200 met=false")
        .contains("RESULT name=target-election-poll median_ms=300 max_ms=400 met=true");
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
