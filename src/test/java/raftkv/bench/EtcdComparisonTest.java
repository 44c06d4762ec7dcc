package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EtcdComparisonTest {
  static final List<String> BENCH =
      List.of(
          "RESULT put-seq        run=1 ops=5000 secs=4.01 ops_s=1245 p50_ms=0.770",
          "SUMMARY (median [min-max] over 3 runs)",
          "SUMMARY put-seq        ops_s=1250 [1200-1290] p50_ms=0.80 [0.75-0.90] p99_ms=2.00 [1.9-2.1]"
              + " etcd_cpu_us_op=900 [880-950] foreign_cpu_pct=1 [0-2]",
          "SUMMARY put-async      ops_s=10000 [9000-11000] p50_ms=5.80 [5.1-6.0]",
          "SUMMARY get-lin-seq    ops_s=2000 [1900-2100] p50_ms=0.40 [0.38-0.41]",
          "SUMMARY get-ser-async  ops_s=20000 [19000-21000] p50_ms=3.00 [2.9-3.1]");

  static final List<String> LEADER =
      List.of(
          "SUMMARY put-seq        ops_s=1500 [1400-1600] p50_ms=0.60 [0.55-0.70] p99_ms=1.50 [1.4-1.6]",
          "SUMMARY put-async      ops_s=13000 [12000-14000] p50_ms=4.00 [3.9-4.1] p99_ms=15.00 [14-16]");

  static final List<String> FAILOVER =
      List.of(
          "== failover series 1 (hb=30 et=150)",
          "REP  1 killed=m1 term 2->3  detect(log)=120ms  elected(log)=180ms  elected(poll)=190.2ms"
              + "  firstPut=200.0ms  writeGap=205.0ms  errors=0 timeouts=3 foreignCpu=5%",
          "REP  2 killed=m2 term 3->4  detect(log)=NaNms  elected(log)=NaNms  elected(poll)=210.0ms"
              + "  firstPut=220.0ms  writeGap=225.0ms  errors=0 timeouts=3 foreignCpu=5%",
          "REP  3 killed=m3 term 4->5  detect(log)=100ms  elected(log)=400ms  elected(poll)=410.0ms"
              + "  firstPut=420.0ms  writeGap=425.0ms  errors=0 timeouts=3 foreignCpu=5%",
          "SUMMARY first put acked under new term (from kill) ms   200.0 / 220.0 / 420.0  (n=3)");

  static final List<String> OURS =
      List.of(
          "started nodes",
          "RESULT name=put-seq ops=2000 errors=0 retries=0 secs=2 ops_s=1000 p50_ms=1 p99_ms=3"
              + " node_cpu_us_per_op=1800",
          "RESULT name=put-conc ops=20000 errors=0 retries=0 secs=2 ops_s=19500 p50_ms=10 p99_ms=12",
          "RESULT name=get-lin-seq ops=2000 errors=0 retries=0 secs=1 ops_s=2000 p50_ms=0.5",
          "RESULT name=get-stale-conc ops=2000 errors=0 retries=0 secs=1 ops_s=21000 p50_ms=2",
          "RESULT name=failover-election-poll n=10 min_ms=150 median_ms=220 p90_ms=300 max_ms=410",
          "RESULT name=failover-first-write n=10 min_ms=160 median_ms=330 p90_ms=400 max_ms=840",
          "RESULT name=failover-writer acks=100 retries=3 errors=0 attempt_timeout_ms=50"
              + " second_rounds=2");

  @Test
  void readsTheBaselinesMediansAndReps() {
    assertThat(EtcdComparison.parseEtcdSummary(BENCH).get("put-seq"))
        .containsEntry("ops_s", 1250.0)
        .containsEntry("p50_ms", 0.80);
    assertThat(EtcdComparison.parseEtcdReps(FAILOVER, "elected(log)")).containsExactly(180, 400);
    assertThat(EtcdComparison.parseEtcdReps(FAILOVER, "firstPut")).containsExactly(200, 220, 420);
  }

  @Test
  void rendersRatiosOursOverEtcdWithTheDirectionAndTheTarget() {
    String md =
        EtcdComparison.render(EtcdComparison.parseResults(OURS), BENCH, LEADER, FAILOVER);
    assertThat(md)
        .contains("pooled over 3 kills")
        .contains("| measure | raftkv | etcd | etcd client | raftkv/etcd | better | target |")
        // the leader-only run where the baseline has it
        .contains("| put, 1 client sequential: p50 ms | 1.00 | 0.60 | leader only | 1.67 | lower"
            + " | <= 1.00 **missed** |")
        .contains("| put, 1 client sequential: ops/s | 1,000 | 1,500 | leader only | 0.67 | higher"
            + " |  |")
        .contains("| put, 1 client sequential: node CPU µs/op (3 nodes) | 1,800 | 900 | all members"
            + " | 2.00 | lower | <= 1.00 **missed** |")
        .contains("| put, 64 outstanding: ops/s | 19,500 | 13,000 | leader only | 1.50 | higher"
            + " | >= 1.50 met |")
        .contains("| put, 64 outstanding: p99 ms | 12.0 | 15.0 | leader only | 0.80 | lower"
            + " | <= 1.00 met |")
        .contains("| put, 64 outstanding: ops/s | 19,500 | 10,000 | all members | 1.95 | higher |  |")
        .contains("| linearizable get, 1 client: p50 ms | 0.50 | 0.40 | all members | 1.25 | lower"
            + " |  |")
        .contains("| linearizable get, 64 outstanding: ops/s | n/a | n/a | all members | n/a"
            + " | higher | >= 1.50 |")
        .contains("| stale (serializable) get, 64 outstanding: ops/s | 21,000 | 20,000 | all members"
            + " | 1.05 | higher | >= 1.00 met |")
        .contains("| failover, kill -> new leader: median ms | 220 | 210 | all members | 1.05 | lower"
            + " | <= 1.00 **missed** |")
        .contains("| failover, kill -> new leader: max ms | 410 | 410 | all members | 1.00 | lower"
            + " | <= 1.00 met |")
        .contains("| failover, kill -> first acknowledged write: median ms | 330 | 220 |")
        .contains("| failover, kill -> first acknowledged write: max ms | 840 | 420 | all members"
            + " | 2.00 |")
        .contains("| failover: kills that needed a second election round, % | 20 | 0 |")
        .doesNotContain("Missing");
  }

  @Test
  void readsTheTermJumps() {
    assertThat(EtcdComparison.parseEtcdTermJumps(FAILOVER)).containsExactly(1, 1, 1);
  }

  @Test
  void writesJsonWithOurDocumentAndEveryRow() throws Exception {
    String json =
        EtcdComparison.json("{\"schema\": \"raftkv-bench/1\"}\n",
            EtcdComparison.parseResults(OURS), BENCH, LEADER, FAILOVER);
    JsonNode doc = Json.MAPPER.readTree(json);
    assertThat(doc.at("/raftkv/schema").asText()).isEqualTo("raftkv-bench/1");
    JsonNode row = null;
    for (JsonNode r : doc.get("etcd_comparison")) {
      if (r.get("measure").asText().equals("put, 64 outstanding: ops/s")
          && r.get("etcd_client").asText().equals("leader only")) {
        row = r;
      }
    }
    assertThat(row).isNotNull();
    assertThat(row.toString())
        .isEqualTo("{\"measure\":\"put, 64 outstanding: ops/s\",\"raftkv\":19500,\"etcd\":13000,"
            + "\"etcd_client\":\"leader only\",\"ratio_raftkv_over_etcd\":1.5,"
            + "\"better\":\"higher\",\"target_ratio\":1.5,\"target\":\"met\"}");
    assertThat(doc.get("etcd_comparison").findValues("target")).anyMatch(JsonNode::isNull);
  }

  @Test
  void leavesOutABlankDocumentOfOurs() throws Exception {
    JsonNode doc =
        Json.MAPPER.readTree(EtcdComparison.json("", Map.of(), List.of(), List.of(), List.of()));
    assertThat(doc.get("raftkv").isNull()).isTrue();
    assertThat(doc.get("etcd_comparison").isArray()).isTrue();
  }

  @Test
  void saysWhatIsMissing() {
    String md =
        EtcdComparison.render(EtcdComparison.parseResults(OURS), List.of(), List.of(), List.of());
    assertThat(md)
        .contains("Missing from this sitting's etcd results: bench.txt bench-leader.txt failover.txt");
  }
}
