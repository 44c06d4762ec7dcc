package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;
import raftkv.common.Endpoint;
import raftkv.raft.RaftNode;
import raftkv.raft.core.Rpc;
import raftkv.storage.LogEntry;

/**
 * The classic Raft scenarios (after the MIT 6.824 lab suites), on the real node behaviors in one
 * JVM over a network the test controls, in virtual time. Each asserts outcomes; beneath all of them
 * {@link SimCluster} checks Raft's safety properties at every event.
 */
class RaftScenarioTest {
  static final ActorTestKit kit = SimCluster.newKit();
  static final Duration SECOND = Duration.ofSeconds(1);

  @AfterAll
  static void shutdown() {
    SimCluster.shutdown(kit);
  }

  // --- elections --------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {3, 5})
  void withoutFaultsTheFirstLeaderStaysAndTermsAgree(int size) {
    try (SimCluster c = new SimCluster(kit, size, 1000 + size)) {
      int leader = c.awaitLeader(SECOND);
      long term = c.status(leader).term();
      for (int i = 0; i < 100; i++) {
        c.advance(Duration.ofMillis(100));
        assertThat(c.leaders()).containsExactly(leader);
        assertThat(c.statuses()).allSatisfy(s -> assertThat(s.term()).isEqualTo(term));
      }
    }
  }

  @Test
  void noLeaderWithoutAMajorityThenOneWhenAMajorityIsBack() {
    try (SimCluster c = new SimCluster(kit, 5, 1011)) {
      int leader = c.awaitLeader(SECOND);
      List<Integer> down = new ArrayList<>(List.of(leader));
      for (int i = 0; down.size() < 3; i++) {
        if (i != leader) {
          down.add(i);
        }
      }
      down.forEach(c::crash);
      for (int i = 0; i < 60; i++) {
        c.advance(Duration.ofMillis(50));
        assertThat(c.leaders()).as("leaders with 2 of 5 up, after %d ms", 50 * (i + 1)).isEmpty();
      }
      c.start(down.get(1));
      Duration before = c.now();
      c.awaitLeader(SECOND);
      assertThat(c.now().minus(before)).isLessThan(SECOND);
    }
  }

  @Test
  void manyElectionsUnderRandomCutsAlwaysFindALeaderForTheMajority() {
    Random random = new Random(1021);
    try (SimCluster c = new SimCluster(kit, 5, 1021)) {
      c.awaitLeader(SECOND);
      Set<Long> terms = new HashSet<>();
      for (int round = 0; round < 30; round++) {
        List<Endpoint> all = new ArrayList<>(c.endpoints);
        java.util.Collections.shuffle(all, random);
        // Cut two nodes off from everyone: the other three must have a leader within a second.
        List<Endpoint> cut = all.subList(0, 2);
        for (Endpoint e : cut) {
          c.net.isolate(e, c.endpoints);
        }
        int leader = awaitLeaderAmong(c, all.subList(2, 5), SECOND);
        terms.add(c.status(leader).term());
        c.net.heal();
        c.advance(Duration.ofMillis(random.nextInt(300)));
      }
      assertThat(terms.size()).as("terms with a leader across 30 rounds").isGreaterThan(5);
    }
  }

  // --- agreement --------------------------------------------------------------------------------

  @Test
  void agreementWithAFollowerCutOffThenItCatchesUp() {
    try (SimCluster c = new SimCluster(kit, 3, 1031)) {
      int leader = c.awaitLeader(SECOND);
      int follower = (leader + 1) % 3;
      c.net.isolate(c.endpoint(follower), c.endpoints);
      for (int i = 1; i <= 10; i++) {
        c.writeOk("w", i, new Op.Put("k" + i, "v" + i));
      }
      assertThat(c.awaitLeader(SECOND)).isEqualTo(leader);
      long behind = c.disk(follower).lastIndex();
      assertThat(behind).isLessThan(c.disk(leader).lastIndex());
      c.net.heal();
      c.advance(SECOND);
      assertThat(c.disk(follower).snapshotOfLog()).isEqualTo(c.disk(leader).snapshotOfLog());
      assertThat(c.status(follower).commitIndex()).isEqualTo(c.status(leader).commitIndex());
    }
  }

