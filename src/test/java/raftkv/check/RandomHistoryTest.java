package raftkv.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Histories from real sequential runs ({@link RandomHistory}), as they are and with one read corrupted. */
class RandomHistoryTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void aHistoryFromASequentialRunIsLinearizable(long seed) {
    List<Operation> history = new RandomHistory(seed, 4, 6, 0.03).generate(600);
    CheckResult result = new LinearizabilityChecker().check(history);
    assertThat(result.verdict()).as(String.join("\n", result.summary())).isEqualTo(Verdict.LINEARIZABLE);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void aReadOfAValueNeverWrittenIsAViolationAndIsNamed(long seed) {
    List<Operation> history = new ArrayList<>(new RandomHistory(seed, 4, 6, 0.03).generate(600));
    Random random = new Random(seed);
    int victim;
    do {
      victim = random.nextInt(history.size());
    } while (history.get(victim).kind() != Operation.Kind.GET
        || history.get(victim).outcome() != Operation.Outcome.OK);
    Operation read = withOutput(history.get(victim), "never-written");
    history.set(victim, read);

    CheckResult result = new LinearizabilityChecker().check(history);

    assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    assertThat(result.keysWith(Verdict.NOT_LINEARIZABLE)).containsExactly(read.key());
    Explanation explanation = result.explanation().orElseThrow();
    assertThat(explanation.minimal()).isTrue();
    assertThat(explanation.window()).containsExactly(read);
  }

  private static Operation withOutput(Operation op, String output) {
    return new Operation(
        op.id(), op.process(), op.kind(), op.key(), op.value(), op.expected(), op.outcome(),
        op.error(), output, op.invokeNanos(), op.completeNanos());
  }
}
