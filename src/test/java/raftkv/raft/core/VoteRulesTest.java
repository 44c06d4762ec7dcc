package raftkv.raft;

import raftkv.raft.core.Rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.testkit.SingleNode.N1;
import static raftkv.testkit.SingleNode.N2;
import static raftkv.testkit.SingleNode.N3;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Rpc.PreVote;
import raftkv.raft.core.Rpc.PreVoteReply;
import raftkv.raft.core.Rpc.RequestVote;
import raftkv.raft.core.Rpc.RequestVoteReply;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.testkit.CapturingTransport.Sent;
import raftkv.testkit.SingleNode;
import raftkv.testkit.SingleNode.Durable;
import raftkv.testkit.TestConfig;

/** Figure 2, RequestVote receiver, and the pre-vote of dissertation §9.6, on a live node actor. */
class VoteRulesTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static RequestVote vote(long term, raftkv.common.Endpoint from, long lastIndex, long lastTerm) {
    return new RequestVote(term, from, from.port() - 9000, lastIndex, lastTerm);
  }

  private static RequestVoteReply onlyReply(SingleNode n) {
    List<RequestVoteReply> replies = n.sent(RequestVoteReply.class);
    assertThat(replies).hasSize(1);
    return replies.get(0);
  }

  @Test
  void grantsAtMostOneVotePerTerm() {
    SingleNode n = new SingleNode(kit, 21);
    n.deliver(vote(1, N2, 0, 0));
    assertThat(onlyReply(n).granted()).isTrue();
    n.deliver(vote(1, N3, 0, 0));
    RequestVoteReply second = onlyReply(n);
    assertThat(second.granted()).isFalse();
    assertThat(second.term()).isEqualTo(1);
    // The same candidate asking again (a retransmission) gets the same vote.
    n.deliver(vote(1, N2, 0, 0));
    assertThat(onlyReply(n).granted()).isTrue();
    n.stop();
  }

  @Test
  void votePersistedBeforeTheReplyLeaves() {
    SingleNode n = new SingleNode(kit, 22);
    n.deliver(vote(3, N2, 0, 0));
    Sent reply = n.sent().stream().filter(s -> s.message() instanceof RequestVoteReply).findFirst().orElseThrow();
    assertThat(((RequestVoteReply) reply.message()).granted()).isTrue();
    assertThat(reply.observedAtSend()).isEqualTo(new Durable(3, Optional.of(N2), 0));
    n.stop();
  }

  @Test
  void voteSurvivesARestart() {
    InMemoryStorage disk = new InMemoryStorage();
    SingleNode n = new SingleNode(kit, disk, RaftSettings.defaults(), 23);
    n.deliver(vote(4, N2, 0, 0));
    assertThat(onlyReply(n).granted()).isTrue();
    n.stop();
    n.start(); // same storage: a process restart
    assertThat(n.status().term()).isEqualTo(4);
    n.deliver(vote(4, N3, 0, 0));
    assertThat(onlyReply(n).granted()).as("a second vote in term 4 after restart").isFalse();
    n.stop();
  }

  @Test
  void refusesALowerTerm() {
    SingleNode n = new SingleNode(kit, 24);
    n.deliver(vote(5, N2, 0, 0));
    n.sent();
    n.deliver(vote(4, N3, 9, 9));
    RequestVoteReply r = onlyReply(n);
    assertThat(r.granted()).isFalse();
    assertThat(r.term()).as("our term, so the candidate steps down").isEqualTo(5);
    n.stop();
  }

  @Test
  void votesOnlyForALogAtLeastAsUpToDate() {
    InMemoryStorage disk = new InMemoryStorage();
    disk.append(List.of(LogEntry.noop(1, 1), LogEntry.noop(2, 2), LogEntry.noop(3, 2)));
    SingleNode n = new SingleNode(kit, disk, RaftSettings.defaults(), 25);
    n.deliver(vote(3, N2, 5, 1)); // longer log, older last term
    assertThat(onlyReply(n).granted()).isFalse();
    n.deliver(vote(4, N2, 2, 2)); // same last term, shorter
    assertThat(onlyReply(n).granted()).isFalse();
    n.deliver(vote(5, N2, 3, 2)); // same last term, same length
    assertThat(onlyReply(n).granted()).isTrue();
    n.stop();
  }

  @Test
  void refusedVoteStillAdoptsTheHigherTerm() {
    InMemoryStorage disk = new InMemoryStorage();
    disk.append(List.of(LogEntry.noop(1, 3)));
    SingleNode n = new SingleNode(kit, disk, RaftSettings.defaults(), 26);
    n.deliver(vote(7, N2, 0, 0));
    assertThat(onlyReply(n).granted()).isFalse();
    assertThat(n.status().term()).isEqualTo(7);
    assertThat(disk.currentTerm()).isEqualTo(7);
    assertThat(disk.votedFor()).isEmpty();
    n.stop();
  }

  @Test
  void grantingAVoteRestartsTheElectionTimer() {
    SingleNode n = new SingleNode(kit, 27);
    n.advance(Duration.ofMillis(140));
    n.deliver(vote(1, N2, 0, 0));
    n.advance(Duration.ofMillis(140)); // 280 ms since start, 140 since the vote
    assertThat(n.sent(PreVote.class)).isEmpty();
    n.stop();
  }

  @Test
  void preVoteGrantedWithoutChangingTermOrVote() {
    SingleNode n = new SingleNode(kit, 28);
    n.deliver(new PreVote(1, N2, 2, 0, 0));
    List<PreVoteReply> r = n.sent(PreVoteReply.class);
    assertThat(r).singleElement().satisfies(x -> {
      assertThat(x.granted()).isTrue();
      assertThat(x.term()).isEqualTo(1);
    });
    assertThat(n.storage.currentTerm()).isZero();
    assertThat(n.storage.votedFor()).isEmpty();
    assertThat(n.status().term()).isZero();
    n.stop();
  }

  @Test
  void preVoteRefusedWhileTheLeaderIsHeard() {
    SingleNode n = new SingleNode(kit, 29);
    n.deliver(SingleNode.heartbeat(1)); // n2 leads term 1
    n.sent();
    n.deliver(new PreVote(2, N3, 3, 0, 0));
    assertThat(n.sent(PreVoteReply.class))
        .singleElement()
        .satisfies(x -> {
          assertThat(x.granted()).isFalse();
          assertThat(x.term()).isEqualTo(1);
        });
    // Still refused just inside the minimum election timeout (150 ms) after the heartbeat...
    n.advance(Duration.ofMillis(149));
    n.sent();
    n.deliver(new PreVote(2, N3, 3, 0, 0));
    assertThat(n.sent(PreVoteReply.class)).singleElement().satisfies(x -> assertThat(x.granted()).isFalse());
    // ...granted once it has passed, even before this node's own (later) timer fires: the first
    // node to notice a dead leader can win without waiting for the others to notice too.
    n.advance(Duration.ofMillis(1));
    assertThat(n.status().role()).as("own election timer not fired yet").isEqualTo("follower");
    n.deliver(new PreVote(2, N3, 3, 0, 0));
    assertThat(n.sent(PreVoteReply.class)).singleElement().satisfies(x -> assertThat(x.granted()).isTrue());
    n.stop();
  }

  @Test
  void preCandidateNeedsAMajorityBeforeRaisingItsTerm() {
    SingleNode n = new SingleNode(kit, 30);
    n.advance(Duration.ofMillis(299));
    assertThat(n.sent(PreVote.class)).hasSize(2);
    assertThat(n.status().role()).isEqualTo("pre-candidate");
    assertThat(n.status().term()).as("a pre-vote does not raise the term").isZero();
    n.deliver(new PreVoteReply(1, N2, 2, true));
    assertThat(n.sent(RequestVote.class)).hasSize(2).allSatisfy(v -> assertThat(v.term()).isEqualTo(1));
    assertThat(n.storage.currentTerm()).isEqualTo(1);
    assertThat(n.storage.votedFor()).contains(N1);
    n.stop();
  }

  @Test
  void candidateBecomesLeaderWithAMajorityAndSendsAppendEntriesAtOnce() {
    SingleNode n = new SingleNode(kit, 31);
    long term = n.makeLeader();
    assertThat(term).isEqualTo(1);
    List<Rpc.AppendEntries> aes = n.sent(Rpc.AppendEntries.class);
    assertThat(aes).extracting(Rpc.AppendEntries::term).contains(1L);
    // The new leader's no-op is in its log.
    assertThat(n.storage.lastIndex()).isEqualTo(1);
    assertThat(n.storage.entry(1).type()).isEqualTo(raftkv.storage.EntryType.NOOP);
    n.stop();
  }

  @Test
  void votesFromAnEarlierTermDoNotCount() {
    SingleNode n =
        new SingleNode(kit, new InMemoryStorage(), RaftSettings.defaults().withPreVote(false), 32);
    n.advance(Duration.ofMillis(299)); // election in term 1
    assertThat(n.sent(RequestVote.class)).extracting(RequestVote::term).containsOnly(1L);
    long term = 1;
    while (term == 1) { // no votes: at the next timeout, an election in term 2
      n.advance(Duration.ofMillis(149));
      term = n.status().term();
    }
    assertThat(term).isEqualTo(2);
    n.deliver(new RequestVoteReply(1, N2, 2, true)); // a late vote for term 1
    assertThat(n.status().role()).isEqualTo("candidate");
    n.deliver(new RequestVoteReply(2, N2, 2, true));
    assertThat(n.status().role()).isEqualTo("leader");
    n.stop();
  }
}
