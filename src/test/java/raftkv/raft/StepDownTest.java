package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.testkit.SingleNode.N2;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import java.util.List;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Rpc;
import raftkv.storage.InMemoryStorage;
import raftkv.testkit.SingleNode;
import raftkv.testkit.TestConfig;

/**
 * §5.1: a message of any type carrying a higher term turns the receiver, whatever its role, into a
 * follower of that term, persisted. The pre-vote request is the one exception (§9.6).
 */
class StepDownTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  static Stream<Arguments> messagesWithATerm() {
    return Stream.of(
        msg("AppendEntries", t -> SingleNode.heartbeat(t)),
        msg("AppendEntriesReply", t -> new Rpc.AppendEntriesReply(t, N2, 2, false, 0, 0, 1, 0)),
        msg("RequestVote", t -> new Rpc.RequestVote(t, N2, 2, 0, 0)),
        msg("RequestVoteReply", t -> new Rpc.RequestVoteReply(t, N2, 2, false)),
        msg("PreVoteReply (refusal)", t -> new Rpc.PreVoteReply(t, N2, 2, false)),
        msg("ReadIndexRequest", t -> new Rpc.ReadIndexRequest(t, N2, 2, 1, 7)),
        msg("ReadIndexReply", t -> new Rpc.ReadIndexReply(t, N2, 2, 1, 7, false, 0)));
  }

  private static Arguments msg(String name, LongFunction<Rpc.PeerMessage> make) {
    return Arguments.of(name, make);
  }

  private static void assertFollowerOf(SingleNode n, long term) {
    var status = n.status();
    assertThat(status.role()).isEqualTo("follower");
    assertThat(status.term()).isEqualTo(term);
    assertThat(n.storage.currentTerm()).as("new term persisted").isEqualTo(term);
  }

  @ParameterizedTest(name = "leader steps down on {0}")
  @MethodSource("messagesWithATerm")
  void leaderStepsDownOnHigherTerm(String name, LongFunction<Rpc.PeerMessage> make) {
    SingleNode n = new SingleNode(kit, 41);
    long term = n.makeLeader();
    n.deliver(make.apply(term + 4));
    assertFollowerOf(n, term + 4);
    // And it no longer acts as leader: no more heartbeats of the old term.
    n.sent();
    n.advance(Duration.ofMillis(100));
    assertThat(n.sent(Rpc.AppendEntries.class)).isEmpty();
    n.stop();
  }

  @ParameterizedTest(name = "candidate steps down on {0}")
  @MethodSource("messagesWithATerm")
  void candidateStepsDownOnHigherTerm(String name, LongFunction<Rpc.PeerMessage> make) {
    SingleNode n =
        new SingleNode(kit, new InMemoryStorage(), RaftSettings.defaults().withPreVote(false), 42);
    n.advance(Duration.ofMillis(300));
    assertThat(n.status().role()).isEqualTo("candidate");
    n.deliver(make.apply(9));
    assertFollowerOf(n, 9);
    n.stop();
  }

  @ParameterizedTest(name = "pre-candidate steps down on {0}")
  @MethodSource("messagesWithATerm")
  void preCandidateStepsDownOnHigherTerm(String name, LongFunction<Rpc.PeerMessage> make) {
    SingleNode n = new SingleNode(kit, 43);
    n.advance(Duration.ofMillis(300));
    assertThat(n.status().role()).isEqualTo("pre-candidate");
    n.deliver(make.apply(9));
    assertFollowerOf(n, 9);
    n.stop();
  }

  @ParameterizedTest(name = "follower adopts the term of {0}")
  @MethodSource("messagesWithATerm")
  void followerAdoptsHigherTerm(String name, LongFunction<Rpc.PeerMessage> make) {
    SingleNode n = new SingleNode(kit, 44);
    n.deliver(make.apply(6));
    assertFollowerOf(n, 6);
    n.stop();
  }

  @Test
  void preVoteWithAHigherTermChangesNothing() {
    SingleNode n = new SingleNode(kit, 45);
    long term = n.makeLeader();
    n.deliver(new Rpc.PreVote(term + 5, N2, 2, 99, term));
    var status = n.status();
    assertThat(status.role()).isEqualTo("leader");
    assertThat(status.term()).isEqualTo(term);
    assertThat(n.sent(Rpc.PreVoteReply.class))
        .singleElement()
        .satisfies(r -> assertThat(r.granted()).as("a leader refuses pre-votes").isFalse());
    n.stop();
  }

  @Test
  void leaderWithoutAMajorityStepsDown() { // check-quorum
    SingleNode n = new SingleNode(kit, 46);
    long term = n.makeLeader();
    n.advance(Duration.ofMillis(310)); // no follower ever answered
    var status = n.status();
    assertThat(status.role()).isEqualTo("follower");
    assertThat(status.term()).as("stepping down does not change the term").isEqualTo(term);
    n.stop();
  }

  @Test
  void leaderHearingFromAMajorityStaysLeader() {
    SingleNode n = new SingleNode(kit, 47);
    long term = n.makeLeader();
    for (int i = 0; i < 6; i++) {
      n.deliver(new Rpc.AppendEntriesReply(term, N2, 2, true, 1, 0, 0, 0));
      n.advance(Duration.ofMillis(100));
    }
    assertThat(n.status().role()).isEqualTo("leader");
    n.stop();
  }

  @Test
  void staleLeaderIsToldOurTerm() {
    SingleNode n = new SingleNode(kit, 48);
    n.deliver(SingleNode.heartbeat(5));
    n.sent();
    n.deliver(SingleNode.heartbeat(3));
    List<Rpc.AppendEntriesReply> replies = n.sent(Rpc.AppendEntriesReply.class);
    assertThat(replies).singleElement().satisfies(r -> {
      assertThat(r.success()).isFalse();
      assertThat(r.term()).isEqualTo(5);
    });
    n.stop();
  }
}
