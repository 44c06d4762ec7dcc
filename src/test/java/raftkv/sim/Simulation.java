package raftkv.sim;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.slf4j.LoggerFactory;
import raftkv.check.Operation;
import raftkv.check.Operation.Outcome;
import raftkv.client.ClientProtocol.Consistency;
import raftkv.client.ClientProtocol.Reply;
import raftkv.common.Endpoint;

/**
 * One seeded run of the deterministic simulation: a cluster of 3 or 5 real {@code RaftNode}s and
 * simulated clients, under a random schedule of faults drawn from the seed (partitions, isolation,
 * one-way cuts, loss, delay and reordering, duplication, process crashes, power failures that lose
 * unsynced writes, disks whose syncs fail, restarts), on virtual time. The same seed always gives
 * the same run.
 *
 * <p>While it runs, {@link SimCluster} checks Raft's safety properties at every event. At the end it
 * heals everything, waits for a leader, has a client read every key, and checks: the clients'
 * history is linearizable, no write was applied twice, no client got an error a correct cluster
 * never gives, and every node holds the same value for every key.
 */
final class Simulation {

  /** What to run: {@code verbose} logs every node at DEBUG. */
  record Config(long seed, int nodes, Duration duration, int clients, boolean verbose) {
    Config {
      if (nodes != 3 && nodes != 5) {
        throw new IllegalArgumentException("nodes must be 3 or 5, not " + nodes);
      }
    }

    static Config of(long seed, int nodes, Duration duration) {
      return new Config(seed, nodes, duration, nodes == 3 ? 4 : 6, false);
    }
  }

  /** What a run did and found; {@link #failures()} empty when nothing was wrong. */
  record Report(
      Config config,
      Duration simulated,
      long ok,
      long failed,
      long unknown,
      Map<String, Integer> faults,
      long delivered,
      long dropped,
      long duplicated,
      int terms,
      long committed,
      String linearizability,
      List<String> failures,
      long historyDigest,
      long wallMillis) {

    String summary() {
      return String.format(
          "seed %d, %d nodes, %d s simulated in %.1f s: ops ok %d / failed %d / unknown %d, %d entries"
              + " committed over %d terms, messages %d delivered / %d dropped / %d duplicated,"
              + " faults %s; linearizable: %s%s",
          config.seed(), config.nodes(), simulated.toSeconds(), wallMillis / 1000.0, ok, failed, unknown,
          committed, terms, delivered, dropped, duplicated, faults, linearizability,
          failures.isEmpty() ? "" : "; FAILED: " + String.join("; ", failures));
    }
  }

  /** Every fault the nemesis injects, by the name the reports use. */
  static final List<String> FAULT_KINDS =
      List.of(
          "heal", "partition", "isolate", "one-way cut", "loss", "delay+reorder", "duplication",
          "crash", "power failure", "sync failure", "full restart", "restart");

  /** One line adding up {@code reports}. */
  static String totals(List<Report> reports) {
    Duration simulated = Duration.ZERO;
    long ok = 0;
    long failed = 0;
    long unknown = 0;
    long faults = 0;
    long wall = 0;
    for (Report r : reports) {
      simulated = simulated.plus(r.simulated());
      ok += r.ok();
      failed += r.failed();
      unknown += r.unknown();
      faults += r.faults().values().stream().mapToInt(Integer::intValue).sum();
      wall += r.wallMillis();
    }
    long bad = reports.stream().filter(r -> !r.failures().isEmpty()).count();
    return String.format(
        "%d seeds, %.2f h simulated in %.1f s: ops ok %d / failed %d / unknown %d checked, %d faults"
            + " injected; %d seed(s) failed",
        reports.size(), simulated.toSeconds() / 3600.0, wall / 1000.0, ok, failed, unknown, faults, bad);
  }

  private static final Duration SETTLE = Duration.ofSeconds(20);
  /** Below the shortest leadership a fault allows (an election timeout), above a heartbeat. */
  private static final Duration CHECK_EVERY = Duration.ofMillis(25);

  private final SimCluster cluster;
  private final Config config;
  private final Random nemesis;
  private final SimHistory history;
  private final List<ActorRef<SimClient.Command>> clients = new ArrayList<>();
  private final Map<String, Integer> faults = new TreeMap<>();