  @Test
  void concurrentClientRequestsAllCommitOnceEach() {
    try (SimCluster c = new SimCluster(kit, 3, 1041)) {
      int leader = c.awaitLeader(SECOND);
      List<Inbox<Reply>> replies = new ArrayList<>();
      for (int client = 0; client < 20; client++) {
        replies.add(c.write(leader, "c" + client, 1, new Op.Incr("counter", 1)));
      }
      c.advance(Duration.ofMillis(200));
      Set<Long> indexes = new HashSet<>();
      for (Inbox<Reply> in : replies) {
        Reply r = in.poll().orElseThrow(() -> new AssertionError("a request got no answer"));
        assertThat(r.result().ok()).as("%s", r).isTrue();
        indexes.add(r.result().index());
      }
      assertThat(indexes).as("each at its own index").hasSize(20);
      Reply read = c.await(c.read(leader, "counter", Consistency.LINEARIZABLE), SECOND).orElseThrow();
      assertThat(read.result().value()).isEqualTo("20");
    }
  }

  @Test
  void agreementDespiteDuplicatedMessages() {
    try (SimCluster c = new SimCluster(kit, 3, 1051)) {
      c.awaitLeader(SECOND);
      c.net.duplicate(0.5);
      c.net.delay(Duration.ofMillis(20));
      for (int i = 1; i <= 30; i++) {
        retryUntilOk(c, "d", i, new Op.Incr("n", 1));
      }
      assertThat(c.net.duplicated()).isGreaterThan(50);
      c.net.heal();
      c.advance(SECOND);
      int leader = c.awaitLeader(SECOND);
      Reply r = c.await(c.read(leader, "n", Consistency.LINEARIZABLE), SECOND).orElseThrow();
      assertThat(r.result().value()).as("30 increments, each applied once").isEqualTo("30");
      for (int n = 0; n < 3; n++) {
        assertThat(c.disk(n).snapshotOfLog()).isEqualTo(c.disk(leader).snapshotOfLog());
      }
    }
  }

  @Test
  void aLeaderThatCannotHearItsFollowersIsReplaced() {
    try (SimCluster c = new SimCluster(kit, 3, 1061)) {
      int old = c.awaitLeader(SECOND);
      // It still reaches them; their answers never reach it.
      for (int i = 0; i < 3; i++) {
        if (i != old) {
          c.net.cutOneWay(c.endpoint(i), c.endpoint(old));
        }
      }
      int leader = ClusterElectionTest.awaitLeaderOtherThan(c, old, Duration.ofSeconds(2));
      c.advance(Duration.ofMillis(500));
      assertThat(c.status(old).role()).isNotEqualTo("leader");
      Reply r = c.await(c.write(leader, "w", 1, new Op.Put("k", "v")), SECOND).orElseThrow();
      assertThat(r.result().ok()).isTrue();
    }
  }

  @Test
  void aFollowerThatCannotHearTheLeaderDoesNotDepose_it() {
    try (SimCluster c = new SimCluster(kit, 3, 1071)) {
      int leader = c.awaitLeader(SECOND);
      long term = c.status(leader).term();
      int deaf = (leader + 1) % 3;
      c.net.cutOneWay(c.endpoint(leader), c.endpoint(deaf));
      for (int i = 1; i <= 20; i++) {
        c.writeOk("w", i, new Op.Put("k", "v" + i));
        c.advance(Duration.ofMillis(100));
      }
      // Pre-vote: the third node still hears the leader and refuses, so the term never moves.
      assertThat(c.leaders()).containsExactly(leader);
      assertThat(c.status(leader).term()).isEqualTo(term);
    }
  }

  // --- commit rules ----------------------------------------------------------------------------

