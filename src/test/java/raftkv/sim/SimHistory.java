package raftkv.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import raftkv.check.Operation;
import raftkv.check.Operation.Outcome;
import raftkv.testkit.VirtualTimeScheduler;

/**
 * What the simulated clients did and saw, in virtual time: every operation for the linearizability
 * checker, and the log index each answered write reports it was applied at. A (clientId, seq) may be
 * answered several times (a retry after the first answer was lost gets the first outcome back), but
 * always with the same index: a second index means the write was applied twice.
 */
final class SimHistory {

  private final VirtualTimeScheduler time;
  private final long originNanos;
  private final List<Operation> ops = new ArrayList<>();
  private final Map<String, Long> appliedAt = new HashMap<>();
  private final List<String> violations = new ArrayList<>();
  private final List<String> unexpected = new ArrayList<>();
  private final Set<Integer> busy = new HashSet<>();

  private final Consumer<Operation> onRecord;

  /** {@code onRecord} sees each operation as it completes (a replay prints them). */
  SimHistory(VirtualTimeScheduler time, Consumer<Operation> onRecord) {
    this.time = time;
    this.onRecord = onRecord;
    this.originNanos = time.now().toNanos();
  }

  /** Virtual time since the run began. */
  long nowNanos() {
    return time.now().toNanos() - originNanos;
  }

  void record(
      int process, SimWorkload.Next op, Outcome outcome, String error, String output, long invoked, long completed) {
    Operation o =
        new Operation(
            ops.size(), process, op.kind(), op.key(), op.value(), op.expected(), outcome, error, output,
            invoked, completed);
    ops.add(o);
    onRecord.accept(o);
  }

  void applied(String clientId, long seq, long index) {
    Long before = appliedAt.putIfAbsent(clientId + "/" + seq, index);
    if (before != null && before != index) {
      violations.add(clientId + " seq " + seq + " applied at index " + before + " and again at " + index);
    }
  }

  void unexpected(String what) {
    unexpected.add(what);
  }

  void busy(int process) {
    busy.add(process);
  }

  void idle(int process) {
    busy.remove(process);
  }

  boolean anyBusy() {
    return !busy.isEmpty();
  }

  /** Operations completed so far. */
  int size() {
    return ops.size();
  }

  List<Operation> operations() {
    return List.copyOf(ops);
  }

  /** Writes applied twice. */
  List<String> doubleApplied() {
    return List.copyOf(violations);
  }

  /** Errors a correct client never gets (a refused session, a reused seq, ...). */
  List<String> unexpectedErrors() {
    return List.copyOf(unexpected);
  }

  long count(Outcome outcome) {
    return ops.stream().filter(o -> o.outcome() == outcome).count();
  }
}
