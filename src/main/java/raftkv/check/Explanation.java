package raftkv.check;

import java.util.ArrayList;
import java.util.List;

/**
 * Why one key's history is not linearizable: a window of its acknowledged operations that no order
 * can explain (each taking effect within its interval, and answering what it answered), even when
 * every other operation on the key counts as having possibly taken effect at any time after its
 * invocation, or never.
 *
 * <p>With {@code minimal} true the window is 1-minimal: ignore the answer of any one of its reads,
 * or treat any one of its writes like the others, and the rest can be linearized. False means the
 * search budget ran out while shrinking, so the window still shows a violation but may hold
 * operations that play no part in it.
 *
 * <p>{@code context} helps a reader: the other writes of a value that the window reads or expects
 * (as their outcome does not matter here, they may have taken effect late, or never).
 *
 * @param window the operations, in invocation order
 * @param context writes outside the window, in invocation order
 */
public record Explanation(String key, List<Operation> window, List<Operation> context, boolean minimal) {

  public Explanation {
    window = List.copyOf(window);
    context = List.copyOf(context);
  }

  /** A heading line, then one line per operation, times relative to the first invocation. */
  public List<String> lines() {
    List<String> lines = new ArrayList<>();
    lines.add(
        "key " + OperationText.quote(key) + ": "
            + (window.size() == 1
                ? "this operation, taking effect within its interval, cannot have returned what it did"
                : "no order of these " + window.size()
                    + " operations, each taking effect within its interval, explains what they returned")
            + (minimal ? "" : " (not shrunk to the smallest such set: the budget ran out)")
            + ", even if every other operation on the key took effect at any time after its"
            + " invocation, or never:");
    long origin = window.get(0).invokeNanos();
    for (Operation op : window) {
      lines.add("  " + OperationText.line(op, origin));
    }
    if (!context.isEmpty()) {
      lines.add("writes of the values they read, outside the window (may have taken effect late, or never):");
      for (Operation op : context) {
        lines.add("  " + OperationText.line(op, origin));
      }
    }
    return lines;
  }

  @Override
  public String toString() {
    return String.join(System.lineSeparator(), lines());
  }
}
