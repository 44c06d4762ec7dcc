package raftkv.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Shrinks a non-linearizable key history to an {@link Explanation}. Every step keeps a history that
 * the search has shown non-linearizable, and each step only weakens what the full history says, so
 * the window's violation is the full history's:
 *
 * <ol>
 *   <li>Cut the tail: the first {@code m} OK operations by completion stay; the other operations
 *       invoked by the last of those completions count as UNKNOWN, and later ones go (they could only
 *       be linearized after every remaining OK operation). The smallest failing {@code m} is found by
 *       bisection.
 *   <li>Delta debugging (ddmin): turn sets of the remaining OK operations into UNKNOWN ones while the
 *       history stays non-linearizable, down to single operations, so the window is 1-minimal.
 * </ol>
 *
 * Turning an OK operation into an UNKNOWN one, rather than deleting it, matters: deleting the write a
 * stale read should have seen would leave a "read of a value never written", a different story.
 */
final class Explainer {

  private final long maxStatesPerCheck;
  private final Budget overall;
  private boolean budgetRanOut;

  private Explainer(long maxStatesPerCheck, Budget overall) {
    this.maxStatesPerCheck = maxStatesPerCheck;
    this.overall = overall;
  }

  /** {@code ops}: one key's operations, known not to be linearizable. */
  static Explanation explain(String key, List<Operation> ops, long maxStatesPerCheck, Budget overall) {
    Explainer explainer = new Explainer(maxStatesPerCheck, overall);
    List<Operation> ok = new ArrayList<>();
    List<Operation> others = new ArrayList<>();
    for (Operation op : ops) {
      if (op.outcome() == Operation.Outcome.OK) {
        ok.add(op);
      } else if (op.outcome() == Operation.Outcome.UNKNOWN) {
        others.add(op);
      }
    }
    ok.sort(Comparator.comparingLong(Operation::completeNanos));
    List<Operation> window = explainer.shrink(explainer.cutTail(ok, others), ops);
    Comparator<Operation> invocationOrder =
        Comparator.comparingLong(Operation::invokeNanos).thenComparingLong(Operation::id);
    window.sort(invocationOrder);
    List<Operation> context = context(window, ops);
    context.sort(invocationOrder);
    return new Explanation(key, window, context, !explainer.budgetRanOut);
  }

  /** The puts and cas writes outside {@code window} of a value that an operation in it read or expected. */
  private static List<Operation> context(List<Operation> window, List<Operation> all) {
    Set<String> seen = new HashSet<>();
    for (Operation op : window) {
      if (op.kind() == Operation.Kind.GET || op.kind() == Operation.Kind.CAS) {
        seen.add(op.output());
        seen.add(op.expected());
      }
    }
    seen.remove(null);
    Set<Operation> inWindow = new HashSet<>(window);
    List<Operation> context = new ArrayList<>();
    for (Operation op : all) {
      boolean writes = op.kind() == Operation.Kind.PUT || op.kind() == Operation.Kind.CAS;
      if (writes && !inWindow.contains(op) && op.outcome() != Operation.Outcome.FAIL && seen.contains(op.value())) {
        context.add(op);
      }
    }
    return context;
  }

  /** The first OK operations by completion that still fail, with their context as in step 1. */
  private List<Operation> cutTail(List<Operation> ok, List<Operation> others) {
    int pass = 0;
    int fail = ok.size();
    while (fail - pass > 1) {
      int mid = (pass + fail) >>> 1;
      if (fails(ok.subList(0, mid), context(ok, others, mid))) {
        fail = mid;
      } else {
        pass = mid;
      }
    }
    return new ArrayList<>(ok.subList(0, fail));
  }

  /** Every operation but the first {@code m} OK ones that is invoked by the m-th one completes, as UNKNOWN. */
  private static List<Operation> context(List<Operation> ok, List<Operation> others, int m) {
    long horizon = ok.get(m - 1).completeNanos();
    List<Operation> context = new ArrayList<>();
    for (Operation op : ok.subList(m, ok.size())) {
      if (op.invokeNanos() <= horizon) {
        context.add(asUnknown(op));
      }
    }
    for (Operation op : others) {
      if (op.invokeNanos() <= horizon) {
        context.add(op);
      }
    }
    return context;
  }

  /** ddmin over {@code kept}: complements of ever finer chunks become UNKNOWN while it fails. */
  private List<Operation> shrink(List<Operation> kept, List<Operation> all) {
    int chunks = 2;
    while (kept.size() > 1) {
      boolean shrunk = false;
      for (List<Operation> chunk : split(kept, Math.min(chunks, kept.size()))) {
        List<Operation> rest = new ArrayList<>(kept);
        rest.removeAll(chunk);
        if (fails(rest, weakenedExcept(all, rest))) {
          kept = rest;
          chunks = Math.max(chunks - 1, 2);
          shrunk = true;
          break;
        }
      }
      if (!shrunk) {
        if (chunks >= kept.size()) {
          break;
        }
        chunks = Math.min(chunks * 2, kept.size());
      }
    }
    return kept;
  }

  /**
   * Every operation of {@code all} but {@code kept}, as UNKNOWN, except those invoked after the last
   * completion in {@code kept} (step 1 showed they do not matter).
   */
  private static List<Operation> weakenedExcept(List<Operation> all, List<Operation> kept) {
    Set<Operation> keep = new HashSet<>(kept);
    long horizon = kept.stream().mapToLong(Operation::completeNanos).max().orElse(Long.MIN_VALUE);
    List<Operation> context = new ArrayList<>();
    for (Operation op : all) {
      if (!keep.contains(op) && op.outcome() != Operation.Outcome.FAIL && op.invokeNanos() <= horizon) {
        context.add(asUnknown(op));
      }
    }
    return context;
  }

  private static List<List<Operation>> split(List<Operation> ops, int n) {
    List<List<Operation>> parts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      parts.add(ops.subList(i * ops.size() / n, (i + 1) * ops.size() / n));
    }
    return parts;
  }

  private boolean fails(List<Operation> ok, List<Operation> unknown) {
    if (overall.pastDeadline()) {
      budgetRanOut = true;
      return false;
    }
    List<Operation> history = new ArrayList<>(ok);
    history.addAll(unknown);
    Verdict verdict =
        KeySearch.check(history, new Budget(maxStatesPerCheck, overall.deadlineNanos())).verdict();
    if (verdict == Verdict.UNDECIDED) {
      budgetRanOut = true;
    }
    return verdict == Verdict.NOT_LINEARIZABLE;
  }

  static Operation asUnknown(Operation op) {
    if (op.outcome() == Operation.Outcome.UNKNOWN) {
      return op;
    }
    return new Operation(
        op.id(), op.process(), op.kind(), op.key(), op.value(), op.expected(),
        Operation.Outcome.UNKNOWN, null, null, op.invokeNanos(), Long.MAX_VALUE);
  }
}
