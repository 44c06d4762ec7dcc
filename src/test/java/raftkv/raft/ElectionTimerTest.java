package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.raft.core.ElectionTimeouts;
import raftkv.raft.core.Rpc;
import raftkv.raft.core.Rpc.PreVote;
import raftkv.raft.core.Rpc.PreVoteReply;
import raftkv.raft.core.Rpc.RequestVote;
import raftkv.testkit.SingleNode;
import raftkv.testkit.TestConfig;

/**
 * §5.2: the election timer, and the leader-quiet timer of pre-vote's leader stickiness (§9.6), under
 * Akka's ManualTime. What the core decides on each tick is {@code raftkv.raft.core.VoteRulesTest}'s.
 */
class ElectionTimerTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void electionTimeoutFiresInsideTheWindow(long seed) {
    SingleNode n = new SingleNode(kit, seed);
    n.advance(Duration.ofMillis(149));
    assertThat(n.sent()).as("sent before 150 ms").isEmpty();
    n.advance(Duration.ofMillis(150)); // 299 ms in all
    List<PreVote> preVotes = n.sent(PreVote.class);
    assertThat(preVotes).as("pre-votes sent by 299 ms").hasSize(2);
    assertThat(preVotes).allSatisfy(p -> assertThat(p.term()).isEqualTo(1));
    n.stop();
  }

  @Test
  void followersPingEveryPeerAtStartAndEverySecondButLeadersDoNot() {
    SingleNode n = new SingleNode(kit, 15);
    assertThat(n.sentWithPings())
        .extracting(s -> s.to(), s -> s.message().getClass())
        .containsExactlyInAnyOrder(
            org.assertj.core.api.Assertions.tuple(SingleNode.N2, Rpc.Ping.class),
            org.assertj.core.api.Assertions.tuple(SingleNode.N3, Rpc.Ping.class));
    for (int i = 0; i < 8; i++) { // a leader's heartbeats keep the follower from campaigning
      n.deliver(SingleNode.heartbeat(1));
      n.advance(Duration.ofMillis(140));
    }
    assertThat(n.sentWithPings().stream().filter(s -> s.message() instanceof Rpc.Ping))
        .as("pings in the 1120 ms after the first").hasSize(2);
    n.stop();
    SingleNode leader = new SingleNode(kit, 16);
    long term = leader.makeLeader();
    leader.sentWithPings();
    for (int i = 0; i < 12; i++) { // n2 answers, so the leader keeps its office
      leader.deliver(new Rpc.AppendEntriesReply(term, SingleNode.N2, 2, true, 1, 0, 0, 0));
      leader.advance(Duration.ofMillis(100));
    }
    assertThat(leader.status().role()).isEqualTo("leader");
    assertThat(leader.sentWithPings()).noneMatch(s -> s.message() instanceof Rpc.Ping);
    leader.stop();
  }

  @Test
  void timeoutsAreDrawnUniformlyFromTheWindow() {
    ElectionTimeouts t =
        new ElectionTimeouts(Duration.ofMillis(150), Duration.ofMillis(300), new Random(42));
    List<Long> draws = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      draws.add(t.next().toMillis());
    }
    assertThat(draws).allSatisfy(ms -> assertThat(ms).isBetween(150L, 299L));
    // Each 50 ms third of the window gets about a third of the draws.
    assertThat(draws.stream().filter(ms -> ms < 200).count()).isBetween(3000L, 3700L);
    assertThat(draws.stream().filter(ms -> ms >= 250).count()).isBetween(3000L, 3700L);
  }

  @Test
  void timeoutIsLoggedWithNodeAndTerm() {
    SingleNode n = new SingleNode(kit, 11);
    LoggingTestKit.info("Election timeout after")
        .withMdc(java.util.Map.of("nodeId", "n1"))
        .expect(kit.system(), () -> {
          n.advance(Duration.ofMillis(300));
          return null;
        });
    n.stop();
  }

  @Test
  void timeoutNeverFiresWhileHeartbeatsArrive() {
    SingleNode n = new SingleNode(kit, 12);
    for (int i = 0; i < 10; i++) { // heartbeats every 140 ms, just below the 150 ms minimum
      n.deliver(SingleNode.heartbeat(1));
      n.advance(Duration.ofMillis(140));
    }
    assertThat(n.sent(PreVote.class)).isEmpty();
    assertThat(n.status().role()).isEqualTo("follower");
    assertThat(n.status().leaderId()).isEqualTo(2);
    // Once they stop, the timer fires within the window: 140 ms have passed since the last one.
    n.advance(Duration.ofMillis(159));
    assertThat(n.sent(PreVote.class)).hasSize(2);
    n.stop();
  }

  @Test
  void withoutPreVoteTheTimeoutStartsAnElectionInTheNextTerm() {
    SingleNode n =
        new SingleNode(
            kit,
            new raftkv.storage.InMemoryStorage(),
            raftkv.common.RaftSettings.defaults().withPreVote(false),
            13);
    n.advance(Duration.ofMillis(299));
    List<RequestVote> votes = n.sent(RequestVote.class);
    assertThat(votes).hasSize(2).allSatisfy(v -> assertThat(v.term()).isEqualTo(1));
    assertThat(n.status().role()).isEqualTo("candidate");
    assertThat(n.storage.votedFor()).contains(SingleNode.N1);
    n.stop();
  }

  @Test
  void candidateStartsAnotherElectionWhenItsTimerFiresAgain() {
    SingleNode n =
        new SingleNode(
            kit,
            new raftkv.storage.InMemoryStorage(),
            raftkv.common.RaftSettings.defaults().withPreVote(false),
            14);
    n.advance(Duration.ofMillis(299));
    assertThat(n.sent(RequestVote.class)).extracting(RequestVote::term).containsOnly(1L);
    // No votes came (split or lost): at its next timeout it tries again, one term up.
    List<RequestVote> next = List.of();
    for (int steps = 0; next.isEmpty(); steps++) {
      assertThat(steps).as("149 ms steps before the candidate's timer fired").isLessThan(3);
      n.advance(Duration.ofMillis(149));
      next = n.sent(RequestVote.class);
    }
    assertThat(next).extracting(RequestVote::term).containsOnly(2L);
    assertThat(n.status().term()).isEqualTo(2);
    n.stop();
  }

  @Test
  void grantingAVoteRestartsTheElectionTimer() { // Figure 2, rules for followers
    SingleNode n = new SingleNode(kit, 27);
    n.advance(Duration.ofMillis(140));
    n.deliver(new RequestVote(1, SingleNode.N2, 2, 0, 0));
    n.advance(Duration.ofMillis(140)); // 280 ms since start, 140 since the vote
    assertThat(n.sent(PreVote.class)).isEmpty();
    n.stop();
  }

  @Test
  void preVoteGrantedOnceTheLeaderWasQuietForTheMinimumElectionTimeout() { // §9.6, §4.2.3
    SingleNode n = new SingleNode(kit, 29);
    n.deliver(SingleNode.heartbeat(1)); // n2 leads term 1
    n.sent();
    // Still refused just inside the minimum election timeout (150 ms) after the heartbeat...
    n.advance(Duration.ofMillis(149));
    n.sent();
    n.deliver(new PreVote(2, SingleNode.N3, 3, 0, 0));
    assertThat(n.sent(PreVoteReply.class)).singleElement().satisfies(x -> assertThat(x.granted()).isFalse());
    // ...granted once it has passed, even before this node's own (later) timer fires.
    n.advance(Duration.ofMillis(1));
    assertThat(n.status().role()).as("own election timer not fired yet").isEqualTo("follower");
    n.deliver(new PreVote(2, SingleNode.N3, 3, 0, 0));
    assertThat(n.sent(PreVoteReply.class)).singleElement().satisfies(x -> assertThat(x.granted()).isTrue());
    n.stop();
  }
}
