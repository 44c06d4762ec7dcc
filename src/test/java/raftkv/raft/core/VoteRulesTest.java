package raftkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.raft.core.CoreDriver.N1;
import static raftkv.raft.core.CoreDriver.N2;
import static raftkv.raft.core.CoreDriver.N3;
import static raftkv.raft.core.CoreDriver.heartbeat;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Effects.Outbound;
import raftkv.raft.core.Effects.TimerOp;
import raftkv.raft.core.Input.Tick;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.PreVote;
import raftkv.raft.core.Rpc.PreVoteReply;
import raftkv.raft.core.Rpc.RequestVote;
import raftkv.raft.core.Rpc.RequestVoteReply;
import raftkv.storage.EntryType;

/**
 * Figure 2, RequestVote receiver (rules 1-2) and candidates, and the pre-vote of dissertation §9.6,
 * on the core of n1 stepped by hand; ticks stand for the timers. That the shell saves the vote
 * before the reply leaves, and reads it back at a restart, is {@code raftkv.raft.ShellEffectsTest}'s;
 * the real timers are {@code raftkv.raft.ElectionTimerTest}'s.
 */
class VoteRulesTest {
  private static final RaftSettings SETTINGS = RaftSettings.defaults();

  private static RequestVote vote(long term, Endpoint from, long lastIndex, long lastTerm) {
    return new RequestVote(term, from, from.port() - 9000, lastIndex, lastTerm);
  }

  /** The one RequestVoteReply sent since the last call, to {@code candidate}. */
  private static RequestVoteReply onlyReply(CoreDriver d, Endpoint candidate) {
    List<Outbound> replies =
        d.sent.stream().filter(o -> o.message() instanceof RequestVoteReply).toList();
    assertThat(replies).hasSize(1);
    assertThat(replies.get(0).to()).isEqualTo(candidate);
    d.sent.clear();
    return (RequestVoteReply) replies.get(0).message();
  }

  @Test
  void grantsAtMostOneVotePerTerm() { // §5.2; Figure 2, RequestVote receiver rule 2
    CoreDriver d = new CoreDriver(SETTINGS, 21);
    d.deliver(vote(1, N2, 0, 0));
    assertThat(onlyReply(d, N2).granted()).isTrue();
    d.deliver(vote(1, N3, 0, 0)); // as up to date as n2, but n2 has our vote
    RequestVoteReply second = onlyReply(d, N3);
    assertThat(second.granted()).isFalse();
    assertThat(second.term()).isEqualTo(1);
    assertThat(d.state.node().votedFor()).contains(N2);
    // The same candidate asking again (a retransmission) gets the same vote.
    d.deliver(vote(1, N2, 0, 0));
    assertThat(onlyReply(d, N2).granted()).isTrue();
  }

  @Test
  void theStepThatGrantsAVoteSavesIt() { // §5.2; Figure 2: stable storage before responding
    // The vote in a new term: the term and the vote are saved together.
    CoreDriver d = new CoreDriver(SETTINGS, 22);
    Effects fx = d.deliver(vote(3, N2, 0, 0));
    assertThat(fx.send()).extracting(Outbound::message).singleElement()
        .isInstanceOfSatisfying(RequestVoteReply.class, r -> assertThat(r.granted()).isTrue());
    // The shell saves a step's hard state before it sends the step's messages (ShellEffectsTest).
    assertThat(fx.saveHardState()).isTrue();
    assertThat(d.state.term()).isEqualTo(3);
    assertThat(d.state.node().votedFor()).contains(N2);
    assertThat(d.storage.currentTerm()).isEqualTo(3);
    assertThat(d.storage.votedFor()).contains(N2);

    // A vote in the term we are in already: the vote alone is what must be saved.
    CoreDriver e = new CoreDriver(SETTINGS, 22);
    e.step(new RequestVoteReply(3, N3, 3, false)); // term 3 adopted, no vote cast
    assertThat(e.storage.votedFor()).isEmpty();
    Effects granting = e.deliver(vote(3, N2, 0, 0));
    assertThat(onlyReply(e, N2).granted()).isTrue();
    assertThat(granting.saveHardState()).isTrue();
    assertThat(e.state.node().votedFor()).contains(N2);
    assertThat(e.storage.votedFor()).contains(N2);
  }