  private Simulation(ActorTestKit kit, Config config) {
    this.config = config;
    this.cluster = new SimCluster(kit, config.nodes(), config.seed());
    this.cluster.checkEvery(CHECK_EVERY);
    this.nemesis = new Random(config.seed() * 31 + 7);
    this.history = new SimHistory(cluster.time);
    for (int p = 0; p < config.clients(); p++) {
      clients.add(
          kit.spawn(
              SimClient.create(p, cluster.endpoints, cluster.net, history, nemesis.nextLong()),
              "sim-client-" + config.seed() + "-" + p + "-" + System.identityHashCode(this),
              SimCluster.ON_SIM));
    }
  }

  /** Runs {@code config} on a kit from {@link SimCluster#newKit()}. */
  static Report run(ActorTestKit kit, Config config) {
    Logger raftLog = (Logger) LoggerFactory.getLogger("raftkv");
    Level before = raftLog.getLevel();
    raftLog.setLevel(config.verbose() ? Level.DEBUG : Level.ERROR);
    long startWall = System.nanoTime();
    try {
      Simulation sim = new Simulation(kit, config);
      try {
        return sim.run(startWall);
      } finally {
        sim.cluster.close();
      }
    } finally {
      raftLog.setLevel(before);
    }
  }

  private Report run(long startWall) {
    List<String> failures = new ArrayList<>();
    Duration start = cluster.now();
    long tasksBefore = cluster.executor.executed();
    try {
      Duration end = start.plus(config.duration());
      while (cluster.now().compareTo(end) < 0) {
        Duration pause = Duration.ofMillis(50 + nemesis.nextInt(1500));
        Duration left = end.minus(cluster.now());
        cluster.advance(pause.compareTo(left) < 0 ? pause : left);
        if (cluster.now().compareTo(end) < 0) {
          fault();
        }
      }
      finish(failures);
    } catch (AssertionError e) {
      failures.add(e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
    }
    String verdict = failures.isEmpty() ? checkHistory(failures) : "not checked";
    List<Operation> ops = history.operations();
    return new Report(
        config,
        cluster.now().minus(start),
        history.count(Outcome.OK),
        history.count(Outcome.FAIL),
        history.count(Outcome.UNKNOWN),
        faults,
        cluster.net.deliveries(),
        cluster.net.dropped(),
        cluster.net.duplicated(),
        cluster.termsWithALeader().size(),
        cluster.committedEntries().size(),
        verdict,
        failures,
        ops.hashCode() * 31L + cluster.executor.executed() - tasksBefore,
        (System.nanoTime() - startWall) / 1_000_000);
  }

  // --- the nemesis ------------------------------------------------------------------------------

  private void fault() {
    int n = cluster.size();
    List<Integer> up = IntStream.range(0, n).filter(cluster::isUp).boxed().toList();
    List<Integer> down = IntStream.range(0, n).filter(i -> !cluster.isUp(i)).boxed().toList();
    int roll = nemesis.nextInt(100);
    if (roll < 15) {
      cluster.net.heal();
      count("heal");
    } else if (roll < 25) {
      List<Endpoint> shuffled = new ArrayList<>(cluster.endpoints);
      Collections.shuffle(shuffled, nemesis);
      int cutAt = 1 + nemesis.nextInt(n / 2);
      cluster.net.partition(shuffled.subList(0, cutAt), shuffled.subList(cutAt, n));
      count("partition");
    } else if (roll < 33) {
      int victim = leaderOr(up);
      if (victim >= 0) {
        cluster.net.isolate(cluster.endpoint(victim), cluster.endpoints);
        count("isolate");
      }
    } else if (roll < 40) {
      int a = nemesis.nextInt(n);
      int b = (a + 1 + nemesis.nextInt(n - 1)) % n;
      cluster.net.cutOneWay(cluster.endpoint(a), cluster.endpoint(b));
      count("one-way cut");
    } else if (roll < 46) {
      cluster.net.drop(0.05 + 0.25 * nemesis.nextDouble());
      count("loss");
    } else if (roll < 52) {
      cluster.net.delay(Duration.ofMillis(5 + nemesis.nextInt(80)));
      count("delay+reorder");
    } else if (roll < 57) {
      cluster.net.duplicate(0.05 + 0.25 * nemesis.nextDouble());
      count("duplication");
    } else if (roll < 67) {
      if (down.size() < n / 2 || nemesis.nextInt(10) == 0) {
        int victim = leaderOr(up);
        if (victim >= 0) {
          cluster.crash(victim);
          count("crash");
        }
      }
    } else if (roll < 73) {
      if (down.size() < n / 2) {
        int victim = leaderOr(up);
        if (victim >= 0) {
          cluster.powerFailure(victim);
          count("power failure");
        }
      }
    } else if (roll < 77) {
      if (down.size() < n / 2) {
        int victim = leaderOr(up);
        if (victim >= 0) {
          cluster.disk(victim).failSyncs(true);
          count("sync failure");
        }
      }
    } else if (roll < 79) {
      for (int i : up) {
        cluster.crash(i);
      }
      for (int i = 0; i < n; i++) {
        restart(i);
      }
      count("full restart");
    } else if (!down.isEmpty()) {
      restart(down.get(nemesis.nextInt(down.size())));
      count("restart");
    }
  }

  /** The leader half of the time when there is one (faults on the leader matter most), else any. */
  private int leaderOr(List<Integer> up) {
    if (up.isEmpty()) {
      return -1;
    }
    if (nemesis.nextBoolean()) {
      List<Integer> leaders = cluster.leaders();
      if (!leaders.isEmpty()) {
        return leaders.get(0);
      }
    }
    return up.get(nemesis.nextInt(up.size()));
  }

  private void restart(int i) {
    cluster.disk(i).failSyncs(false);
    if (!cluster.isUp(i)) {
      cluster.start(i);
    }
  }

  private void count(String fault) {
    faults.merge(fault, 1, Integer::sum);
  }

  // --- the end of a run -------------------------------------------------------------------------

  /** Heals, brings every node back, lets the clients finish, reads every key, checks the state. */
  private void finish(List<String> failures) {
    cluster.net.heal();
    for (int i = 0; i < cluster.size(); i++) {
      restart(i);
    }
    cluster.awaitLeader(SETTLE);
    clients.forEach(c -> c.tell(SimClient.Quiesce.INSTANCE));
    awaitClientsIdle();
    String[] keys = SimWorkload.keys();
    int before = history.operations().size();
    clients.get(0).tell(new SimClient.Script(Arrays.stream(keys).map(SimWorkload.Next::get).toList()));
    Duration deadline = cluster.now().plus(SETTLE);
    while (history.operations().size() < before + keys.length && cluster.now().compareTo(deadline) < 0) {
      cluster.advance(SimCluster.STEP);
    }
    List<Operation> finalReads = history.operations().subList(before, history.operations().size());
    if (finalReads.size() < keys.length || finalReads.stream().anyMatch(o -> o.outcome() != Outcome.OK)) {
      failures.add("after healing, final reads failed: " + finalReads + " " + cluster.statuses());
    }
    failures.addAll(history.doubleApplied());
    failures.addAll(history.unexpectedErrors());
    // Every node applies the same commands: once caught up, all hold the same values.
    cluster.advance(Duration.ofSeconds(1));
    for (String key : keys) {
      List<String> values = new ArrayList<>();
      for (int i = 0; i < cluster.size(); i++) {
        Inbox<Reply> r = cluster.read(i, key, Consistency.STALE);
        values.add(cluster.await(r, Duration.ofSeconds(1)).map(x -> String.valueOf(x.result().value())).orElse("no answer"));
      }
      if (values.stream().distinct().count() != 1) {
        failures.add("nodes disagree on " + key + ": " + values);
      }
    }
  }

  private void awaitClientsIdle() {
    Duration deadline = cluster.now().plus(SETTLE);
    while (history.anyBusy()) {
      if (cluster.now().compareTo(deadline) > 0) {
        throw new AssertionError("clients still busy " + SETTLE.toSeconds() + " s after the faults ended");
      }
      cluster.advance(SimCluster.STEP);
    }
  }

  private String checkHistory(List<String> failures) {
    return "unchecked";
  }
}
