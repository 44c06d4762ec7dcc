package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import raftkv.bench.Stats.Fmt;
import raftkv.bench.Stats.Summary;

class StatsTest {

  @Test
  void summarizesAnOddSample() {
    Summary s = Summary.of(300, 100, 200, 500, 400);
    assertThat(s.n()).isEqualTo(5);
    assertThat(s.min()).isEqualTo(100);
    assertThat(s.median()).isEqualTo(300);
    assertThat(s.p90()).isEqualTo(500);
    assertThat(s.max()).isEqualTo(500);
  }

  @Test
  void medianOfAnEvenSampleIsTheMeanOfTheMiddleTwo() {
    assertThat(Summary.of(4, 1, 3, 2).median()).isEqualTo(2.5);
  }

  @Test
  void p90IsTheNearestRank() {
    double[] ten = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    assertThat(Summary.of(ten).p90()).isEqualTo(9);
    double[] twenty = new double[20];
    for (int i = 0; i < 20; i++) {
      twenty[i] = i + 1;
    }
    assertThat(Summary.of(twenty).p90()).isEqualTo(18);
    assertThat(Summary.of(7).p90()).isEqualTo(7);
  }

  @Test
  void leavesOutValuesThatWereNotObserved() {
    Summary s = Summary.of(Double.NaN, 5, Double.NaN, 1);
    assertThat(s.n()).isEqualTo(2);
    assertThat(s.min()).isEqualTo(1);
    assertThat(s.max()).isEqualTo(5);
  }

  @Test
  void anEmptySampleHasNoFigures() {
    Summary s = Summary.of();
    assertThat(s.n()).isZero();
    assertThat(s.median()).isNaN();
    assertThat(s.fields("ms")).isEqualTo("n=0 min_ms=NaN median_ms=NaN p90_ms=NaN max_ms=NaN");
  }

  @Test
  void formatsForTablesAndForMachines() {
    assertThat(Fmt.ms(0.8123)).isEqualTo("0.81");
    assertThat(Fmt.ms(12.34)).isEqualTo("12.3");
    assertThat(Fmt.ms(245.6)).isEqualTo("246");
    assertThat(Fmt.ms(Double.NaN)).isEqualTo("n/a");
    assertThat(Fmt.count(12345.6)).isEqualTo("12,346");
    assertThat(Fmt.ratio(1.0 / 3)).isEqualTo("0.33");
    assertThat(Fmt.ratio(1.0 / 0)).isEqualTo("n/a");
    assertThat(Fmt.plain(340.0961)).isEqualTo("340.096");
    assertThat(Fmt.plain(318)).isEqualTo("318");
    assertThat(Fmt.plain(0.5)).isEqualTo("0.5");
  }
}
