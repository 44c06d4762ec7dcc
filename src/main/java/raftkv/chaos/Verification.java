package raftkv.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import raftkv.check.CheckResult;
import raftkv.check.LinearizabilityChecker;
import raftkv.check.Operation;
import raftkv.check.Verdict;

/**
 * The checker's verdict on a run's history, and what it says about lost writes. The final reads,
 * taken after the heal with nothing else in flight, are part of the history: an acknowledged write
 * that was lost shows as a key whose final read no order of its writes explains. Such a key is one
 * whose history is linearizable without its final reads and not with them.
 */
record Verification(Verdict verdict, List<String> lostKeys, boolean lossUndecided, CheckResult result) {

  static Verification of(List<Operation> history, Set<Long> finalReads) {
    LinearizabilityChecker checker = new LinearizabilityChecker();
    CheckResult result = checker.check(history);
    List<String> lost = new ArrayList<>();
    boolean undecided = false;
    for (String key : result.keysWith(Verdict.NOT_LINEARIZABLE)) {
      List<Operation> before =
          history.stream()
              .filter(op -> op.key().equals(key) && !finalReads.contains(op.id()))
              .toList();
      Verdict v = checker.check(before).verdict();
      if (v == Verdict.LINEARIZABLE) {
        lost.add(key);
      } else {
        undecided = true; // already wrong before the final read: whether a write was lost is moot
      }
    }
    return new Verification(result.verdict(), lost, undecided, result);
  }

  boolean passed() {
    return verdict == Verdict.LINEARIZABLE && lostKeys.isEmpty();
  }

  /** The lines of the summary, and the checker's explanation of a violation. */
  List<String> lines() {
    List<String> lines = new ArrayList<>();
    if (lostKeys.isEmpty() && !lossUndecided) {
      lines.add("acknowledged writes lost: 0");
    } else if (lostKeys.isEmpty()) {
      lines.add("acknowledged writes lost: undecided (the history is not linearizable before the final reads)");
    } else {
      lines.add(
          "acknowledged writes lost: on " + lostKeys.size() + " key(s) " + lostKeys
              + " (no order of their writes explains the final read)");
    }
    // The checker's own lines: its verdict ("linearizable: yes"), its time, and the explanation of
    // a violation; the counts are the run's already.
    result.summary().stream().filter(l -> !l.startsWith("operations:")).forEach(lines::add);
    return lines;
  }

  String problem() {
    return "history " + (verdict == Verdict.NOT_LINEARIZABLE ? "not linearizable" : "undecided")
        + (lostKeys.isEmpty() ? "" : "; acknowledged writes lost on " + lostKeys);
  }
}
