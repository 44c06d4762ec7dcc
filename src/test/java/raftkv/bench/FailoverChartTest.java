package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FailoverChartTest {
  static final long MS = 1_000_000L;

  @Test
  void countsEventsPerBinAndLeavesOutThoseOutside() {
    long[] events = {5 * MS, 1 * MS, 9 * MS, 10 * MS, 35 * MS, -1 * MS, 40 * MS, 41 * MS};
    assertThat(FailoverChart.bins(events, 0, 40 * MS, 10 * MS)).containsExactly(3, 1, 0, 1);
  }

  @Test
  void aPartialLastBinCounts() {
    assertThat(FailoverChart.bins(new long[] {42 * MS}, 0, 45 * MS, 10 * MS))
        .containsExactly(0, 0, 0, 0, 1);
    assertThat(FailoverChart.bins(new long[] {1}, 10, 10, 10)).isEmpty();
  }

  @Test
  void drawsTheSeriesAndMarksEveryKill() {
    long[] bins = new long[300];
    java.util.Arrays.fill(bins, 5);
    for (int i = 100; i < 125; i++) {
      bins[i] = 0; // the gap after the kill at 1 s
    }
    String svg =
        FailoverChart.svg(bins,
            List.of(new FailoverChart.Kill(1, 1000, "n2", 1, 250),
                new FailoverChart.Kill(2, 2000, "n3", 2, 480)),
            "failover <a & b>");
    assertThat(svg)
        .startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")
        .endsWith("</svg>\n")
        .contains("failover &lt;a &amp; b&gt;")
        .contains("<title>kill 1: n2, first write after 250 ms</title>")
        .contains("<title>kill 2: n3, first write after 480 ms, 2 election rounds</title>")
        .contains("stroke=\"#e08000\"") // the second-round kill
        .contains("around each kill (2 kills laid over each other")
        .contains(">3 s</text>")
        .contains(">-100 ms</text>")
        .contains(">900 ms</text>");
    // the upper panel and one window per kill in the lower one
    assertThat(svg.split("<polyline", -1)).hasSize(5);
    // the y axis tops at a round number above the largest bin
    assertThat(svg).contains(">5</text>").contains(">2.5</text>");
  }

  @Test
  void smoothsOverTheBinsBefore() {
    assertThat(FailoverChart.movingAverage(new long[] {4, 0, 2, 6}, 2))
        .containsExactly(4, 2, 1, 4);
  }

  @Test
  void roundsTheAxisUp() {
    assertThat(FailoverChart.niceCeiling(7)).isEqualTo(10);
    assertThat(FailoverChart.niceCeiling(11)).isEqualTo(20);
    assertThat(FailoverChart.niceCeiling(2)).isEqualTo(2);
    assertThat(FailoverChart.niceCeiling(0.3)).isEqualTo(0.5);
  }
}
