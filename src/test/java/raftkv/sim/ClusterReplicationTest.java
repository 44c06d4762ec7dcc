package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.common.Endpoint;
import raftkv.raft.RaftNode;
import raftkv.raft.core.Rpc;
import raftkv.storage.LogEntry;

/** Replication, commit and recovery in clusters of 3 and 5 over a controlled network. */
class ClusterReplicationTest {
  static final ActorTestKit kit = SimCluster.newKit();
  static final Duration SECOND = Duration.ofSeconds(1);

  @AfterAll
  static void shutdown() {
    SimCluster.shutdown(kit);
  }

  private static Optional<String> staleRead(SimCluster c, int node, String key) {
    Reply r = c.await(c.read(node, key, Consistency.STALE), SECOND).orElseThrow();
    assertThat(r.result().ok()).isTrue();
    return Optional.ofNullable(r.result().value());
  }

  private static int otherThan(SimCluster c, int... excluded) {
    for (int i = 0; i < c.size(); i++) {
      final int x = i;
      if (java.util.Arrays.stream(excluded).noneMatch(e -> e == x)) {
        return i;
      }
    }
    throw new IllegalStateException();
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {3, 5})
  void writesCommitOnEveryNode(int size) {
    try (SimCluster c = new SimCluster(kit, size, 300 + size)) {
      for (int i = 1; i <= 20; i++) {
        c.writeOk("w", i, new Op.Put("k" + i, "v" + i));
      }
      c.advance(Duration.ofMillis(200));
      long commit = c.status(c.awaitLeader(SECOND)).commitIndex();
      for (int n = 0; n < size; n++) {
        assertThat(c.status(n).commitIndex()).isEqualTo(commit);
        assertThat(c.status(n).lastApplied()).isEqualTo(commit);
        assertThat(staleRead(c, n, "k20")).contains("v20");
        assertThat(staleRead(c, n, "k1")).contains("v1");
      }
    }
  }

  @Test
  void aMinorityCommitsNothing() {
    try (SimCluster c = new SimCluster(kit, 5, 311)) {
      c.writeOk("w", 1, new Op.Put("k", "before"));
      int old = c.awaitLeader(SECOND);
      int buddy = otherThan(c, old);
      List<Endpoint> minority = List.of(c.endpoint(old), c.endpoint(buddy));
      List<Endpoint> majority = c.endpoints.stream().filter(e -> !minority.contains(e)).toList();
      c.net.partition(minority, majority);
      long commitBefore = c.status(old).commitIndex();
      Inbox<Reply> stuck = c.write(old, "m", 1, new Op.Put("k", "minority"));
      c.advance(SECOND);
      stuck.poll().ifPresent(r ->
          assertThat(r.result().ok()).as("the minority leader never confirms the write").isFalse());
      assertThat(c.status(old).commitIndex()).isEqualTo(commitBefore);
      assertThat(c.status(buddy).commitIndex()).isEqualTo(commitBefore);
      // The majority goes on: it elects and commits.
      c.writeOk("w", 2, new Op.Put("k", "majority"));
      int leader = c.awaitLeader(SECOND);
      assertThat(minority).doesNotContain(c.endpoint(leader));
      c.net.heal();
      c.advance(SECOND);
      for (int n = 0; n < 5; n++) {
        assertThat(staleRead(c, n, "k")).as("n%d", n + 1).contains("majority");
      }
    }
  }

