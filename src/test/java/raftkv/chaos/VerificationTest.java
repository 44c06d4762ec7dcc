package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftkv.check.Operation;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;
import raftkv.check.Verdict;

class VerificationTest {

  private static Operation put(long id, String value, long from, long to) {
    return new Operation(id, 0, Kind.PUT, "k", value, null, Outcome.OK, null, null, from, to);
  }

  private static Operation get(long id, int process, String output, long from, long to) {
    return new Operation(id, process, Kind.GET, "k", null, null, Outcome.OK, null, output, from, to);
  }

  @Test
  void aFinalReadThatShowsTheLastWriteLosesNothing() {
    Verification v =
        Verification.of(List.of(put(1, "1", 0, 10), put(2, "2", 20, 30), get(3, 1, "2", 40, 50)), Set.of(3L));
    assertThat(v.passed()).isTrue();
    assertThat(v.lines()).contains("acknowledged writes lost: 0", "linearizable: yes");
  }

  @Test
  void aFinalReadWithoutTheLastAcknowledgedWriteIsALostWrite() {
    Verification v =
        Verification.of(List.of(put(1, "1", 0, 10), put(2, "2", 20, 30), get(3, 1, "1", 40, 50)), Set.of(3L));
    assertThat(v.passed()).isFalse();
    assertThat(v.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    assertThat(v.lostKeys()).containsExactly("k");
    assertThat(v.lines()).anyMatch(l -> l.startsWith("linearizable: no"));
  }

  @Test
  void aStaleReadBeforeTheEndIsNotLinearizableWithoutALostWrite() {
    Verification v =
        Verification.of(
            List.of(put(1, "1", 0, 10), put(2, "2", 20, 30), get(3, 1, "1", 40, 50), get(4, 1, "2", 60, 70)),
            Set.of(4L));
    assertThat(v.passed()).isFalse();
    assertThat(v.lostKeys()).isEmpty();
    assertThat(v.lines()).anyMatch(l -> l.startsWith("acknowledged writes lost: undecided"));
  }

  @Test
  void aWriteWhoseOutcomeIsUnknownMayOrMayNotShow() {
    Operation unknown =
        new Operation(2, 0, Kind.PUT, "k", "2", null, Outcome.UNKNOWN, "timeout", null, 20, Long.MAX_VALUE);
    assertThat(Verification.of(List.of(put(1, "1", 0, 10), unknown, get(3, 1, "1", 40, 50)), Set.of(3L)).passed())
        .isTrue();
    assertThat(Verification.of(List.of(put(1, "1", 0, 10), unknown, get(3, 1, "2", 40, 50)), Set.of(3L)).passed())
        .isTrue();
  }
}
