package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import raftkv.check.Operation;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

class WorkloadTest {

  private static final Workload.Request PUT =
      new Workload.Request(Kind.PUT, "k1", "5", null, "put k1 5");
  private static final Workload.Request GET =
      new Workload.Request(Kind.GET, "k1", null, null, "get k1");
  private static final Workload.Request CAS =
      new Workload.Request(Kind.CAS, "k1", "9", "5", "cas k1 5 9");
  private static final Workload.Request INCR =
      new Workload.Request(Kind.INCR, "k1", "2", null, "incr k1 2");

  @Test
  void anAnsweredWriteIsOk() {
    Operation op =
        Workload.completed(PUT, 1, 0, "{\"ok\":true,\"index\":3,\"duplicate\":false}", 10, 20);
    assertThat(op)
        .isEqualTo(new Operation(1, 0, Kind.PUT, "k1", "5", null, Outcome.OK, null, null, 10, 20));
  }

  @Test
  void aReadOutputsItsValueOrNullForAbsent() {
    assertThat(Workload.completed(GET, 1, 0, "{\"ok\":true,\"value\":\"7\"}", 1, 2).output())
        .isEqualTo("7");
    assertThat(Workload.completed(GET, 1, 0, "{\"ok\":true,\"value\":null}", 1, 2).output())
        .isNull();
  }

  @Test
  void anIncrOutputsTheNewValue() {
    Operation op =
        Workload.completed(
            INCR, 1, 0, "{\"ok\":true,\"value\":\"8\",\"index\":4,\"duplicate\":true}", 1, 2);
    assertThat(op.outcome()).isEqualTo(Outcome.OK);
    assertThat(op.output()).isEqualTo("8");
  }

  @Test
  void aCasMismatchRanAndOutputsTheActualValue() {
    Operation op =
        Workload.completed(CAS, 1, 0, "{\"ok\":false,\"error\":\"cas_mismatch\",\"value\":\"6\"}", 1, 2);
    assertThat(op.outcome()).isEqualTo(Outcome.OK);
    assertThat(op.error()).isEqualTo("cas_mismatch");
    assertThat(op.output()).isEqualTo("6");
  }

  @Test
  void aTimeoutIsUnknownAndNeverCompletes() {
    Operation op =
        Workload.completed(
            PUT, 1, 0, "{\"ok\":false,\"error\":\"timeout\",\"message\":\"outcome unknown\"}", 1, 2);
    assertThat(op.outcome()).isEqualTo(Outcome.UNKNOWN);
    assertThat(op.completeNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void anyAnswerMarkedOutcomeUnknownIsUnknown() {
    Operation op =
        Workload.completed(
            PUT, 1, 0,
            "{\"ok\":false,\"error\":\"session_expired\",\"message\":\"ended\",\"outcome\":\"unknown\"}",
            1, 2);
    assertThat(op.outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aRefusalIsAFailure() {
    Operation op =
        Workload.completed(
            GET, 1, 0, "{\"ok\":false,\"error\":\"unavailable\",\"message\":\"no leader\"}", 1, 2);
    assertThat(op.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(op.error()).isEqualTo("unavailable");
  }

  @Test
  void aLineThatIsNotAResultIsAnError() {
    assertThatThrownBy(() -> Workload.completed(GET, 1, 0, "hello", 1, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Workload.completed(GET, 1, 0, "{\"leader\":1}", 1, 2))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void casExpectsTheValueLastSeenOrAbsence() {
    Workload w = new Workload(1, new Random(3));
    w.observe(new Operation(1, 0, Kind.GET, "k0", null, null, Outcome.OK, null, "41", 1, 2));
    for (int i = 0; i < 200; i++) {
      Workload.Request r = w.next();
      assertThat(r.key()).isEqualTo("k0");
      if (r.kind() == Kind.CAS) {
        assertThat(r.expected()).isEqualTo("41");
        assertThat(r.line()).isEqualTo("cas k0 41 " + r.value());
        return;
      }
    }
    throw new AssertionError("no cas in 200 operations");
  }

  @Test
  void everyValueWrittenIsANumberSoIncrAlwaysApplies() {
    Workload w = new Workload(10, new Random(5));
    for (int i = 0; i < 500; i++) {
      Workload.Request r = w.next();
      if (r.value() != null) {
        assertThat(r.value()).matches("\\d+");
      }
    }
  }
}
