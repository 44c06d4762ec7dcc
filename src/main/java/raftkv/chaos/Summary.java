package raftkv.chaos;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import raftkv.check.Operation;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

/** The figures a run reports, computed from its history and its faults. Pure. */
final class Summary {

  /** A fault as it happened: when it started and ended (nanoTime) and what it hit. */
  record Injected(Fault fault, String description, long startNanos, long endNanos) {}

  /** One fault's longest stretch without a successful write, from its start to the next's. */
  record Unavailability(Injected fault, long longestNanos) {}

  private Summary() {}

  /** OK, FAIL and UNKNOWN counts, in that order. */
  static int[] outcomes(List<Operation> history) {
    int[] counts = new int[3];
    for (Operation op : history) {
      counts[op.outcome().ordinal()]++;
    }
    return counts;
  }

  /** Some operations' figures: how many, and by outcome; {@code okWrites} counts OK non-gets. */
  record Counts(int ops, int ok, int okWrites, int failed, int unknown) {}

  static Counts counts(List<Operation> ops) {
    int[] by = outcomes(ops);
    int okWrites =
        (int) ops.stream().filter(op -> op.outcome() == Outcome.OK && op.kind() != Kind.GET).count();
    return new Counts(ops.size(), by[0], okWrites, by[1], by[2]);
  }

  /** "812 (640 ok, 301 of them writes; 3 failed; 12 unknown)". */
  static String describe(Counts c) {
    return String.format(
        Locale.ROOT,
        "%d (%d ok, %d of them writes; %d failed; %d unknown)",
        c.ops(), c.ok(), c.okWrites(), c.failed(), c.unknown());
  }

  /** Faults per kind, in the order of {@link Fault.Kind}. */
  static Map<Fault.Kind, Integer> byKind(List<Injected> faults) {
    Map<Fault.Kind, Integer> counts = new EnumMap<>(Fault.Kind.class);
    for (Injected f : faults) {
      counts.merge(f.fault().kind(), 1, Integer::sum);
    }
    return counts;
  }

  /** "kill 3, pause 2" (or "none"). */
  static String describeKinds(Map<Fault.Kind, Integer> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((kind, n) -> parts.add(kind.label + " " + n));
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  /**
   * For each fault, the longest time from its start to the next fault's start (the last: to {@code
   * endNanos}) during which no write succeeded. A write succeeded when the state machine answered
   * it (outcome OK, a cas mismatch included); the stretch is measured between completions, and
   * from the fault's start to the first one.
   */
  static List<Unavailability> unavailability(
      List<Operation> history, List<Injected> faults, long endNanos) {
    long[] writes =
        history.stream()
            .filter(op -> op.kind() != Kind.GET && op.outcome() == Outcome.OK)
            .mapToLong(Operation::completeNanos)
            .sorted()
            .toArray();
    List<Unavailability> out = new ArrayList<>();
    for (int i = 0; i < faults.size(); i++) {
      long from = faults.get(i).startNanos();
      long to = i + 1 < faults.size() ? faults.get(i + 1).startNanos() : endNanos;
      long last = from;
      long longest = 0;
      for (long w : writes) {
        if (w <= from) {
          continue;
        }
        if (w >= to) {
          break;
        }
        longest = Math.max(longest, w - last);
        last = w;
      }
      longest = Math.max(longest, to - last);
      out.add(new Unavailability(faults.get(i), longest));
    }
    return out;
  }

  static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }
}
