package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import raftkv.api.ClientProtocol.Consistency;

/**
 * The deterministic simulation on a fixed set of seeds: 3-node and 5-node clusters under every kind
 * of fault, adding up to more than two hours of simulated cluster time. A failure names its seed;
 * {@code scripts/sim.sh --replay SEED} runs exactly that run again with every node's log.
 */
class SimulationTest {

  static final ActorTestKit kit = SimCluster.newKit();

  /** 3-node seeds, each run {@link #THREE_NODE_RUN}; then 5-node seeds, each {@link #FIVE_NODE_RUN}. */
  static final long[] THREE_NODE_SEEDS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  static final long[] FIVE_NODE_SEEDS = {101, 102, 103, 104, 105, 106};
  /**
   * Seeds that once failed, run as they were found (5 nodes, 300 s). Both found a follower whose
   * sync had failed coming back and counting toward a commit with an entry that was never synced;
   * nodes now sync their log when they start.
   */
  static final long[] FOUND_SEEDS = {8628228076789127519L, 8003497953766616933L};

  static final Duration THREE_NODE_RUN = Duration.ofMinutes(5);
  static final Duration FIVE_NODE_RUN = Duration.ofMinutes(4);

  @AfterAll
  static void shutdown() {
    SimCluster.shutdown(kit);
  }

  @Test
  void fixedSeedsFindNothingWrong() {
    List<Simulation.Report> reports = new ArrayList<>();
    for (long seed : THREE_NODE_SEEDS) {
      reports.add(Simulation.run(kit, Simulation.Config.of(seed, 3, THREE_NODE_RUN)));
    }
    for (long seed : FIVE_NODE_SEEDS) {
      reports.add(Simulation.run(kit, Simulation.Config.of(seed, 5, FIVE_NODE_RUN)));
    }
    for (long seed : FOUND_SEEDS) {
      reports.add(Simulation.run(kit, Simulation.Config.of(seed, 5, Duration.ofSeconds(300))));
    }
    reports.forEach(r -> System.out.println(r.summary()));
    System.out.println(Simulation.totals(reports));
    assertThat(reports).allSatisfy(r -> assertThat(r.failures()).as("seed %d", r.config().seed()).isEmpty());
    Duration simulated = reports.stream().map(Simulation.Report::simulated).reduce(Duration.ZERO, Duration::plus);
    assertThat(simulated).isGreaterThanOrEqualTo(Duration.ofHours(2));
    // Every kind of fault happened somewhere, and the clients got work done through them.
    assertThat(reports.stream().flatMap(r -> r.faults().keySet().stream()).distinct())
        .containsAll(Simulation.FAULT_KINDS);
    assertThat(reports).allSatisfy(r -> assertThat(r.ok()).isGreaterThan(1000));
    // Restarted nodes resumed from their stored state machines, and power failures took some of
    // those back to an earlier batch, which the log then replayed.
    assertThat(reports).allSatisfy(r -> assertThat(r.storedStarts()).isPositive());
    assertThat(reports.stream().mapToLong(Simulation.Report::lostStateWrites).sum()).isPositive();
    // Logs were compacted in every run, followers caught up through snapshots, and crashes struck
    // in the middle of a transfer, of an install and right after a compaction.
    assertThat(reports).allSatisfy(r -> assertThat(r.compactions()).isPositive());
    assertThat(reports.stream().mapToLong(Simulation.Report::installs).sum()).isGreaterThan(reports.size());
    assertThat(reports.stream().flatMap(r -> r.crashes().keySet().stream()).distinct())
        .containsExactlyInAnyOrder(SimDisk.CrashPoint.values());
  }

  @Test
  void staleReadsUnderFaultsAreCaughtByTheChecker() {
    // The check must be able to fail: reads served by any node from its own state are not
    // linearizable once a partition leaves a node behind.
    Simulation.Report r =
        Simulation.run(kit, Simulation.Config.of(7, 3, Duration.ofMinutes(2)).reading(Consistency.STALE));
    assertThat(r.linearizability()).isEqualTo("no");
    assertThat(r.failures()).anySatisfy(f -> assertThat(f).contains("not linearizable"));
  }

  @Test
  void aSeedAlwaysGivesTheSameRun() {
    Simulation.Config c = Simulation.Config.of(42, 3, Duration.ofSeconds(30));
    Simulation.Report first = Simulation.run(kit, c);
    Simulation.Report second = Simulation.run(kit, c);
    assertThat(second.historyDigest()).isEqualTo(first.historyDigest());
    assertThat(second.faults()).isEqualTo(first.faults());
    assertThat(second.delivered()).isEqualTo(first.delivered());
    Simulation.Report other = Simulation.run(kit, Simulation.Config.of(43, 3, Duration.ofSeconds(30)));
    assertThat(other.historyDigest()).isNotEqualTo(first.historyDigest());
  }
}
