package raftkv.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@link LinearizabilityChecker#check} found: the verdict ({@link Verdict#NOT_LINEARIZABLE} if
 * any key's history is not linearizable, else {@link Verdict#UNDECIDED} if any key's search ran out
 * of budget, else {@link Verdict#LINEARIZABLE}), the counts, each key's verdict (in key order), and
 * for a violation the explanation of one failing key.
 */
public record CheckResult(
    Verdict verdict,
    int ok,
    int failed,
    int unknown,
    List<KeyResult> keys,
    Optional<Explanation> explanation,
    Duration elapsed) {

  public CheckResult {
    keys = List.copyOf(keys);
  }

  /** All operations of the history, FAIL ones included. */
  public int opsChecked() {
    return ok + failed + unknown;
  }

  public boolean linearizable() {
    return verdict == Verdict.LINEARIZABLE;
  }

  /** The keys with the given verdict, in key order. */
  public List<String> keysWith(Verdict v) {
    return keys.stream().filter(k -> k.verdict() == v).map(KeyResult::key).collect(Collectors.toList());
  }

  /** A few lines for people: counts, verdict, time, then the explanation if there is one. */
  public List<String> summary() {
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "operations: %d (ok %d, fail %d, unknown %d), keys: %d",
            opsChecked(), ok, failed, unknown, keys.size()));
    String detail = "";
    if (verdict == Verdict.NOT_LINEARIZABLE) {
      detail = " (keys " + quoted(keysWith(Verdict.NOT_LINEARIZABLE)) + ")";
    } else if (verdict == Verdict.UNDECIDED) {
      detail =
          " (the search budget ran out on keys " + quoted(keysWith(Verdict.UNDECIDED))
              + "; raise --time-limit or --max-states)";
    }
    lines.add("linearizable: " + verdict.word() + detail);
    long states = keys.stream().mapToLong(KeyResult::states).sum();
    lines.add(
        String.format(
            Locale.ROOT, "checked in %.3f s (%d states searched)", elapsed.toNanos() / 1e9, states));
    explanation.ifPresent(e -> lines.addAll(e.lines()));
    return lines;
  }

  private static String quoted(List<String> keys) {
    return keys.stream().map(OperationText::quote).collect(Collectors.joining(", "));
  }
}