  @Test
  void fastBackupOverManyConflictingEntriesFromOldTerms() {
    try (SimCluster c = new SimCluster(kit, 5, 1081)) {
      c.writeOk("w", 1, new Op.Put("start", "1"));
      int l1 = c.awaitLeader(SECOND);
      int f1 = (l1 + 1) % 5;
      List<Integer> rest = others(5, l1, f1);
      // l1 and f1 cut off: l1 gathers 50 entries that never commit.
      c.net.partition(endpoints(c, l1, f1), endpoints(c, rest));
      for (int i = 1; i <= 50; i++) {
        c.write(l1, "lost1", i, new Op.Put("a" + i, "x"));
      }
      c.settle();
      // The other three elect and commit 50.
      int l2 = awaitLeaderAmong(c, endpoints(c, rest), SECOND);
      for (int i = 1; i <= 50; i++) {
        c.writeOk("w2", i, new Op.Put("b" + i, "y"));
      }
      // Now l2 and one follower are cut off with 50 more entries that never commit.
      int f3 = rest.stream().filter(i -> i != l2).findFirst().orElseThrow();
      List<Integer> third = others(5, l2, f3);
      c.net.heal();
      c.net.partition(endpoints(c, l2, f3), endpoints(c, third));
      for (int i = 1; i <= 50; i++) {
        c.write(l2, "lost2", i, new Op.Put("c" + i, "z"));
      }
      c.settle();
      // The first leader, its follower and the last node: only the last has the committed 50.
      int l3 = awaitLeaderAmong(c, endpoints(c, third), Duration.ofSeconds(2));
      for (int i = 1; i <= 50; i++) {
        c.writeOk("w3", i, new Op.Put("d" + i, "w"));
      }
      AtomicInteger rejections = new AtomicInteger();
      c.net.observe((from, m) -> {
        if (m instanceof Rpc.AppendEntriesReply r && !r.success()) {
          rejections.incrementAndGet();
        }
      });
      c.net.heal();
      c.advance(SECOND);
      int leader = c.awaitLeader(SECOND);
      for (int n = 0; n < 5; n++) {
        assertThat(c.disk(n).snapshotOfLog()).as("n%d", n + 1).isEqualTo(c.disk(leader).snapshotOfLog());
      }
      assertThat(leader).isEqualTo(l3);
      // One rejection per conflicting term, not one per entry.
      assertThat(rejections.get()).as("rejected AppendEntries while 2 nodes backed up 50 entries").isLessThanOrEqualTo(6);
    }
  }

  @Test
  void messageCountsStayBoundedAtRestAndPerAgreement() {
    try (SimCluster c = new SimCluster(kit, 3, 1091)) {
      c.awaitLeader(SECOND);
      c.advance(SECOND);
      AtomicLong sent = new AtomicLong();
      c.net.observe((from, m) -> sent.incrementAndGet());
      c.advance(Duration.ofSeconds(10));
      long idle = sent.get();
      // Heartbeats every 50 ms to 2 followers and their answers, plus the followers' pings.
      assertThat(idle).as("messages in 10 s at rest").isBetween(600L, 1000L);
      sent.set(0);
      for (int i = 1; i <= 100; i++) {
        c.writeOk("w", i, new Op.Put("k", "v" + i));
      }
      Duration took = c.now();
      long perSecondAtRest = idle / 10;
      long busy = sent.get();
      assertThat(busy).as("messages for 100 sequential writes").isLessThanOrEqualTo(100 * 6 + perSecondAtRest * 2);
      assertThat(took).isNotNull();
    }
  }

  @Test
  void figure8AnEntryFromAnOldTermIsNeverCommittedByCountingReplicas() {
    runFigure8(1101, false);
  }

  @Test
  void figure8OverAnUnreliableNetwork() {
    runFigure8(1111, true);
  }

