package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EtcdComparisonTest {
  static final List<String> BENCH =
      List.of(
          "RESULT put-seq        run=1 ops=5000 secs=4.01 ops_s=1245 p50_ms=0.770",
          "SUMMARY (median [min-max] over 3 runs)",
          "SUMMARY put-seq        ops_s=1250 [1200-1290] p50_ms=0.80 [0.75-0.90] p99_ms=2.00 [1.9-2.1]",
          "SUMMARY put-async      ops_s=10000 [9000-11000] p50_ms=5.80 [5.1-6.0]",
          "SUMMARY get-lin-seq    ops_s=2000 [1900-2100] p50_ms=0.40 [0.38-0.41]");

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
          "RESULT name=put-seq ops=2000 errors=0 retries=0 secs=2 ops_s=1000 p50_ms=1 p99_ms=3",
          "RESULT name=put-conc ops=20000 errors=0 retries=0 secs=2 ops_s=5000 p50_ms=10",
          "RESULT name=get-lin-seq ops=2000 errors=0 retries=0 secs=1 ops_s=2000 p50_ms=0.5",
          "RESULT name=failover-election-poll n=10 min_ms=150 median_ms=220 p90_ms=300 max_ms=410",
          "RESULT name=failover-first-write n=10 min_ms=160 median_ms=330 p90_ms=400 max_ms=840");

  @Test
  void readsTheBaselinesMediansAndReps() {
    assertThat(EtcdComparison.parseEtcdSummary(BENCH).get("put-seq"))
        .containsEntry("ops_s", 1250.0)
        .containsEntry("p50_ms", 0.80);
    assertThat(EtcdComparison.parseEtcdReps(FAILOVER, "elected(log)")).containsExactly(180, 400);
    assertThat(EtcdComparison.parseEtcdReps(FAILOVER, "firstPut")).containsExactly(200, 220, 420);
  }

  @Test
  void rendersRatiosOursOverEtcd() {
    String md =
        EtcdComparison.render(EtcdComparison.parseResults(OURS), BENCH, FAILOVER);
    assertThat(md)
        .contains("pooled over 3 kills")
        .contains("| put, 1 client sequential: p50 ms | 1.00 | 0.80 | 1.25 |")
        .contains("| put, 1 client sequential: ops/s | 1,000 | 1,250 | 0.80 |")
        .contains("| put, 64 outstanding: ops/s | 5,000 | 10,000 | 0.50 |")
        .contains("| linearizable get, 1 client: p50 ms | 0.50 | 0.40 | 1.25 |")
        .contains("| linearizable get, 64 outstanding: ops/s | n/a | n/a | n/a |")
        .contains("| failover election (poll): median ms | 220 | 210 | 1.05 |")
        .contains("| failover election (poll): max ms | 410 | 410 | 1.00 |")
        .contains("| failover first write: median ms | 330 | 220 | 1.50 |")
        .contains("| failover first write: max ms | 840 | 420 | 2.00 |")
        .doesNotContain("Missing");
  }

  @Test
  void saysWhatIsMissing() {
    String md = EtcdComparison.render(EtcdComparison.parseResults(OURS), List.of(), List.of());
    assertThat(md).contains("Missing from this sitting's etcd results: bench.txt failover.txt");
  }
}
