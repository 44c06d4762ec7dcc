package raftkv.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The fault schedule of a run: a function of the nemesis and the seed only, so a run's faults can
 * be repeated. Faults never overlap, and each is followed by a recovery time, so the cluster always
 * has a working majority again before the next fault: the run measures how the store behaves
 * under each fault and after it, not whether three nodes can survive two simultaneous failures.
 */
final class Schedule {

  /** The nemesis kinds {@code --nemesis} accepts. */
  enum Nemesis {
    KILL(List.of(Fault.Kind.KILL)),
    PAUSE(List.of(Fault.Kind.PAUSE)),
    PARTITION(
        List.of(
            Fault.Kind.ISOLATE,
            Fault.Kind.CUT_OUT,
            Fault.Kind.CUT_IN,
            Fault.Kind.LOSS,
            Fault.Kind.SLOW)),
    MIXED(List.of(Fault.Kind.values()));

    final List<Fault.Kind> kinds;

    Nemesis(List<Fault.Kind> kinds) {
      this.kinds = kinds;
    }

    /** "kill", "pause", "partition" or "mixed". */
    static Nemesis parse(String text) {
      for (Nemesis n : values()) {
        if (n.name().toLowerCase(Locale.ROOT).equals(text)) {
          return n;
        }
      }
      throw new IllegalArgumentException(
          "unknown nemesis '" + text + "'; one of kill, pause, partition, mixed");
    }
  }

  /** Before the first fault: the clients are connected and writing. */
  static final long WARM_UP_MILLIS = 2_000;

  private Schedule() {}

  /**
   * Enough faults to fill {@code windowMillis} if each starts on time: the run takes them in order
   * and stops at the first that no longer fits.
   */
  static List<Fault> plan(Nemesis nemesis, long seed, int nodes, long windowMillis) {
    Random random = new Random(seed);
    List<Fault> faults = new ArrayList<>();
    long t = WARM_UP_MILLIS;
    while (t < windowMillis) {
      Fault f = next(nemesis, random, nodes);
      faults.add(f);
      t += f.durationMillis() + f.recoverMillis();
    }
    return faults;
  }

  private static Fault next(Nemesis nemesis, Random random, int nodes) {
    Fault.Kind kind = nemesis.kinds.get(random.nextInt(nemesis.kinds.size()));
    // The leader is the interesting target more often than not; any node is fair game.
    boolean leader = random.nextInt(100) < 60;
    int node = 1 + random.nextInt(nodes);
    int percent = 0;
    long duration;
    switch (kind) {
      case KILL -> duration = between(random, 1_000, 4_000);
      case PAUSE -> duration = between(random, 1_000, 5_000);
      case ISOLATE, CUT_OUT, CUT_IN -> duration = between(random, 2_000, 6_000);
      case LOSS -> {
        leader = false;
        percent = 10 + 10 * random.nextInt(4);
        duration = between(random, 3_000, 6_000);
      }
      default -> duration = between(random, 3_000, 6_000);
    }
    long recover = between(random, 2_000, 4_000);
    return new Fault(kind, leader, node, percent, duration, recover);
  }

  private static long between(Random random, long min, long max) {
    return min + (long) (random.nextDouble() * (max - min));
  }
}