  @Test
  void voteSurvivesARestart() { // §5.2; Figure 2, persistent votedFor
    CoreDriver d = new CoreDriver(SETTINGS, 23);
    d.deliver(vote(4, N2, 0, 0));
    assertThat(onlyReply(d, N2).granted()).isTrue();
    CoreDriver restarted = new CoreDriver(SETTINGS, 23, d.storage); // a process restart
    assertThat(restarted.state.term()).isEqualTo(4);
    assertThat(restarted.state.node().votedFor()).contains(N2);
    restarted.deliver(vote(4, N3, 0, 0));
    assertThat(onlyReply(restarted, N3).granted()).as("a second vote in term 4 after restart").isFalse();
  }

  @Test
  void refusesALowerTerm() { // Figure 2, RequestVote receiver rule 1
    CoreDriver d = new CoreDriver(SETTINGS, 24);
    d.step(new RequestVoteReply(5, N2, 2, false)); // term 5, no vote cast in it
    RaftState before = d.state;
    // Nothing but its term stands against n3: no vote is cast in 5, its log is ahead of ours.
    Effects fx = d.deliver(vote(4, N3, 9, 9));
    RequestVoteReply r = onlyReply(d, N3);
    assertThat(r.granted()).isFalse();
    assertThat(r.term()).as("our term, so the candidate steps down").isEqualTo(5);
    assertThat(fx.saveHardState()).isFalse();
    assertThat(d.state).isEqualTo(before);
  }

  @Test
  void votesOnlyForALogAtLeastAsUpToDate() { // Figure 2, RequestVote receiver rule 2; §5.4.1
    CoreDriver d = CoreDriver.withLog(SETTINGS, 1, 2, 2); // last entry 3, of term 2
    d.deliver(vote(3, N2, 5, 1)); // longer log, older last term
    assertThat(onlyReply(d, N2).granted()).isFalse();
    d.deliver(vote(4, N2, 2, 2)); // same last term, shorter
    assertThat(onlyReply(d, N2).granted()).isFalse();
    d.deliver(vote(5, N2, 3, 2)); // same last term, same length
    assertThat(onlyReply(d, N2).granted()).isTrue();
    d.deliver(vote(6, N3, 1, 3)); // shorter, but a later last term
    assertThat(onlyReply(d, N3).granted()).isTrue();
  }

  @Test
  void refusedVoteStillAdoptsTheHigherTerm() { // §5.1
    CoreDriver d = CoreDriver.withLog(SETTINGS, 3);
    Effects fx = d.deliver(vote(7, N2, 0, 0));
    assertThat(onlyReply(d, N2).granted()).isFalse();
    assertThat(fx.saveHardState()).isTrue();
    assertThat(d.state.term()).isEqualTo(7);
    assertThat(d.state.node().votedFor()).isEmpty();
    assertThat(d.storage.currentTerm()).isEqualTo(7);
    assertThat(d.storage.votedFor()).isEmpty();
  }

  @Test
  void grantingAVoteRestartsTheElectionTimerAndRefusingOneDoesNot() { // Figure 2, rules for followers
    CoreDriver d = new CoreDriver(SETTINGS, 27);
    Effects granted = d.deliver(vote(1, N2, 0, 0));
    assertThat(onlyReply(d, N2).granted()).isTrue();
    assertThat(granted.electionTimeout()).isNotNull();
    Effects refused = d.deliver(vote(1, N3, 0, 0));
    assertThat(onlyReply(d, N3).granted()).isFalse();
    assertThat(refused.electionTimeout()).isNull();
  }

  @Test
  void preVoteGrantedWithoutChangingTermOrVote() { // §9.6
    CoreDriver d = new CoreDriver(SETTINGS, 28);
    RaftState before = d.state;
    Effects fx = d.deliver(new PreVote(1, N2, 2, 0, 0));
    assertThat(d.take(PreVoteReply.class)).singleElement().satisfies(x -> {
      assertThat(x.granted()).isTrue();
      assertThat(x.term()).isEqualTo(1);
    });
    assertThat(fx.saveHardState()).isFalse();
    assertThat(d.state).as("a pre-vote changes no state").isSameAs(before);
    assertThat(d.storage.currentTerm()).isZero();
    assertThat(d.storage.votedFor()).isEmpty();
  }

