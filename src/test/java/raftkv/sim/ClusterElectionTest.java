package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;

/** Elections in clusters of 3 and 5 over a network the test controls, on virtual time. */
class ClusterElectionTest {
  static final ActorTestKit kit = SimCluster.newKit();

  @AfterAll
  static void shutdown() {
    SimCluster.shutdown(kit);
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {3, 5})
  void electsOneLeaderThatEveryoneFollows(int size) {
    try (SimCluster c = new SimCluster(kit, size, 100 + size)) {
      int leader = c.awaitLeader(Duration.ofSeconds(1));
      c.advance(Duration.ofMillis(200));
      List<NodeStatus> all = c.statuses();
      long term = c.status(leader).term();
      assertThat(all).allSatisfy(s -> {
        assertThat(s.term()).isEqualTo(term);
        assertThat(s.leaderId()).isEqualTo(leader + 1);
      });
      assertThat(c.leaders()).containsExactly(leader);
      // Pre-vote: nobody campaigned for a term that did not produce a leader.
      assertThat(c.candidateTerms).containsOnly(term);
    }
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {3, 5})
  void leaderCutOffIsReplacedWithinOneSecond(int size) {
    try (SimCluster c = new SimCluster(kit, size, 200 + size)) {
      int old = c.awaitLeader(Duration.ofSeconds(1));
      long oldTerm = c.status(old).term();
      c.net.isolate(c.endpoint(old), c.endpoints);
      Duration start = c.time.now();
      int leader = awaitLeaderOtherThan(c, old, Duration.ofSeconds(1));
      Duration took = c.time.now().minus(start);
      assertThat(took).isLessThan(Duration.ofSeconds(1));
      assertThat(c.status(leader).term()).isGreaterThan(oldTerm);
      // Check-quorum: the cut-off leader steps down on its own.
      c.advance(Duration.ofMillis(700));
      assertThat(c.status(old).role()).isNotEqualTo("leader");
      // Healed, the old leader follows the new one in its term.
      c.net.heal();
      c.advance(Duration.ofMillis(500));
      assertThat(c.status(old).leaderId()).isEqualTo(leader + 1);
      assertThat(c.status(old).term()).isEqualTo(c.status(leader).term());
    }
  }

  static int awaitLeaderOtherThan(SimCluster c, int old, Duration max) {
    Duration waited = Duration.ZERO;
    while (waited.compareTo(max) <= 0) {
      var l = stableAmong(c, old);
      if (l >= 0) {
        return l;
      }
      c.advance(SimCluster.STEP);
      waited = waited.plus(SimCluster.STEP);
    }
    throw new AssertionError("no new leader within " + max + ": " + c.statuses());
  }

  /** A leader other than {@code excluded} that a majority follows, or -1. */
  static int stableAmong(SimCluster c, int excluded) {
    for (int i : c.leaders()) {
      if (i == excluded) {
        continue;
      }
      long term = c.status(i).term();
      Endpoint e = c.endpoint(i);
      long following =
          IntStream.range(0, c.size())
              .filter(c::isUp)
              .mapToObj(c::status)
              .filter(s -> s.term() == term && e.equals(s.leader()))
              .count();
      if (following >= c.size() / 2 + 1) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void splitVotesResolve() {
    // Without pre-vote and with slow links (up to 300 ms, longer than some timeouts), several
    // nodes time out before any RequestVote arrives: votes split, term after term. Randomized
    // timeouts must still produce a leader.
    RaftSettings noPreVote = RaftSettings.defaults().withPreVote(false);
    try (SimCluster c = new SimCluster(kit, 5, 4, noPreVote)) {
      c.net.delay(Duration.ofMillis(300));
      // A leader's first heartbeat can take longer than a follower's timeout: how many terms
      // pass before one holds depends on the draws, so allow a minute of virtual time.
      c.awaitLeader(Duration.ofSeconds(60));
      Set<Long> leaderless = new java.util.HashSet<>(c.candidateTerms);
      leaderless.removeAll(c.termsWithALeader());
      assertThat(leaderless).as("terms whose election failed (split votes)").isNotEmpty();
    }
  }

  @Test
  void electsDespiteLosingATenthOfAllMessages() {
    try (SimCluster c = new SimCluster(kit, 5, 31)) {
      c.net.drop(0.1);
      c.awaitLeader(Duration.ofSeconds(2));
      c.advance(Duration.ofSeconds(2));
      assertThat(c.termsWithALeader()).isNotEmpty();
    }
  }

  @Test
  void aRestartedNodeDoesNotDisturbAStableLeader() {
    try (SimCluster c = new SimCluster(kit, 3, 41)) {
      int leader = c.awaitLeader(Duration.ofSeconds(1));
      long term = c.status(leader).term();
      int follower = (leader + 1) % 3;
      // Down for a while, then back: its pre-votes are refused while the leader is heard.
      c.crash(follower);
      c.advance(Duration.ofSeconds(1));
      c.start(follower);
      c.advance(Duration.ofSeconds(1));
      assertThat(c.status(leader).role()).isEqualTo("leader");
      assertThat(c.status(leader).term()).isEqualTo(term);
      assertThat(c.status(follower).leaderId()).isEqualTo(leader + 1);
    }
  }

  @Test
  void withoutPreVoteARejoiningNodeForcesAnElection() {
    // The disruption pre-vote exists to prevent (dissertation §9.6): shows the test above has teeth.
    RaftSettings noPreVote = RaftSettings.defaults().withPreVote(false);
    try (SimCluster c = new SimCluster(kit, 3, 42, noPreVote)) {
      int leader = c.awaitLeader(Duration.ofSeconds(1));
      long term = c.status(leader).term();
      int follower = (leader + 1) % 3;
      c.net.isolate(c.endpoint(follower), c.endpoints);
      c.advance(Duration.ofSeconds(1)); // it campaigns alone, raising its term
      c.net.heal();
      c.advance(Duration.ofMillis(400)); // its next RequestVote, of a higher term, reaches the others
      c.awaitLeader(Duration.ofSeconds(2));
      assertThat(c.statuses()).allSatisfy(s -> assertThat(s.term()).isGreaterThan(term));
    }
  }
}
