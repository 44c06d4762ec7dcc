package raftkv.sim;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import raftkv.api.Result;
import raftkv.check.Operation.Kind;

/**
 * What a simulated client asks for, drawn from its seeded random: reads, puts, deletes and
 * compare-and-sets over a few registers, and increments of a few counters, so that clients contend
 * for the same keys and the history has something to check. A cas expects the value this client
 * last saw, so some succeed and some do not.
 */
final class SimWorkload {

  static final int REGISTERS = 4;
  static final int COUNTERS = 2;

  /** One operation to perform: {@code value} is the value written, or the delta of an incr. */
  record Next(Kind kind, String key, String value, String expected) {
    static Next get(String key) {
      return new Next(Kind.GET, key, null, null);
    }
  }

  private final int process;
  private final Random random;
  private final Map<String, String> lastSeen = new HashMap<>();
  private long written;

  SimWorkload(int process, Random random) {
    this.process = process;
    this.random = random;
  }

  /** Every key the workload touches. */
  static String[] keys() {
    String[] out = new String[REGISTERS + COUNTERS];
    for (int i = 0; i < REGISTERS; i++) {
      out[i] = register(i);
    }
    for (int i = 0; i < COUNTERS; i++) {
      out[REGISTERS + i] = counter(i);
    }
    return out;
  }

  private static String register(int i) {
    return "k" + i;
  }

  private static String counter(int i) {
    return "n" + i;
  }

  Next next() {
    int roll = random.nextInt(100);
    String reg = register(random.nextInt(REGISTERS));
    if (roll < 30) {
      String[] all = keys();
      return Next.get(all[random.nextInt(all.length)]);
    }
    if (roll < 55) {
      return new Next(Kind.PUT, reg, fresh(), null);
    }
    if (roll < 70) {
      return new Next(Kind.CAS, reg, fresh(), lastSeen.get(reg));
    }
    if (roll < 90) {
      return new Next(Kind.INCR, counter(random.nextInt(COUNTERS)), Long.toString(1 + random.nextInt(5)), null);
    }
    return new Next(Kind.DELETE, random.nextInt(10) == 0 ? counter(random.nextInt(COUNTERS)) : reg, null, null);
  }

  /** A value no one else writes: a read of it can be traced to this write. */
  private String fresh() {
    return "p" + process + "." + (++written);
  }

  /** What an answered operation showed of its key. */
  void observed(Next op, Result r) {
    switch (op.kind()) {
      case GET -> lastSeen.put(op.key(), r.value());
      case PUT -> lastSeen.put(op.key(), op.value());
      case DELETE -> lastSeen.put(op.key(), null);
      case CAS -> lastSeen.put(op.key(), r.ok() ? op.value() : r.value());
      case INCR -> lastSeen.put(op.key(), r.value());
    }
  }
}
