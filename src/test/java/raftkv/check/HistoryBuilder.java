package raftkv.check;

import java.util.ArrayList;
import java.util.List;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

/** Hand-written histories: times in milliseconds, ids numbered from 1 in the order written. */
final class HistoryBuilder {
  private static final long MS = 1_000_000;

  private final List<Operation> ops = new ArrayList<>();

  List<Operation> ops() {
    return List.copyOf(ops);
  }

  Operation put(int p, String key, String value, long from, long to) {
    return ok(p, Kind.PUT, key, value, null, null, null, from, to);
  }

  Operation get(int p, String key, String seen, long from, long to) {
    return ok(p, Kind.GET, key, null, null, null, seen, from, to);
  }

  Operation delete(int p, String key, long from, long to) {
    return ok(p, Kind.DELETE, key, null, null, null, null, from, to);
  }

  Operation cas(int p, String key, String expected, String value, long from, long to) {
    return ok(p, Kind.CAS, key, value, expected, null, null, from, to);
  }

  Operation casMismatch(int p, String key, String expected, String value, String found, long from, long to) {
    return ok(p, Kind.CAS, key, value, expected, "cas_mismatch", found, from, to);
  }

  Operation incr(int p, String key, long delta, String result, long from, long to) {
    return ok(p, Kind.INCR, key, Long.toString(delta), null, null, result, from, to);
  }

  Operation incrError(int p, String key, long delta, String error, long from, long to) {
    return ok(p, Kind.INCR, key, Long.toString(delta), null, error, null, from, to);
  }

  /** A put that got no answer. */
  Operation putUnknown(int p, String key, String value, long from) {
    return add(p, Kind.PUT, key, value, null, Outcome.UNKNOWN, null, null, from * MS, Long.MAX_VALUE);
  }

  /** A put refused (not_leader): it never took effect. */
  Operation putFailed(int p, String key, String value, long from, long to) {
    return add(p, Kind.PUT, key, value, null, Outcome.FAIL, "not_leader", null, from * MS, to * MS);
  }

  private Operation ok(
      int p, Kind kind, String key, String value, String expected, String error, String output, long from, long to) {
    return add(p, kind, key, value, expected, Outcome.OK, error, output, from * MS, to * MS);
  }

  private Operation add(
      int p, Kind kind, String key, String value, String expected, Outcome outcome, String error,
      String output, long invoke, long complete) {
    Operation op =
        new Operation(ops.size() + 1, p, kind, key, value, expected, outcome, error, output, invoke, complete);
    ops.add(op);
    return op;
  }
}