  @Test
  void preVoteRefusedWhileTheLeaderIsHeard() { // §9.6, leader stickiness (§4.2.3)
    CoreDriver d = new CoreDriver(SETTINGS, 29);
    Effects heard = d.deliver(heartbeat(1)); // n2 leads term 1
    assertThat(heard.timers()).as("the leader-quiet timer restarts").contains(TimerOp.LEADER_QUIET);
    d.deliver(new PreVote(2, N3, 3, 0, 0));
    assertThat(d.take(PreVoteReply.class)).singleElement().satisfies(x -> {
      assertThat(x.granted()).isFalse();
      assertThat(x.term()).isEqualTo(1);
    });
    // Still refused until the minimum election timeout passed since the leader was heard...
    d.step(Tick.KEEPALIVE);
    d.deliver(new PreVote(2, N3, 3, 0, 0));
    assertThat(d.take(PreVoteReply.class)).singleElement().satisfies(x -> assertThat(x.granted()).isFalse());
    // ...granted once it has (LEADER_QUIET), before this node's own election timer fires: the
    // first node to notice a dead leader can win without waiting for the others to notice too.
    d.step(Tick.LEADER_QUIET);
    assertThat(d.state.role()).as("own election timer not fired yet").isInstanceOf(Role.Follower.class);
    d.deliver(new PreVote(2, N3, 3, 0, 0));
    assertThat(d.take(PreVoteReply.class)).singleElement().satisfies(x -> assertThat(x.granted()).isTrue());
    // The leader heard again: refused again.
    d.step(heartbeat(1));
    d.deliver(new PreVote(2, N3, 3, 0, 0));
    assertThat(d.take(PreVoteReply.class)).singleElement().satisfies(x -> assertThat(x.granted()).isFalse());
  }

  @Test
  void preCandidateNeedsAMajorityBeforeRaisingItsTerm() { // §9.6
    CoreDriver d = new CoreDriver(SETTINGS, 30);
    Effects timeout = d.deliver(Tick.ELECTION);
    assertThat(d.sent).extracting(Outbound::to).containsExactlyInAnyOrder(N2, N3);
    assertThat(d.take(PreVote.class)).hasSize(2).allSatisfy(p -> assertThat(p.term()).isEqualTo(1));
    assertThat(d.state.role().name()).isEqualTo("pre-candidate");
    assertThat(d.state.term()).as("a pre-vote does not raise the term").isZero();
    assertThat(timeout.saveHardState()).isFalse();
    assertThat(d.storage.currentTerm()).isZero();
    Effects won = d.deliver(new PreVoteReply(1, N2, 2, true));
    assertThat(d.take(RequestVote.class)).hasSize(2).allSatisfy(v -> assertThat(v.term()).isEqualTo(1));
    assertThat(won.saveHardState()).isTrue();
    assertThat(d.storage.currentTerm()).isEqualTo(1);
    assertThat(d.storage.votedFor()).contains(N1);
  }

  @Test
  void candidateBecomesLeaderWithAMajorityAndSendsAppendEntriesAtOnce() { // §5.2
    CoreDriver d = new CoreDriver(SETTINGS, 31);
    d.step(Tick.ELECTION);
    d.step(new PreVoteReply(1, N2, 2, true));
    assertThat(d.state.role().name()).isEqualTo("candidate");
    assertThat(d.state.term()).isEqualTo(1);
    Effects won = d.deliver(new RequestVoteReply(1, N2, 2, true));
    assertThat(d.state.role()).isInstanceOf(Role.Leader.class);
    assertThat(won.timers()).contains(TimerOp.CANCEL_ELECTION, TimerOp.START_LEADER);
    // In the steps of the winning vote itself, not a heartbeat later.
    assertThat(d.sent).filteredOn(o -> o.message() instanceof AppendEntries)
        .extracting(Outbound::to).containsExactlyInAnyOrder(N2, N3);
    assertThat(d.take(AppendEntries.class)).extracting(AppendEntries::term).containsOnly(1L);
    // The new leader's no-op is in its log.
    assertThat(d.storage.lastIndex()).isEqualTo(1);
    assertThat(d.storage.entry(1).type()).isEqualTo(EntryType.NOOP);
    assertThat(d.storage.entry(1).term()).isEqualTo(1);
  }

  @Test
  void votesFromAnEarlierTermDoNotCount() { // §5.2
    CoreDriver d = new CoreDriver(SETTINGS.withPreVote(false), 32);
    d.deliver(Tick.ELECTION); // election in term 1
    assertThat(d.take(RequestVote.class)).hasSize(2).extracting(RequestVote::term).containsOnly(1L);
    d.deliver(Tick.ELECTION); // no votes: at the next timeout, an election in term 2
    assertThat(d.take(RequestVote.class)).hasSize(2).extracting(RequestVote::term).containsOnly(2L);
    assertThat(d.state.term()).isEqualTo(2);
    d.step(new RequestVoteReply(1, N2, 2, true)); // a late vote for term 1
    assertThat(d.state.role().name()).isEqualTo("candidate");
    d.step(new RequestVoteReply(2, N2, 2, true));
    assertThat(d.state.role()).isInstanceOf(Role.Leader.class);
  }
}
