package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.check.Operation;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

class SummaryTest {

  private static Operation write(long completed) {
    return new Operation(1, 0, Kind.PUT, "k", "1", null, Outcome.OK, null, null, completed - 1, completed);
  }

  private static Summary.Injected fault(long start) {
    return new Summary.Injected(
        new Fault(Fault.Kind.KILL, true, 1, 0, 1_000, 2_000), "kill", start, start + 1);
  }

  @Test
  void longestStretchRunsFromTheFaultToTheNextSuccessfulWrite() {
    List<Operation> history = List.of(write(50), write(120), write(130), write(300), write(310));
    List<Summary.Unavailability> gaps =
        Summary.unavailability(history, List.of(fault(100), fault(305)), 320);
    // 100 -> 120, 120 -> 130, 130 -> 300 (170), 300 -> 305 (next fault)
    assertThat(gaps.get(0).longestNanos()).isEqualTo(170);
    // 305 -> 310, 310 -> 320 (end)
    assertThat(gaps.get(1).longestNanos()).isEqualTo(10);
  }

  @Test
  void readsFailuresAndUnknownsAreNotSuccessfulWrites() {
    List<Operation> history =
        List.of(
            new Operation(1, 0, Kind.GET, "k", null, null, Outcome.OK, null, null, 10, 110),
            new Operation(2, 0, Kind.PUT, "k", "1", null, Outcome.FAIL, "x", null, 10, 120),
            new Operation(3, 1, Kind.PUT, "k", "1", null, Outcome.UNKNOWN, "timeout", null, 10, Long.MAX_VALUE),
            new Operation(4, 2, Kind.CAS, "k", "2", "3", Outcome.OK, "cas_mismatch", "1", 10, 150));
    assertThat(Summary.unavailability(history, List.of(fault(100)), 200).get(0).longestNanos())
        .isEqualTo(50);
  }

  @Test
  void countsOutcomesAndKinds() {
    List<Operation> history =
        List.of(
            write(1),
            new Operation(2, 0, Kind.PUT, "k", "1", null, Outcome.FAIL, "x", null, 1, 2),
            new Operation(3, 0, Kind.PUT, "k", "1", null, Outcome.UNKNOWN, "timeout", null, 1, Long.MAX_VALUE));
    assertThat(Summary.outcomes(history)).containsExactly(1, 1, 1);
    assertThat(Summary.describeKinds(Summary.byKind(List.of(fault(1), fault(2)))))
        .isEqualTo("kill 2");
  }

  @Test
  void countsSplitOkIntoWritesAndReads() {
    List<Operation> ops =
        List.of(
            new Operation(1, 0, Kind.GET, "k", null, null, Outcome.OK, null, "1", 10, 20),
            new Operation(2, 0, Kind.PUT, "k", "1", null, Outcome.OK, null, null, 10, 20),
            new Operation(3, 0, Kind.CAS, "k", "2", "3", Outcome.OK, "cas_mismatch", "1", 10, 20),
            new Operation(4, 0, Kind.PUT, "k", "1", null, Outcome.FAIL, "unavailable", null, 10, 20),
            new Operation(5, 1, Kind.INCR, "k", "1", null, Outcome.UNKNOWN, "timeout", null, 10, Long.MAX_VALUE));
    Summary.Counts c = Summary.counts(ops);
    assertThat(c).isEqualTo(new Summary.Counts(5, 3, 2, 1, 1));
    assertThat(Summary.describe(c)).isEqualTo("5 (3 ok, 2 of them writes; 1 failed; 1 unknown)");
    assertThat(Summary.describe(Summary.counts(List.of()))).isEqualTo("0 (0 ok, 0 of them writes; 0 failed; 0 unknown)");
  }
}
