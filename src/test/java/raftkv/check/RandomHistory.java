package raftkv.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;
import raftkv.kv.KvCommand;
import raftkv.kv.KvStateMachine;

/**
 * Linearizable histories by construction: the operations run one by one on a real {@link
 * KvStateMachine} at linearization points 100 µs apart, and each gets a random interval around its
 * point (a process's intervals never overlap; at most four are busy at a time, so {@code processes} must be
 * at least five). Some writes get no answer (UNKNOWN): half of them
 * took effect, half never did. Some are refused (FAIL) and never ran.
 */
final class RandomHistory {
  /** Linearization points 100 µs apart; intervals reach up to 400 µs either side. */
  private static final long SPACING = 100_000;

  private static final int JITTER = 400_000;

  private final Random random;
  private final int keys;
  private final int processes;
  private final double unknownRate;
  private final KvStateMachine machine = new KvStateMachine(Long.MAX_VALUE / 4, 1_000);
  private long index;

  RandomHistory(long seed, int keys, int processes, double unknownRate) {
    if (processes < 5) {
      throw new IllegalArgumentException("at least five processes, not " + processes);
    }
    this.random = new Random(seed);
    this.keys = keys;
    this.processes = processes;
    this.unknownRate = unknownRate;
  }

  List<Operation> generate(int count) {
    long[] busyUntil = new long[processes];
    int[] process = new int[processes];
    for (int slot = 0; slot < processes; slot++) {
      process[slot] = slot;
    }
    int nextProcess = processes;
    List<Operation> ops = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long point = (i + 1) * SPACING;
      int slot = random.nextInt(processes);
      while (busyUntil[slot] >= point) {
        slot = (slot + 1) % processes;
      }
      long invoke = Math.max(busyUntil[slot] + 1, point - random.nextInt(JITTER));
      long complete = point + random.nextInt(JITTER);
      Operation op = run(i + 1, process[slot], invoke, complete);
      busyUntil[slot] = complete;
      if (op.outcome() == Outcome.UNKNOWN) {
        process[slot] = nextProcess++; // a process with an unanswered request never sends another
      }
      ops.add(op);
    }
    return ops;
  }

  private Operation run(long id, int p, long invoke, long complete) {
    String key = "k" + random.nextInt(keys);
    int choice = random.nextInt(10);
    if (choice < 4) {
      String seen = machine.get(key);
      return new Operation(id, p, Kind.GET, key, null, null, Outcome.OK, null, seen, invoke, complete);
    }
    Op op;
    Kind kind;
    String value = null;
    String expected = null;
    if (choice < 6) {
      kind = Kind.PUT;
      value = "v" + id;
      op = new Op.Put(key, value);
    } else if (choice < 7) {
      kind = Kind.DELETE;
      op = new Op.Delete(key);
    } else if (choice < 9) {
      kind = Kind.CAS;
      expected = random.nextBoolean() ? machine.get(key) : "v" + random.nextInt((int) id);
      value = "v" + id;
      op = new Op.Cas(key, expected, value);
    } else {
      kind = Kind.INCR;
      long delta = random.nextInt(5) - 1;
      value = Long.toString(delta);
      op = new Op.Incr(key, delta);
    }
    double dice = random.nextDouble();
    if (dice < unknownRate) {
      if (random.nextBoolean()) {
        apply(op);
      }
      return new Operation(id, p, kind, key, value, expected, Outcome.UNKNOWN, null, null, invoke, Long.MAX_VALUE);
    }
    if (dice < 2 * unknownRate) {
      return new Operation(id, p, kind, key, value, expected, Outcome.FAIL, "not_leader", null, invoke, complete);
    }
    Result r = apply(op);
    String error = r.error() == null ? null : r.error().code();
    return new Operation(id, p, kind, key, value, expected, Outcome.OK, error, r.value(), invoke, complete);
  }

  private Result apply(Op op) {
    if (index == 0) {
      machine.apply(++index, KvCommand.register("c", 0));
    }
    index++;
    return machine.apply(index, new KvCommand("c", index, 0, op));
  }
}
