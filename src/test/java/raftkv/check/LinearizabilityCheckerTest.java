package raftkv.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

  private final HistoryBuilder h = new HistoryBuilder();

  private CheckResult check() {
    return new LinearizabilityChecker().check(h.ops());
  }

  private void assertLinearizable() {
    CheckResult result = check();
    assertThat(result.verdict()).as(String.join("\n", result.summary())).isEqualTo(Verdict.LINEARIZABLE);
    assertThat(result.explanation()).isEmpty();
  }

  /** Not linearizable, and the explanation's window is exactly {@code window}. */
  private CheckResult assertViolationShownBy(Operation... window) {
    CheckResult result = check();
    assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    Explanation explanation = result.explanation().orElseThrow();
    assertThat(explanation.minimal()).isTrue();
    assertThat(explanation.window()).containsExactlyInAnyOrder(window);
    for (Operation op : window) {
      assertThat(explanation.toString()).contains("#" + op.id() + " p" + op.process());
    }
    return result;
  }

  // Linearizable

  @Test
  void sequentialHistory() {
    h.put(1, "k", "a", 0, 1);
    h.get(2, "k", "a", 2, 3);
    h.put(1, "k", "b", 4, 5);
    h.get(3, "k", "b", 6, 7);
    h.get(3, "other", null, 8, 9);
    assertLinearizable();
  }

  @Test
  void overlappingWritesWithReadsThatSeeEitherOrder() {
    h.put(1, "k", "a", 0, 10);
    h.put(2, "k", "b", 0, 10);
    h.get(3, "k", "b", 1, 2);
    h.get(4, "k", "a", 3, 4);
    h.get(3, "k", "a", 11, 12);
    assertLinearizable();
  }

  @Test
  void casChain() {
    h.cas(1, "k", null, "1", 0, 1);
    h.cas(2, "k", "1", "2", 2, 3);
    h.casMismatch(1, "k", "1", "3", "2", 4, 5);
    h.cas(3, "k", "2", "3", 4, 6);
    h.get(1, "k", "3", 7, 8);
    assertLinearizable();
  }

  @Test
  void incrCountsFromAbsentAndRefusesNonNumbersAndOverflow() {
    h.incr(1, "n", 5, "5", 0, 1);
    h.incr(2, "n", -2, "3", 2, 3);
    h.incr(1, "n", 1, "4", 4, 6);
    h.incr(2, "n", 1, "5", 5, 7);
    h.put(1, "n", Long.toString(Long.MAX_VALUE), 8, 9);
    h.incrError(2, "n", 1, "overflow", 10, 11);
    h.put(1, "n", "x", 12, 13);
    h.incrError(2, "n", 1, "not_a_number", 14, 15);
    assertLinearizable();
  }

  @Test
  void deleteMakesTheKeyAbsent() {
    h.put(1, "k", "a", 0, 1);
    h.delete(2, "k", 2, 3);
    h.get(1, "k", null, 4, 5);
    h.cas(3, "k", null, "b", 6, 7);
    assertLinearizable();
  }

  @Test
  void unknownWriteThatTookEffect() {
    h.put(1, "k", "a", 0, 1);
    h.putUnknown(2, "k", "b", 2);
    h.get(3, "k", "b", 3, 4);
    h.get(3, "k", "b", 5, 6);
    assertLinearizable();
  }

  @Test
  void unknownWriteThatNeverTookEffect() {
    h.put(1, "k", "a", 0, 1);
    h.putUnknown(2, "k", "b", 2);
    h.get(3, "k", "a", 3, 4);
    h.get(3, "k", "a", 500, 501);
    assertLinearizable();
  }

  @Test
  void unknownWriteNeverRead() {
    h.putUnknown(2, "k", "b", 0);
    h.put(1, "k", "a", 1, 2);
    assertLinearizable();
  }

  @Test
  void unknownWriteWhoseEffectAppearsLongAfterItsInvocation() {
    h.put(1, "k", "a", 0, 1);
    h.putUnknown(2, "k", "late", 2);
    for (int i = 0; i < 50; i++) {
      h.put(1, "k", "v" + i, 10 + 4 * i, 11 + 4 * i);
      h.get(3, "k", "v" + i, 12 + 4 * i, 13 + 4 * i);
    }
    h.get(3, "k", "late", 1000, 1001);
    assertLinearizable();
  }

  @Test
  void failedOperationsAndUnansweredReadsAreIgnored() {
    h.put(1, "k", "a", 0, 1);
    h.putFailed(2, "k", "b", 2, 3);
    h.get(1, "k", "a", 4, 5);
    CheckResult result = check();
    assertThat(result.verdict()).isEqualTo(Verdict.LINEARIZABLE);
    assertThat(result.opsChecked()).isEqualTo(3);
    assertThat(result.failed()).isEqualTo(1);
    assertThat(result.keys()).containsExactly(new KeyResult("k", Verdict.LINEARIZABLE, 2, result.keys().get(0).states()));
  }

  @Test
  void emptyHistoryIsLinearizable() {
    assertLinearizable();
  }

  // Not linearizable

  @Test
  void staleReadAfterAcknowledgedWrite() {
    Operation first = h.put(1, "k", "a", 0, 1);
    Operation second = h.put(1, "k", "b", 2, 3);
    Operation stale = h.get(2, "k", "a", 4, 5);
    h.get(3, "k", "b", 6, 7);
    assertViolationShownBy(first, second, stale);
  }

  @Test
  void lostAcknowledgedWrite() {
    h.put(1, "x", "0", 0, 1);
    Operation older = h.put(1, "k", "old", 0, 1);
    Operation lost = h.put(2, "k", "new", 2, 3);
    for (int i = 0; i < 10; i++) {
      h.get(3, "x", "0", 4 + i, 4 + i);
    }
    Operation sawOld = h.get(3, "k", "old", 20, 21);
    h.get(4, "k", "old", 22, 23);
    CheckResult result = assertViolationShownBy(older, lost, sawOld);
    assertThat(result.keysWith(Verdict.NOT_LINEARIZABLE)).containsExactly("k");
    assertThat(result.keysWith(Verdict.LINEARIZABLE)).containsExactly("x");
  }

  @Test
  void twoSuccessfulCasFromOneExpectedValue() {
    h.put(1, "k", "a", 0, 1);
    Operation one = h.cas(2, "k", "a", "b", 2, 10);
    Operation two = h.cas(3, "k", "a", "c", 3, 9);
    assertViolationShownBy(one, two);
  }

  @Test
  void readOfAValueNeverWritten() {
    h.put(1, "k", "a", 0, 1);
    Operation phantom = h.get(2, "k", "zzz", 2, 3);
    assertViolationShownBy(phantom);
  }

  @Test
  void readOfAValueOnlyARefusedWriteHad() {
    h.putFailed(1, "k", "a", 0, 1);
    Operation phantom = h.get(2, "k", "a", 2, 3);
    assertViolationShownBy(phantom);
  }

  @Test
  void incrThatSkipsAValue() {
    h.incr(1, "n", 1, "1", 0, 1);
    Operation three = h.incr(2, "n", 1, "3", 2, 3);
    // even if the first incr counts as unanswered, no order reaches 3
    assertViolationShownBy(three);
  }

  @Test
  void concurrentIncrsThatRepeatAValue() {
    Operation a = h.incr(1, "n", 1, "1", 0, 5);
    Operation b = h.incr(2, "n", 1, "1", 1, 6);
    assertViolationShownBy(a, b);
  }

  @Test
  void readsThatGoBackwardsAcrossTwoSequentialReaders() {
    Operation a = h.put(1, "k", "a", 0, 1);
    Operation b = h.put(2, "k", "b", 2, 100);
    Operation newer = h.get(3, "k", "b", 10, 11);
    Operation older = h.get(4, "k", "a", 12, 13);
    // whether the put of b was acknowledged does not matter: it is context
    CheckResult result = assertViolationShownBy(a, newer, older);
    assertThat(result.explanation().orElseThrow().context()).containsExactly(b);
  }

  @Test
  void casMismatchMustReportTheActualValue() {
    h.put(1, "k", "a", 0, 1);
    Operation wrong = h.casMismatch(2, "k", "x", "y", "b", 2, 3);
    assertViolationShownBy(wrong);
  }

  @Test
  void explanationLinesAreInInvocationOrderWithRelativeTimes() {
    h.put(1, "k", "a", 100, 101);
    h.put(1, "k", "b", 102, 103);
    h.get(2, "k", "a", 104, 105);
    List<String> lines = check().explanation().orElseThrow().lines();
    assertThat(lines.subList(1, lines.size()))
        .containsExactly(
            "  #1 p1 put k \"a\" -> ok  [0.000 ms .. 1.000 ms]",
            "  #2 p1 put k \"b\" -> ok  [2.000 ms .. 3.000 ms]",
            "  #3 p2 get k -> \"a\"  [4.000 ms .. 5.000 ms]");
  }

  // Limits and bad input

  @Test
  void runningOutOfStatesIsUndecidedNeverLinearizable() {
    for (int i = 0; i < 12; i++) {
      h.incr(i, "n", 1, Integer.toString(i + 1), 0, 100);
    }
    CheckResult result = new LinearizabilityChecker(java.time.Duration.ofSeconds(10), 5).check(h.ops());
    assertThat(result.verdict()).isEqualTo(Verdict.UNDECIDED);
    assertThat(result.summary()).anyMatch(line -> line.startsWith("linearizable: undecided"));
  }

  @Test
  void malformedOperationIsRefusedByName() {
    h.put(1, "k", "a", 0, 1);
    List<Operation> ops =
        List.of(new Operation(9, 1, Operation.Kind.INCR, "n", "one", null, Operation.Outcome.OK, null, "1", 0, 1));
    assertThatThrownBy(() -> new LinearizabilityChecker().check(ops))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("operation #9: incr delta \"one\" is not a signed 64-bit integer");
  }
}
