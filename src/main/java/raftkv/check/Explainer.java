package raftkv.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Shrinks a non-linearizable key history to an {@link Explanation}. Each step only weakens what the
 * history says and keeps a history the search has shown non-linearizable, so the window's
 * violation is the full history's:
 *
 * <ol>
 *   <li>Cut the tail: the first {@code m} OK operations by completion stay; the other operations
 *       invoked by the last of those completions count as UNKNOWN, and later ones go (they could only
 *       be linearized after every remaining OK operation). The smallest failing {@code m} is found by
 *       bisection.
 *   <li>Delta debugging (ddmin) over the answers: ignore what OK gets, cas and incr operations
 *       answered (they still take effect within their intervals) while the history stays
 *       non-linearizable, down to single operations.
 *   <li>ddmin over the writes left (puts, deletes, and the cas and incr operations whose answers are
 *       ignored): turn them into UNKNOWN ones (maybe late, maybe never) while it stays
 *       non-linearizable.
 * </ol>
 *
 * The window is the answers and the writes that are left, 1-minimal unless a budget ran out.
 * Weakening rather than deleting matters: deleting the write a stale read should have seen would
 * leave a "read of a value never written", a different story.
 */
final class Explainer {

  /** Each check while shrinking explores at most this many configurations; beyond, it counts as passing. */
  private static final long MAX_STATES_PER_CHECK = 200_000;

  private final Budget overall;
  private final List<Operation> unknown = new ArrayList<>();
  private boolean budgetRanOut;

  private Explainer(Budget overall) {
    this.overall = overall;
  }

  /** {@code ops}: one key's operations, known not to be linearizable. */
  static Explanation explain(String key, List<Operation> ops, Budget overall) {
    Explainer explainer = new Explainer(overall);
    List<Operation> ok = new ArrayList<>();
    for (Operation op : ops) {
      if (op.outcome() == Operation.Outcome.OK) {
        ok.add(op);
      } else if (op.outcome() == Operation.Outcome.UNKNOWN) {
        explainer.unknown.add(op);
      }
    }
    ok.sort(Comparator.comparingLong(Operation::completeNanos));
    List<Operation> kept = explainer.cutTail(ok);
    List<Operation> answers = new ArrayList<>();
    List<Operation> writes = new ArrayList<>();
    for (Operation op : kept) {
      boolean blind = op.kind() == Operation.Kind.PUT || op.kind() == Operation.Kind.DELETE;
      (blind ? writes : answers).add(op);
    }
    List<Operation> weakened = explainer.weakened(ok, kept);
    List<Operation> answered =
        explainer.ddmin(
            answers,
            rest -> {
              List<Operation> unanswered = new ArrayList<>(writes);
              unanswered.addAll(without(answers, rest));
              return explainer.fails(rest, unanswered, weakened);
            });
    writes.addAll(without(answers, answered));
    List<Operation> definite =
        explainer.ddmin(
            writes,
            rest -> {
              List<Operation> context = new ArrayList<>(weakened);
              without(writes, rest).forEach(op -> context.add(asUnknown(op)));
              return explainer.fails(answered, rest, context);
            });

    List<Operation> window = new ArrayList<>(answered);
    window.addAll(definite);
    Comparator<Operation> invocationOrder =
        Comparator.comparingLong(Operation::invokeNanos).thenComparingLong(Operation::id);
    window.sort(invocationOrder);
    List<Operation> context = context(window, ops);
    context.sort(invocationOrder);
    return new Explanation(key, window, context, !explainer.budgetRanOut);
  }

  /** The first OK operations by completion that still fail, with their context as in step 1. */
  private List<Operation> cutTail(List<Operation> ok) {
    int pass = 0;
    int fail = ok.size();
    while (fail - pass > 1) {
      int mid = (pass + fail) >>> 1;
      List<Operation> kept = ok.subList(0, mid);
      if (fails(kept, List.of(), weakened(ok, kept))) {
        fail = mid;
      } else {
        pass = mid;
      }
    }
    return new ArrayList<>(ok.subList(0, fail));
  }

  /**
   * The OK operations not in {@code kept} and the UNKNOWN ones, as UNKNOWN, less those invoked after
   * the last completion in {@code kept}.
   */
  private List<Operation> weakened(List<Operation> ok, List<Operation> kept) {
    long horizon = kept.stream().mapToLong(Operation::completeNanos).max().orElse(Long.MIN_VALUE);
    List<Operation> weakened = new ArrayList<>();
    for (Operation op : without(ok, kept)) {
      if (op.invokeNanos() <= horizon) {
        weakened.add(asUnknown(op));
      }
    }
    for (Operation op : unknown) {
      if (op.invokeNanos() <= horizon) {
        weakened.add(op);
      }
    }
    return weakened;
  }

  /** ddmin: drops ever finer chunks of {@code items} while {@code stillFails} holds for the rest. */
  private List<Operation> ddmin(List<Operation> items, Predicate<List<Operation>> stillFails) {
    List<Operation> kept = items;
    int chunks = 2;
    while (!kept.isEmpty()) {
      boolean shrunk = false;
      int n = Math.min(chunks, kept.size());
      for (int i = 0; i < n && !shrunk; i++) {
        List<Operation> rest = new ArrayList<>(kept.subList(0, i * kept.size() / n));
        rest.addAll(kept.subList((i + 1) * kept.size() / n, kept.size()));
        if (stillFails.test(rest)) {
          kept = rest;
          chunks = Math.max(chunks - 1, 2);
          shrunk = true;
        }
      }
      if (!shrunk) {
        if (n >= kept.size()) {
          break;
        }
        chunks = Math.min(chunks * 2, kept.size());
      }
    }
    return kept;
  }

  /**
   * Whether the search shows that {@code answered} (OK, answers counted), {@code unanswered} (OK,
   * answers ignored) and {@code context} (UNKNOWN) are not linearizable together. A check that runs
   * out of budget counts as passing.
   */
  private boolean fails(List<Operation> answered, List<Operation> unanswered, List<Operation> context) {
    if (overall.pastDeadline()) {
      budgetRanOut = true;
      return false;
    }
    List<Operation> history = new ArrayList<>(answered);
    history.addAll(unanswered);
    history.addAll(context);
    Budget budget = new Budget(Math.min(MAX_STATES_PER_CHECK, overall.maxStates()), overall.deadlineNanos());
    Verdict verdict = KeySearch.check(history, new HashSet<>(unanswered), budget).verdict();
    if (verdict == Verdict.UNDECIDED) {
      budgetRanOut = true;
    }
    return verdict == Verdict.NOT_LINEARIZABLE;
  }

  private static List<Operation> without(List<Operation> all, List<Operation> some) {
    Set<Operation> drop = new HashSet<>(some);
    List<Operation> rest = new ArrayList<>();
    for (Operation op : all) {
      if (!drop.contains(op)) {
        rest.add(op);
      }
    }
    return rest;
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

  private static Operation asUnknown(Operation op) {
    if (op.outcome() == Operation.Outcome.UNKNOWN) {
      return op;
    }
    return new Operation(
        op.id(), op.process(), op.kind(), op.key(), op.value(), op.expected(),
        Operation.Outcome.UNKNOWN, null, null, op.invokeNanos(), Long.MAX_VALUE);
  }
}
