package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;
import raftkv.common.RaftSettings;
import raftkv.kv.KvStateMachine;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.StateStore;

/**
 * Log compaction and InstallSnapshot (Raft §7) on the simulated cluster, one scenario at a time:
 * logs stay bounded, a follower that fell behind what the leader's log holds catches up from a
 * snapshot, and a node restarted after a snapshot resumes from its stored state without replay.
 */
class SnapshotScenarioTest {

  static final ActorTestKit kit = SimCluster.newKit();
  private static final Duration SECOND = Duration.ofSeconds(1);

  /** Compaction past 100 entries, keeping 10; snapshots in chunks of about 2 KiB, 2 in flight. */
  private static final RaftSettings SETTINGS =
      RaftSettings.defaults()
          .withSnapshots(new RaftSettings.Snapshots(100, 1L << 20, 10, 2048, 2, Duration.ofMillis(300)));

  @AfterAll
  static void shutdown() {
    SimCluster.shutdown(kit);
  }

  @Test
  void aFollowerCutOffWhileThousandsOfEntriesAreCompactedCatchesUpFromASnapshot() {
    try (SimCluster c = new SimCluster(kit, 3, 2001, SETTINGS)) {
      int leader = c.awaitLeader(SECOND);
      int follower = (leader + 1) % 3;
      c.net.isolate(c.endpoint(follower), c.endpoints);
      for (int i = 1; i <= 2000; i++) {
        c.writeOk("w", i, new Op.Put("k" + (i % 300), "v" + i));
      }
      leader = c.awaitLeader(SECOND);
      SimDisk leaderDisk = c.disk(leader);
      long followerLast = c.disk(follower).lastIndex();
      assertThat(leaderDisk.firstIndex())
          .as("the leader compacted past what the follower holds")
          .isGreaterThan(followerLast + 1);
      assertThat(leaderDisk.lastIndex() - leaderDisk.firstIndex() + 1).as("bounded log").isLessThanOrEqualTo(200);
      long installsBefore = c.disk(follower).installs();

      c.net.heal();
      c.advance(Duration.ofSeconds(3));
      assertThat(c.disk(follower).installs()).as("it caught up through a snapshot").isGreaterThan(installsBefore);
      assertThat(c.status(follower).lastApplied()).isEqualTo(c.status(leader).commitIndex());
      for (int k : new int[] {0, 1, 299}) {
        int last = 2000 - ((2000 - k) % 300);
        Reply r = c.await(c.read(follower, "k" + k, Consistency.STALE), SECOND).orElseThrow();
        assertThat(r.result().value()).as("k%d on the follower", k).isEqualTo("v" + last);
      }
      // The session table came with the snapshot: the follower stores what the leader stores.
      InMemoryStateStore mine = c.disk(follower).stateStore().copy();
      InMemoryStateStore theirs = c.disk(leader).stateStore().copy();
      assertThat(mine.appliedIndex()).isEqualTo(theirs.appliedIndex());
      assertThat(new KvStateMachine(mine, 1, 1, 1, 0, 0).digest())
          .isEqualTo(new KvStateMachine(theirs, 1, 1, 1, 0, 0).digest());
      assertThat(mine.size(StateStore.Space.SESSIONS)).isPositive();
      Reply retry = c.await(c.write(leader, "w", 2000, new Op.Put("k200", "v2000")), SECOND).orElseThrow();
      assertThat(retry.result().duplicate()).as("%s", retry).isTrue();
    }
  }

  @Test
  void aNodeRestartedAfterASnapshotResumesFromItsStoredStateWithoutReplay() {
    try (SimCluster c = new SimCluster(kit, 3, 2002, SETTINGS)) {
      c.awaitLeader(SECOND);
      for (int i = 1; i <= 500; i++) {
        c.writeOk("w", i, new Op.Incr("n", 1));
      }
      int leader = c.awaitLeader(SECOND);
      int follower = (leader + 1) % 3;
      c.advance(SECOND);
      SimDisk disk = c.disk(follower);
      assertThat(disk.firstIndex()).as("compacted").isGreaterThan(1);
      long applied = disk.stateStore().appliedIndex();

      c.powerFailure(follower);
      assertThat(disk.firstIndex() - 1).as("the compaction was durable").isGreaterThan(0);
      long storedBefore = c.storedStarts();
      c.start(follower);
      assertThat(c.storedStarts()).isEqualTo(storedBefore + 1);
      assertThat(disk.stateStore().appliedIndex())
          .as("it starts from its stored state, at or after the log's start")
          .isGreaterThanOrEqualTo(disk.firstIndex() - 1);
      c.advance(SECOND);
      assertThat(c.status(follower).lastApplied()).isGreaterThanOrEqualTo(applied);
      Reply r = c.await(c.read(follower, "n", Consistency.STALE), SECOND).orElseThrow();
      assertThat(r.result().value()).as("500 increments, each applied once").isEqualTo("500");
    }
  }

  @Test
  void aCrashInTheMiddleOfAnInstallIsFinishedAtTheNextStart() {
    try (SimCluster c = new SimCluster(kit, 3, 2003, SETTINGS)) {
      int leader = c.awaitLeader(SECOND);
      int follower = (leader + 1) % 3;
      c.net.isolate(c.endpoint(follower), c.endpoints);
      for (int i = 1; i <= 400; i++) {
        c.writeOk("w", i, new Op.Put("k" + (i % 50), "v" + i));
      }
      SimDisk disk = c.disk(follower);
      disk.crashAt(SimDisk.CrashPoint.INSTALL);
      c.net.heal();
      c.advance(SECOND);
      assertThat(disk.crashes()).containsKey(SimDisk.CrashPoint.INSTALL);
      assertThat(c.isUp(follower)).isFalse();
      // Marked, the log reset, the state not yet replaced: and a power failure on top.
      assertThat(disk.stateStore().pendingInstall()).isPositive();
      c.powerFailure(follower);
      assertThat(disk.stateStore().pendingInstall()).as("the mark was durable").isPositive();
      c.start(follower);
      assertThat(disk.stateStore().pendingInstall()).as("finished at start").isEqualTo(-1);
      assertThat(disk.stateStore().appliedIndex()).isGreaterThanOrEqualTo(disk.firstIndex() - 1);
      c.advance(SECOND);
      Reply r = c.await(c.read(follower, "k0", Consistency.STALE), SECOND).orElseThrow();
      assertThat(r.result().value()).isEqualTo("v400");
    }
  }
}