  /**
   * After the lab's Figure 8 tests: writes go to whoever leads, leaders crash at random moments,
   * nodes come back, so that entries of old terms sit on various minorities and majorities. The
   * safety checks run at every event; at the end one more write must commit everywhere.
   */
  private void runFigure8(long seed, boolean unreliable) {
    Random random = new Random(seed);
    try (SimCluster c = new SimCluster(kit, 5, seed)) {
      if (unreliable) {
        c.net.drop(0.1);
        c.net.delay(Duration.ofMillis(30));
        c.net.duplicate(0.05);
      }
      int up = 5;
      long seq = 0;
      for (int iter = 0; iter < 300; iter++) {
        for (int leader : c.leaders()) {
          c.write(leader, "f8", ++seq, new Op.Put("k" + random.nextInt(10), "v" + seq));
        }
        c.advance(Duration.ofMillis(random.nextInt(10) == 0 ? random.nextInt(500) : random.nextInt(15)));
        List<Integer> leaders = c.leaders();
        if (!leaders.isEmpty() && random.nextBoolean()) {
          c.crash(leaders.get(0));
          up--;
        }
        if (up < 3) {
          int back = random.nextInt(5);
          if (!c.isUp(back)) {
            c.start(back);
            up++;
          }
        }
      }
      c.net.heal();
      for (int i = 0; i < 5; i++) {
        if (!c.isUp(i)) {
          c.start(i);
        }
      }
      long committedBefore = c.committedEntries().size();
      c.writeOk("final", 1, new Op.Put("final", "yes"));
      c.advance(SECOND);
      int leader = c.awaitLeader(SECOND);
      assertThat(c.committedEntries().size()).isGreaterThan((int) committedBefore);
      List<LogEntry> log = c.disk(leader).snapshotOfLog();
      for (int n = 0; n < 5; n++) {
        assertThat(c.disk(n).snapshotOfLog()).as("n%d", n + 1).isEqualTo(log);
      }
      assertThat(c.termsWithALeader().size()).as("leaderships").isGreaterThan(10);
    }
  }

  // --- crashes and disks ------------------------------------------------------------------------

  @Test
  void aNodeWhoseSyncFailsStopsAndAcknowledgesNothing() {
    try (SimCluster c = new SimCluster(kit, 3, 1121)) {
      c.writeOk("w", 1, new Op.Put("k", "before"));
      int leader = c.awaitLeader(SECOND);
      c.disk(leader).failSyncs(true);
      Inbox<Reply> reply = c.write(leader, "w", 2, new Op.Put("k", "during"));
      c.advance(Duration.ofMillis(100));
      assertThat(c.isUp(leader)).as("a node whose disk fails stops").isFalse();
      assertThat(reply.poll()).as("no acknowledgement of a write it could not store").isEmpty();
      // The others carry on; the client's retry (same seq) applies once.
      int next = c.awaitLeader(SECOND);
      assertThat(next).isNotEqualTo(leader);
      Reply retried = c.await(c.write(next, "w", 2, new Op.Put("k", "during")), SECOND).orElseThrow();
      assertThat(retried.result().ok()).isTrue();
      // The node comes back on a working disk and catches up.
      c.disk(leader).failSyncs(false);
      c.start(leader);
      c.advance(SECOND);
      assertThat(c.disk(leader).snapshotOfLog()).isEqualTo(c.disk(next).snapshotOfLog());
    }
  }

  @Test
  void aNodeBackFromAFailedSyncMakesItsLogDurableBeforeCountingTowardACommit() {
    try (SimCluster c = new SimCluster(kit, 3, 1125)) {
      c.writeOk("w", 1, new Op.Put("k", "before"));
      int leader = c.awaitLeader(SECOND);
      int follower = (leader + 1) % 3;
      int away = (leader + 2) % 3;
      c.net.isolate(c.endpoint(away), c.endpoints);
      c.disk(follower).failSyncs(true);
      // The follower writes the entry, its sync fails, it stops: the entry is on its disk, unsynced.
      Inbox<Reply> reply = c.write(leader, "w", 2, new Op.Put("k", "after"));
      c.advance(Duration.ofMillis(20));
      assertThat(c.isUp(follower)).isFalse();
      assertThat(reply.poll()).isEmpty();
      // Back on a working disk, it completes the leader's majority: the entry must be durable on
      // it before it counts (the cluster checks that every committed entry is synced on a majority).
      c.disk(follower).failSyncs(false);
      c.start(follower);
      assertThat(c.await(reply, SECOND)).hasValueSatisfying(r -> assertThat(r.result().ok()).isTrue());
      long index = c.status(leader).commitIndex();
      assertThat(c.disk(follower).durableEntry(index)).isPresent();
    }
  }

