package raftkv.sim;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.check.CheckResult;
import raftkv.check.LinearizabilityChecker;
import raftkv.check.Operation;
import raftkv.check.Operation.Outcome;
import raftkv.check.Verdict;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.kv.KvStateMachine;
import raftkv.storage.InMemoryStateStore;
import raftkv.testkit.VirtualTimeScheduler;

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

  /**
   * What to run: {@code faultKinds} the nemesis may inject (of {@link #FAULT_KINDS}); {@code
   * verbose} logs every node at DEBUG; {@code reads} the consistency clients read with.
   */
  record Config(
      long seed,
      int nodes,
      Duration duration,
      int clients,
      boolean verbose,
      Set<String> faultKinds,
      Consistency reads) {
    Config {
      if (nodes != 3 && nodes != 5) {
        throw new IllegalArgumentException("nodes must be 3 or 5, not " + nodes);
      }
      if (!FAULT_KINDS.containsAll(faultKinds)) {
        throw new IllegalArgumentException("unknown fault kinds in " + faultKinds);
      }
      faultKinds = Set.copyOf(faultKinds);
    }

    static Config of(long seed, int nodes, Duration duration) {
      return new Config(seed, nodes, duration, nodes == 3 ? 4 : 6, false, Set.copyOf(FAULT_KINDS), Consistency.LINEARIZABLE);
    }

    /** The same run, logging every node (a replay). */
    Config logged() {
      return new Config(seed, nodes, duration, clients, true, faultKinds, reads);
    }

    /** The same run with reads of the given consistency (stale ones break linearizability). */
    Config reading(Consistency consistency) {
      return new Config(seed, nodes, duration, clients, verbose, faultKinds, consistency);
    }

    /** The same run with only these faults. */
    Config faults(Set<String> kinds) {
      return new Config(seed, nodes, duration, clients, verbose, kinds, reads);
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
      long wallMillis,
      long storedStarts,
      long lostStateWrites,
      long compactions,
      long installs,
      Map<SimDisk.CrashPoint, Integer> crashes) {

    String summary() {
      return String.format(
          "seed %d, %d nodes, %d s simulated in %.1f s: ops ok %d / failed %d / unknown %d, %d entries"
              + " committed over %d terms, messages %d delivered / %d dropped / %d duplicated,"
              + " faults %s; %d starts from a stored state machine, %d of its batches lost in power"
              + " failures; %d compactions, %d snapshots installed, crashes %s; linearizable: %s%s",
          config.seed(), config.nodes(), simulated.toSeconds(), wallMillis / 1000.0, ok, failed, unknown,
          committed, terms, delivered, dropped, duplicated, faults, storedStarts, lostStateWrites,
          compactions, installs, crashes, linearizability,
          failures.isEmpty() ? "" : "; FAILED: " + String.join("; ", failures));
    }
  }

  /** Every fault the nemesis injects, by the name the reports use. */
  static final List<String> FAULT_KINDS =
      List.of(
          "heal", "partition", "isolate", "one-way cut", "loss", "delay+reorder", "duplication",
          "crash", "power failure", "sync failure", "full restart", "restart",
          "crash mid-transfer", "crash mid-install", "crash at compaction");

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

  private static final Duration CHECK_TIME_LIMIT = Duration.ofSeconds(60);
  private static final long CHECK_STATES_PER_KEY = 2_000_000;

  private static final Duration SETTLE = Duration.ofSeconds(20);
  /** How long every node may take to apply what the leader committed, once all is healed. */
  private static final Duration CATCH_UP = Duration.ofSeconds(120);
  /** Below the shortest leadership a fault allows (an election timeout), above a heartbeat. */
  private static final Duration CHECK_EVERY = Duration.ofMillis(25);

  private final SimCluster cluster;
  private final Config config;
  private final Random nemesis;
  private final SimHistory history;
  private final List<ActorRef<SimClient.Command>> clients = new ArrayList<>();
  private final Map<String, Integer> faults = new TreeMap<>();
  private final VirtualTimeLog log;

  /**
   * Flow control drawn from the seed, often tight: a leader may keep 1 to 4 AppendEntries and a
   * few hundred bytes to a few KiB in flight per follower, in batches of 100 bytes to 2 KiB, so
   * that windows fill up, probing resumes and batches split while faults strike. Logs are
   * compacted after tens of entries, keeping 0 to 4, and snapshots travel in chunks of tens to
   * hundreds of bytes, 1 to 3 in flight: a follower that misses a little needs a snapshot, and
   * faults strike in the middle of transfers.
   */
  static RaftSettings settingsFor(long seed) {
    Random r = new Random(seed ^ 0x5eedf10dL);
    return RaftSettings.defaults()
        .withInflight(1 + r.nextInt(4), 200 + r.nextInt(4000))
        .withMaxAppendBytes(100 + r.nextInt(2000))
        .withSnapshots(new RaftSettings.Snapshots(
            10 + r.nextInt(40), 2_000 + r.nextInt(20_000), r.nextInt(5), 50 + r.nextInt(500),
            1 + r.nextInt(3), Duration.ofMillis(100 + r.nextInt(900))));
  }

  private Simulation(ActorTestKit kit, Config config, VirtualTimeLog log) {
    this.config = config;
    this.log = log;
    this.cluster = new SimCluster(kit, config.nodes(), config.seed(), settingsFor(config.seed()));
    this.cluster.checkEvery(CHECK_EVERY);
    // A network with some latency, so that messages are in flight while others are handled.
    this.cluster.net.latency(Duration.ofMillis(0), Duration.ofMillis(2));
    this.nemesis = new Random(config.seed() * 31 + 7);
    this.history = new SimHistory(cluster.time, op -> log.event("client " + op));
    for (int p = 0; p < config.clients(); p++) {
      clients.add(
          kit.spawn(
              SimClient.create(p, cluster.endpoints, cluster.net, history, config.reads(), nemesis.nextLong()),
              "sim-client-" + config.seed() + "-" + p + "-" + System.identityHashCode(this),
              SimCluster.ON_SIM));
    }
    // Start the clients now: left waiting, they would start at the next event, whenever that is.
    cluster.settle();
  }

  /** Runs {@code config} on a kit from {@link SimCluster#newKit()}. */
  static Report run(ActorTestKit kit, Config config) {
    long startWall = System.nanoTime();
    try (VirtualTimeLog log = new VirtualTimeLog(VirtualTimeScheduler.of(kit.system()), System.out, config.verbose())) {
      Simulation sim = new Simulation(kit, config, log);
      try {
        return sim.run(startWall);
      } finally {
        sim.clients.forEach(c -> c.tell(SimClient.Stop.INSTANCE));
        sim.cluster.close();
      }
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
        // From the text of the history: enums hash by identity, which differs from one JVM to the next.
        ops.toString().hashCode() * 31L + cluster.executor.executed() - tasksBefore,
        (System.nanoTime() - startWall) / 1_000_000,
        cluster.storedStarts(),
        cluster.lostStateWrites(),
        IntStream.range(0, cluster.size()).mapToLong(i -> cluster.disk(i).compactions()).sum(),
        IntStream.range(0, cluster.size()).mapToLong(i -> cluster.disk(i).installs()).sum(),
        crashes());
  }

  // --- the nemesis ------------------------------------------------------------------------------

  /** How often each fault is drawn, relative to the others. */
  private static final Map<String, Integer> WEIGHTS =
      Map.ofEntries(
          Map.entry("heal", 15),
          Map.entry("partition", 10),
          Map.entry("isolate", 8),
          Map.entry("one-way cut", 7),
          Map.entry("loss", 6),
          Map.entry("delay+reorder", 6),
          Map.entry("duplication", 5),
          Map.entry("crash", 10),
          Map.entry("power failure", 6),
          Map.entry("sync failure", 4),
          Map.entry("full restart", 2),
          Map.entry("restart", 21),
          Map.entry("crash mid-transfer", 3),
          Map.entry("crash mid-install", 3),
          Map.entry("crash at compaction", 2));

  private void fault() {
    List<String> kinds = FAULT_KINDS.stream().filter(config.faultKinds()::contains).toList();
    if (kinds.isEmpty()) {
      return;
    }
    int total = kinds.stream().mapToInt(WEIGHTS::get).sum();
    int roll = nemesis.nextInt(total);
    String kind = kinds.get(kinds.size() - 1);
    for (String k : kinds) {
      roll -= WEIGHTS.get(k);
      if (roll < 0) {
        kind = k;
        break;
      }
    }
    inject(kind);
  }

  private void inject(String kind) {
    int n = cluster.size();
    List<Integer> up = IntStream.range(0, n).filter(cluster::isUp).boxed().toList();
    List<Integer> down = IntStream.range(0, n).filter(i -> !cluster.isUp(i)).boxed().toList();
    // Process faults leave a majority up, but once in a while take one more down.
    boolean mayTakeDown = down.size() < n / 2 || nemesis.nextInt(10) == 0;
    switch (kind) {
      case "heal" -> {
        cluster.net.heal();
        count(kind, "");
      }
      case "partition" -> {
        List<Endpoint> shuffled = new ArrayList<>(cluster.endpoints);
        Collections.shuffle(shuffled, nemesis);
        int cutAt = 1 + nemesis.nextInt(n / 2);
        cluster.net.partition(shuffled.subList(0, cutAt), shuffled.subList(cutAt, n));
        count(kind, shuffled.subList(0, cutAt) + " | " + shuffled.subList(cutAt, n));
      }
      case "isolate" -> {
        int victim = leaderOr(up);
        if (victim >= 0) {
          cluster.net.isolate(cluster.endpoint(victim), cluster.endpoints);
          count(kind, "n" + (victim + 1));
        }
      }
      case "one-way cut" -> {
        int a = nemesis.nextInt(n);
        int b = (a + 1 + nemesis.nextInt(n - 1)) % n;
        cluster.net.cutOneWay(cluster.endpoint(a), cluster.endpoint(b));
        count(kind, "n" + (a + 1) + " -> n" + (b + 1));
      }
      case "loss" -> {
        double rate = 0.05 + 0.25 * nemesis.nextDouble();
        cluster.net.drop(rate);
        count(kind, String.format("%.0f%%", rate * 100));
      }
      case "delay+reorder" -> {
        Duration max = Duration.ofMillis(5 + nemesis.nextInt(80));
        cluster.net.delay(max);
        count(kind, "up to " + max.toMillis() + " ms");
      }
      case "duplication" -> {
        double rate = 0.05 + 0.25 * nemesis.nextDouble();
        cluster.net.duplicate(rate);
        count(kind, String.format("%.0f%%", rate * 100));
      }
      case "crash", "power failure", "sync failure" -> {
        int victim = mayTakeDown ? leaderOr(up) : -1;
        if (victim >= 0) {
          switch (kind) {
            case "crash" -> cluster.crash(victim);
            case "power failure" -> cluster.powerFailure(victim);
            default -> cluster.disk(victim).failSyncs(true);
          }
          count(kind, "n" + (victim + 1));
        }
      }
      case "crash mid-transfer", "crash mid-install", "crash at compaction" -> {
        // Armed now, it strikes whenever that node next gets there (if ever).
        int victim = mayTakeDown && !up.isEmpty() ? up.get(nemesis.nextInt(up.size())) : -1;
        if (victim >= 0) {
          cluster.disk(victim).crashAt(switch (kind) {
            case "crash mid-transfer" -> SimDisk.CrashPoint.STAGING;
            case "crash mid-install" -> SimDisk.CrashPoint.INSTALL;
            default -> SimDisk.CrashPoint.COMPACTION;
          });
          count(kind, "n" + (victim + 1));
        }
      }
      case "full restart" -> {
        for (int i : up) {
          cluster.crash(i);
        }
        for (int i = 0; i < n; i++) {
          restart(i);
        }
        count(kind, "");
      }
      case "restart" -> {
        if (!down.isEmpty()) {
          int back = down.get(nemesis.nextInt(down.size()));
          restart(back);
          count(kind, "n" + (back + 1));
        }
      }
      default -> throw new IllegalArgumentException("unknown fault " + kind);
    }
  }

  /** The purposeful crashes that struck, over every disk. */
  private Map<SimDisk.CrashPoint, Integer> crashes() {
    Map<SimDisk.CrashPoint, Integer> all = new TreeMap<>();
    for (int i = 0; i < cluster.size(); i++) {
      cluster.disk(i).crashes().forEach((k, v) -> all.merge(k, v, Integer::sum));
    }
    return all;
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

  private void count(String fault, String detail) {
    faults.merge(fault, 1, Integer::sum);
    log.event("fault: " + fault + (detail.isEmpty() ? "" : " " + detail));
  }

  // --- the end of a run -------------------------------------------------------------------------

  /** Heals, brings every node back, lets the clients finish, reads every key, checks the state. */
  private void finish(List<String> failures) {
    cluster.net.heal();
    for (int i = 0; i < cluster.size(); i++) {
      cluster.disk(i).crashAt(null); // no crash armed earlier strikes after the faults ended
      restart(i);
    }
    cluster.awaitLeader(SETTLE);
    clients.forEach(c -> c.tell(SimClient.Quiesce.INSTANCE));
    awaitClientsIdle();
    String[] keys = SimWorkload.keys();
    int before = history.size();
    clients.get(0).tell(new SimClient.Script(Arrays.stream(keys).map(SimWorkload.Next::get).toList()));
    Duration deadline = cluster.now().plus(SETTLE);
    while (history.size() < before + keys.length && cluster.now().compareTo(deadline) < 0) {
      cluster.advance(SimCluster.STEP);
    }
    List<Operation> all = history.operations();
    List<Operation> finalReads = all.subList(before, all.size());
    if (finalReads.size() < keys.length || finalReads.stream().anyMatch(o -> o.outcome() != Outcome.OK)) {
      failures.add("after healing, final reads failed: " + finalReads + " " + cluster.statuses());
    }
    failures.addAll(history.doubleApplied());
    failures.addAll(history.unexpectedErrors());
    // Every node applies the same commands: once caught up, all hold the same values. Catching up
    // can take a while with the tight flow control a seed may draw (one AppendEntries of one entry
    // in flight): wait until every node has applied what the leader committed, within a bound.
    awaitCaughtUp(failures);
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
    compareStoredStates(failures);
  }

  /**
   * Every node's stored state machine (keys, session table), read back as a restart reads it: nodes
   * stored up to the same index must hold the same state.
   */
  private void compareStoredStates(List<String> failures) {
    Map<Long, Long> digestAt = new TreeMap<>();
    for (int i = 0; i < cluster.size(); i++) {
      InMemoryStateStore stored = cluster.disk(i).stateStore().copy();
      long digest = new KvStateMachine(stored, 1, 1, 1, 0, 0).digest();
      Long other = digestAt.putIfAbsent(stored.appliedIndex(), digest);
      if (other != null && other != digest) {
        failures.add("n" + (i + 1) + " stored another state than a node before it at index " + stored.appliedIndex());
      }
    }
  }

  /** Waits until every node has applied all that the leader had committed when the wait began. */
  private void awaitCaughtUp(List<String> failures) {
    int leader = cluster.awaitLeader(SETTLE);
    long commit = cluster.status(leader).commitIndex();
    Duration deadline = cluster.now().plus(CATCH_UP);
    while (IntStream.range(0, cluster.size()).anyMatch(i -> cluster.status(i).lastApplied() < commit)) {
      if (cluster.now().compareTo(deadline) >= 0) {
        failures.add("not every node applied up to " + commit + " within " + CATCH_UP.toSeconds()
            + " s after healing: " + cluster.statuses());
        return;
      }
      cluster.advance(Duration.ofMillis(100));
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

  /** Checks the clients' history; a failure keeps the checker's explanation. */
  private String checkHistory(List<String> failures) {
    CheckResult result = new LinearizabilityChecker(CHECK_TIME_LIMIT, CHECK_STATES_PER_KEY).check(history.operations());
    if (result.verdict() == Verdict.NOT_LINEARIZABLE) {
      List<String> why = new ArrayList<>(result.summary());
      result.explanation().ifPresent(e -> why.addAll(e.lines()));
      failures.add("the clients' history is not linearizable:\n" + String.join("\n", why));
    } else if (result.verdict() == Verdict.UNDECIDED) {
      failures.add("the checker could not decide on keys " + result.keysWith(Verdict.UNDECIDED));
    }
    return result.verdict().word();
  }
}
