package raftkv.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker finishes on a history the size of a chaos run (the verdict only; no timing asserted). */
class LargeHistoryTest {

  @Test
  void twentyThousandOperationsOverThirtyKeysAreLinearizable() {
    List<Operation> history = new RandomHistory(42, 30, 8, 0.02).generate(20_000);
    CheckResult result = new LinearizabilityChecker().check(history);
    assertThat(result.verdict()).isEqualTo(Verdict.LINEARIZABLE);
    assertThat(result.opsChecked()).isEqualTo(20_000);
    assertThat(result.unknown()).isGreaterThan(200);
  }

  @Test
  void aStaleReadLateInALargeHistoryIsFoundAndExplained() {
    List<Operation> history = new ArrayList<>(new RandomHistory(43, 30, 8, 0.015).generate(20_000));
    // a read long after everything else that sees the key's first written value
    Operation first = history.stream()
        .filter(op -> op.kind() == Operation.Kind.PUT && op.outcome() == Operation.Outcome.OK)
        .findFirst()
        .orElseThrow();
    long late = history.stream().mapToLong(Operation::invokeNanos).max().orElseThrow() + 1_000_000;
    Operation stale =
        new Operation(99_999, 99, Operation.Kind.GET, first.key(), null, null, Operation.Outcome.OK, null,
            first.value(), late, late + 1000);
    history.add(stale);
    CheckResult result = new LinearizabilityChecker().check(history);
    assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    assertThat(result.explanation().orElseThrow().window()).contains(stale);
  }
}