  @Test
  void powerFailuresOfEveryNodeKeepEveryAcknowledgedWrite() {
    try (SimCluster c = new SimCluster(kit, 3, 1131)) {
      for (int i = 1; i <= 20; i++) {
        c.writeOk("w", i, new Op.Put("k" + i, "v" + i));
      }
      for (int n = 0; n < 3; n++) {
        c.powerFailure(n);
      }
      for (int n = 0; n < 3; n++) {
        c.start(n);
      }
      int leader = c.awaitLeader(SECOND);
      for (int i = 1; i <= 20; i++) {
        Reply r = c.await(c.read(leader, "k" + i, Consistency.LINEARIZABLE), SECOND).orElseThrow();
        assertThat(r.result().value()).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void aPowerFailureTakesTheStoredStateMachineBackWholeAndTheLogReplaysTheRest() {
    try (SimCluster c = new SimCluster(kit, 3, 1135)) {
      for (int i = 1; i <= 10; i++) {
        c.writeOk("w", i, new Op.Incr("n", 1));
      }
      int leader = c.awaitLeader(SECOND);
      int follower = (leader + 1) % 3;
      // The follower learns of the last commit with the next heartbeat and applies it: one state
      // machine batch, not synced (a heartbeat appends nothing, so nothing syncs after it).
      c.advance(Duration.ofMillis(200));
      SimDisk disk = c.disk(follower);
      long applied = disk.stateStore().appliedIndex();
      assertThat(c.status(follower).lastApplied()).isEqualTo(applied);
      assertThat(disk.durableAppliedIndex()).as("durable applied index").isLessThan(applied);

      c.powerFailure(follower);
      assertThat(disk.stateStore().appliedIndex())
          .as("back at the last synced batch, whole")
          .isEqualTo(disk.durableAppliedIndex())
          .isLessThan(applied);
      assertThat(disk.lostStateWrites()).isPositive();
      long storedBefore = c.storedStarts();
      c.start(follower);
      assertThat(c.storedStarts()).as("it resumed from its stored state").isEqualTo(storedBefore + 1);
      c.advance(SECOND);
      assertThat(c.status(follower).lastApplied()).isGreaterThanOrEqualTo(applied);
      Reply r = c.await(c.read(follower, "n", Consistency.STALE), SECOND).orElseThrow();
      assertThat(r.result().value()).as("ten increments, each applied once").isEqualTo("10");
    }
  }

  @Test
  void churnOfCrashesAndRestartsWithClientsWritingThroughout() {
    Simulation.Report r =
        Simulation.run(
            kit,
            Simulation.Config.of(1141, 5, Duration.ofSeconds(120))
                .faults(Set.of("crash", "power failure", "restart", "full restart")));
    assertThat(r.failures()).isEmpty();
    assertThat(r.faults().getOrDefault("crash", 0)).isGreaterThan(10);
    assertThat(r.ok()).isGreaterThan(1000);
    assertThat(r.linearizability()).isEqualTo("yes");
  }

  // --- helpers ----------------------------------------------------------------------------------

  private static void retryUntilOk(SimCluster c, String client, long seq, Op op) {
    for (int attempt = 0; attempt < 50; attempt++) {
      int leader = c.awaitLeader(Duration.ofSeconds(5));
      Optional<Reply> r = c.await(c.write(leader, client, seq, op), SECOND);
      if (r.isPresent() && r.get().result().ok()) {
        return;
      }
    }
    throw new AssertionError("no success for " + client + "/" + seq);
  }

  private static List<Integer> others(int size, int... excluded) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      final int x = i;
      if (java.util.Arrays.stream(excluded).noneMatch(e -> e == x)) {
        out.add(i);
      }
    }
    return out;
  }

  private static List<Endpoint> endpoints(SimCluster c, int... nodes) {
    List<Endpoint> out = new ArrayList<>();
    for (int n : nodes) {
      out.add(c.endpoint(n));
    }
    return out;
  }

  private static List<Endpoint> endpoints(SimCluster c, List<Integer> nodes) {
    return nodes.stream().map(c::endpoint).toList();
  }

  /** A leader among {@code group} that the group's majority of the cluster follows. */
  static int awaitLeaderAmong(SimCluster c, List<Endpoint> group, Duration max) {
    Duration deadline = c.now().plus(max);
    while (c.now().compareTo(deadline) <= 0) {
      Optional<Integer> l = c.stableLeader();
      if (l.isPresent() && group.contains(c.endpoint(l.get()))) {
        return l.get();
      }
      c.advance(SimCluster.STEP);
    }
    throw new AssertionError("no leader among " + group + " within " + max + ": " + c.statuses());
  }
}