  /**
   * Anomaly 4: a leader that had stored a write and then stepped down answered not_leader, as if
   * nothing had been applied; the entry may still commit under the next leader. It answers unknown.
   */
  @Test
  void aLeaderThatStepsDownAfterStoringAWriteSaysItsOutcomeIsUnknown() {
    try (SimCluster c = new SimCluster(kit, 3, 322)) {
      c.writeOk("u", 1, new Op.Put("a", "1"));
      int old = c.awaitLeader(SECOND);
      // Isolated, the leader still stores the write in its own log; the others elect a new
      // leader, and check-quorum makes the old one step down.
      c.net.isolate(c.endpoint(old), c.endpoints);
      Inbox<Reply> stored = c.write(old, "u", 2, new Op.Put("b", "2"));
      c.settle();
      assertThat(c.disk(old).lastIndex()).as("the write is in the old leader's log").isGreaterThan(2);
      ClusterElectionTest.awaitLeaderOtherThan(c, old, SECOND);
      c.advance(SECOND);
      Reply r = c.await(stored, SECOND).orElseThrow();
      assertThat(r.result().error()).isEqualTo(ErrorCode.UNKNOWN);
      assertThat(r.result().error().outcomeUnknown()).isTrue();
    }
  }

  @Test
  void anOldLeadersUncommittedEntriesAreReplacedWhenItRejoins() {
    try (SimCluster c = new SimCluster(kit, 3, 321)) {
      c.writeOk("w", 1, new Op.Put("a", "1"));
      int old = c.awaitLeader(SECOND);
      c.net.isolate(c.endpoint(old), c.endpoints);
      List<Inbox<Reply>> lost = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        lost.add(c.write(old, "lost", i, new Op.Put("lost" + i, "x")));
      }
      c.settle();
      long oldLast = c.disk(old).lastIndex();
      // The others elect a leader and commit different entries at those indexes.
      int leader = ClusterElectionTest.awaitLeaderOtherThan(c, old, SECOND);
      for (int i = 2; i <= 6; i++) {
        c.writeOk("w", i, new Op.Put("b" + i, "y"));
      }
      c.net.heal();
      c.advance(SECOND);
      List<LogEntry> newLog = c.disk(leader).snapshotOfLog();
      List<LogEntry> oldLog = c.disk(old).snapshotOfLog();
      assertThat(oldLog).isEqualTo(newLog);
      assertThat(newLog.size()).isGreaterThanOrEqualTo((int) oldLast);
      // Its clients never got a success (stored when it stepped down, they heard unknown: the
      // entries could have committed), and their writes are nowhere.
      for (Inbox<Reply> in : lost) {
        in.poll().ifPresent(r -> assertThat(r.result().error()).isIn(ErrorCode.NOT_LEADER, ErrorCode.UNKNOWN));
      }
      assertThat(staleRead(c, old, "lost1")).isEmpty();
      assertThat(staleRead(c, old, "b6")).contains("y");
    }
  }

  @Test
  void restartingEveryNodeKeepsEveryCommittedEntry() {
    try (SimCluster c = new SimCluster(kit, 3, 331)) {
      for (int i = 1; i <= 30; i++) {
        c.writeOk("w", i, new Op.Put("k" + i, "v" + i));
      }
      List<LogEntry> committedBefore = c.committedEntries();
      // The leader knows the last write committed; a follower learns it with the next heartbeat.
      int oldLeader = c.awaitLeader(SECOND);
      for (int n = 0; n < 3; n++) {
        c.crash(n);
      }
      for (int n = 0; n < 3; n++) {
        c.start(n);
      }
      // Applied again from storage at start, before any leader exists.
      assertThat(staleRead(c, oldLeader, "k30")).contains("v30");
      int leader = c.awaitLeader(SECOND);
      c.advance(Duration.ofMillis(200));
      assertThat(c.committedEntries()).startsWith(committedBefore.toArray(LogEntry[]::new));
      for (int i = 1; i <= 30; i++) {
        Reply r = c.await(c.read(leader, "k" + i, Consistency.LINEARIZABLE), SECOND).orElseThrow();
        assertThat(r.result().value()).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void aRetriedWriteAppliesOnceAcrossAFailover() {
    try (SimCluster c = new SimCluster(kit, 3, 341)) {
      c.writeOk("setup", 1, new Op.Put("n", "10"));
      int old = c.awaitLeader(SECOND);
      // The leader replicates the incr, then is cut off before its client hears back.
      Inbox<Reply> first = c.write(old, "client-7", 1, new Op.Incr("n", 1));
      c.settle();
      c.net.isolate(c.endpoint(old), c.endpoints);
      c.advance(Duration.ofMillis(20));
      // The client times out and retries the same (clientId, seq) at the new leader.
      int leader = ClusterElectionTest.awaitLeaderOtherThan(c, old, SECOND);
      Reply retry = c.await(c.write(leader, "client-7", 1, new Op.Incr("n", 1)), SECOND).orElseThrow();
      assertThat(retry.result().ok()).isTrue();
      assertThat(retry.result().value()).isEqualTo("11");
      first.poll().ifPresent(r -> {
        if (r.result().ok()) {
          // Had the first answer arrived, the retry reports the same application.
          assertThat(retry.result().index()).isEqualTo(r.result().index());
        }
      });
      // Once more, for good measure: still the first outcome, marked as a duplicate.
      Reply again = c.await(c.write(leader, "client-7", 1, new Op.Incr("n", 1)), SECOND).orElseThrow();
      assertThat(again.result().duplicate()).isTrue();
      assertThat(again.result().value()).isEqualTo("11");
      assertThat(again.result().index()).isEqualTo(retry.result().index());
      c.net.heal();
      c.advance(Duration.ofMillis(500));
      for (int n = 0; n < 3; n++) {
        assertThat(staleRead(c, n, "n")).as("n%d", n + 1).contains("11");
      }
    }
  }

  @Test
  void aDeposedLeaderDoesNotAnswerLinearizableReads() {
    try (SimCluster c = new SimCluster(kit, 3, 351)) {
      c.writeOk("w", 1, new Op.Put("k", "old"));
      int old = c.awaitLeader(SECOND);
      c.net.isolate(c.endpoint(old), c.endpoints);
      ClusterElectionTest.awaitLeaderOtherThan(c, old, SECOND);
      c.writeOk("w", 2, new Op.Put("k", "new"));
      Reply r = c.await(c.read(old, "k", Consistency.LINEARIZABLE), SECOND).orElseThrow();
      assertThat(r.result().ok()).isFalse();
      assertThat(r.result().error()).isEqualTo(ErrorCode.NOT_LEADER);
    }
  }

  @Test
  void withoutCheckQuorumTheReadIndexRoundAloneKeepsAStaleLeaderSilent() {
    var settings = raftkv.common.RaftSettings.defaults().withCheckQuorum(false);
    try (SimCluster c = new SimCluster(kit, 3, 352, settings)) {
      c.writeOk("w", 1, new Op.Put("k", "old"));
      int old = c.awaitLeader(SECOND);
      c.net.isolate(c.endpoint(old), c.endpoints);
      ClusterElectionTest.awaitLeaderOtherThan(c, old, SECOND);
      c.writeOk("w", 2, new Op.Put("k", "new"));
      assertThat(c.status(old).role()).as("still believes it leads").isEqualTo("leader");
      Optional<Reply> r = c.await(c.read(old, "k", Consistency.LINEARIZABLE), SECOND);
      assertThat(r).as("no answer rather than a stale one").isEmpty();
      // The stale read, asked for explicitly, does answer from local state.
      assertThat(staleRead(c, old, "k")).contains("old");
    }
  }

  @Test
  void aFollowerServesLinearizableReadsThroughTheLeadersReadIndex() {
    try (SimCluster c = new SimCluster(kit, 3, 361)) {
      c.writeOk("w", 1, new Op.Put("k", "v1"));
      int leader = c.awaitLeader(SECOND);
      int follower = otherThan(c, leader);
      for (int i = 2; i <= 10; i++) {
        Reply w = c.writeOk("w", i, new Op.Put("k", "v" + i));
        // Right after the leader's answer, the follower may not know the commit yet; a
        // linearizable read there must still see the write.
        Reply r = c.await(c.read(follower, "k", Consistency.LINEARIZABLE), SECOND).orElseThrow();
        assertThat(r.result().value()).as("after write %s", w).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void writesThatArriveTogetherShareOneSyncAndTravelTogether() {
    try (SimCluster c = new SimCluster(kit, 3, 371)) {
      int leader = c.awaitLeader(SECOND);
      c.advance(Duration.ofMillis(100));
      AtomicInteger biggestBatch = new AtomicInteger();
      c.net.observe((from, m) -> {
        if (m instanceof Rpc.AppendEntries ae) {
          biggestBatch.accumulateAndGet(ae.entries().size(), Math::max);
        }
      });
      List<Inbox<Reply>> replies = new ArrayList<>();
      for (int i = 1; i <= 50; i++) {
        replies.add(new Inbox<>(kit, Reply.class));
      }
      long syncsBefore = c.disk(leader).syncs();
      for (int i = 1; i <= 50; i++) {
        c.write(leader, "g" + i, 1, new Op.Put("k" + i, "v"), replies.get(i - 1));
      }
      c.advance(Duration.ofMillis(100));
      for (Inbox<Reply> in : replies) {
        assertThat(in.poll()).hasValueSatisfying(r -> assertThat(r.result().ok()).isTrue());
      }
      assertThat(c.disk(leader).syncs() - syncsBefore).as("leader syncs for 50 writes").isLessThanOrEqualTo(3);
      assertThat(biggestBatch.get()).as("entries in one AppendEntries").isGreaterThanOrEqualTo(25);
    }
  }

  @Test
  void aFarBehindFollowerCatchesUpInAFewRoundTrips() {
    try (SimCluster c = new SimCluster(kit, 3, 381)) {
      // The follower-to-be leads first and gathers entries nobody else has (term t).
      int f = c.awaitLeader(SECOND);
      c.net.isolate(c.endpoint(f), c.endpoints);
      for (int i = 1; i <= 40; i++) {
        c.write(f, "lost", i, new Op.Put("x" + i, "x"));
      }
      c.settle();
      // Meanwhile the others go through two more leaderships and 300 writes.
      for (int round = 0; round < 2; round++) {
        int l = ClusterElectionTest.awaitLeaderOtherThan(c, f, SECOND);
        for (int i = 1; i <= 150; i++) {
          c.writeOk("w" + round, i, new Op.Put("k" + i, "v"));
        }
        if (round == 0) {
          c.crash(l);
          c.start(l);
        }
      }
      AtomicInteger rejections = new AtomicInteger();
      c.net.observe((from, m) -> {
        if (from.equals(c.endpoint(f)) && m instanceof Rpc.AppendEntriesReply r && !r.success()) {
          rejections.incrementAndGet();
        }
      });
      c.net.heal();
      c.advance(SECOND);
      int leader = c.awaitLeader(SECOND);
      assertThat(c.disk(f).snapshotOfLog()).isEqualTo(c.disk(leader).snapshotOfLog());
      assertThat(rejections.get()).as("rejected AppendEntries before the logs matched").isLessThanOrEqualTo(4);
    }
  }

  @Test
  void keepsCommittingWhileMessagesAreLostDelayedAndReordered() {
    try (SimCluster c = new SimCluster(kit, 5, 391)) {
      c.awaitLeader(SECOND);
      c.net.drop(0.05);
      c.net.delay(Duration.ofMillis(30));
      for (int i = 1; i <= 60; i++) {
        int leader = c.awaitLeader(Duration.ofSeconds(5));
        Optional<Reply> r = c.await(c.write(leader, "w", i, new Op.Incr("n", 1)), Duration.ofSeconds(2));
        if (r.isEmpty() || !r.get().result().ok()) {
          i--; // retry the same seq: applied at most once either way
        }
      }
      c.net.heal();
      c.advance(SECOND);
      int leader = c.awaitLeader(SECOND);
      Reply r = c.await(c.read(leader, "n", Consistency.LINEARIZABLE), SECOND).orElseThrow();
      assertThat(r.result().value()).as("60 increments, each applied exactly once").isEqualTo("60");
    }
  }
}
