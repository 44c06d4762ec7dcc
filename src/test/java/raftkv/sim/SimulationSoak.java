package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Soaks and replays of the deterministic simulation, run by {@code scripts/sim.sh} (not part of
 * {@code mvn verify}: its name does not end in Test). Properties:
 *
 * <ul>
 *   <li>{@code sim.replay=SEED}: runs that one seed, logging every node at DEBUG.
 *   <li>otherwise fresh random seeds until {@code sim.minutes} of wall time (default 10) or {@code
 *       sim.seeds} seeds have run.
 *   <li>{@code sim.nodes} (3 or 5; default: alternate), {@code sim.seconds} simulated per seed
 *       (default 300).
 * </ul>
 */
class SimulationSoak {

  static final ActorTestKit kit = SimCluster.newKit();

  @AfterAll
  static void shutdown() {
    SimCluster.shutdown(kit);
  }

  @Test
  void run() {
    Duration perSeed = Duration.ofSeconds(Long.getLong("sim.seconds", 300));
    Integer nodes = Integer.getInteger("sim.nodes");
    String replay = System.getProperty("sim.replay", "");
    if (!replay.isBlank()) {
      long seed = Long.parseLong(replay.trim());
      int n = nodes == null ? 3 : nodes;
      Simulation.Report r =
          Simulation.run(kit, Simulation.Config.of(seed, n, perSeed).logged());
      System.out.println(r.summary());
      assertThat(r.failures()).as("seed %d", seed).isEmpty();
      return;
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(Long.getLong("sim.minutes", 10)).toNanos();
    long maxSeeds = Long.getLong("sim.seeds", Long.MAX_VALUE);
    SecureRandom fresh = new SecureRandom();
    List<Simulation.Report> reports = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    while (reports.size() < maxSeeds && System.nanoTime() < deadline) {
      long seed = fresh.nextLong() & Long.MAX_VALUE;
      int n = nodes != null ? nodes : reports.size() % 2 == 0 ? 3 : 5;
      Simulation.Report r = Simulation.run(kit, Simulation.Config.of(seed, n, perSeed));
      reports.add(r);
      System.out.println(r.summary());
      if (!r.failures().isEmpty()) {
        failed.add(
            "seed " + seed + " failed; replay it with: scripts/sim.sh --replay " + seed + " --nodes " + n
                + " --seconds " + perSeed.toSeconds());
        System.out.println(failed.get(failed.size() - 1));
      }
    }
    System.out.println(Simulation.totals(reports));
    assertThat(failed).isEmpty();
  }
}
