package raftkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.raft.core.CoreDriver.N2;
import static raftkv.raft.core.CoreDriver.N3;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.common.RaftSettings;
import raftkv.raft.core.CoreDriver.Bytes;
import raftkv.raft.core.CoreDriver.TestCaller;
import raftkv.raft.core.Effects.NotLeader;
import raftkv.raft.core.Effects.ReadAt;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.raft.core.Rpc.ReadIndexReply;
import raftkv.raft.core.Rpc.ReadIndexRequest;

/** The pure core of a leader and of a follower's reads, stepped by hand (no actor, no timers). */
class LeaderCoreTest {

  private static List<ReadAt> reads(CoreDriver d) {
    return d.takeTold().stream().filter(ReadAt.class::isInstance).map(ReadAt.class::cast).toList();
  }

  /** Leader of a new term with its no-op committed (by n3), so reads may get an index. */
  private static CoreDriver leaderWithCommittedNoop(CoreDriver d) {
    d.becomeLeader();
    d.ackAll(N3, 3, 0);
    assertThat(d.state.node().commitIndex()).isEqualTo(d.storage.lastIndex());
    d.sent.clear();
    d.takeTold();
    return d;
  }

  @Test
  void aReplyToAnEarlierLeadershipNeverConfirmsARead() { // §6.4, issue 9 anomaly 1
    CoreDriver d = leaderWithCommittedNoop(new CoreDriver());
    long firstTerm = d.state.term();
    // A read in the first leadership: round 1 goes out to n2 (whose answer is delayed) and n3.
    d.step(new Input.Read(new TestCaller("early")));
    d.flush();
    AppendEntries toN2 = d.appendsTo(N2).get(d.appendsTo(N2).size() - 1);
    assertThat(toN2.round()).isEqualTo(1);
    d.ackAll(N3, 3, 1);
    assertThat(reads(d)).hasSize(1);

    // n1 loses leadership to n3 in the next term, then wins again in the term after.
    d.step(new AppendEntries(firstTerm + 1, N3, 3, d.storage.lastIndex(), d.storage.lastTerm(),
        List.of(), d.state.node().commitIndex(), 0));
    assertThat(d.state.role()).isInstanceOf(Role.Follower.class);
    leaderWithCommittedNoop(d);
    long term = d.state.term();
    assertThat(term).isEqualTo(firstTerm + 2);

    // A read of the new leadership: its first round is round 1 again.
    d.step(new Input.Read(new TestCaller("late")));
    d.flush();
    assertThat(d.leader().orElseThrow().state().round()).isEqualTo(1);
    // n2, already in the new term, only now rejects the first leadership's AppendEntries (round
    // 1), under its own current term. It has never heard from this leadership.
    d.step(new AppendEntriesReply(term, N2, 2, false, toN2.prevLogIndex(), 0, 0, toN2.round(),
        toN2.term()));
    assertThat(reads(d)).as("confirmed by a reply to an earlier leadership").isEmpty();
    assertThat(d.leader().orElseThrow().state().progress().get(N2).recentActive())
        .as("a reply to an earlier leadership counts toward check-quorum").isFalse();

    // The real acknowledgement of round 1 of this leadership confirms it.
    d.ackAll(N3, 3, 1);
    assertThat(reads(d)).extracting(ReadAt::caller).containsExactly(new TestCaller("late"));
  }

  @Test
  void aFollowerReadIsAnsweredOnlyByTheReplyToItsOwnRequest() { // §6.4, issue 9 anomaly 2
    CoreDriver d = new CoreDriver();
    d.step(new AppendEntries(1, N2, 2, 0, 0, List.of(), 0, 0)); // n2 leads term 1
    d.step(new Input.Read(new TestCaller("r")));
    ReadIndexRequest req = d.take(ReadIndexRequest.class).get(0);
    assertThat(req.incarnation()).isEqualTo(d.core.incarnation);

    // A reply meant for an earlier run of this node, with the same request id.
    d.step(new ReadIndexReply(1, N2, 2, req.requestId(), req.incarnation() + 1, true, 0));
    // The same request id and run, but from a node we did not ask.
    d.step(new ReadIndexReply(1, N3, 3, req.requestId(), req.incarnation(), true, 0));
    // From the leader asked, but a term older than the one asked in.
    d.step(new ReadIndexReply(0, N2, 2, req.requestId(), req.incarnation(), true, 0));
    assertThat(reads(d)).as("answered by a reply to another request").isEmpty();

    d.step(new ReadIndexReply(1, N2, 2, req.requestId(), req.incarnation(), true, 7));
    assertThat(reads(d)).containsExactly(new ReadAt(new TestCaller("r"), 7));
  }

  @Test
  void aLeaderKeepsAtMostTheWindowInFlightToAFollower() { // issue 9 anomaly 7
    RaftSettings s = RaftSettings.defaults().withPreVote(false).withInflight(3, 1L << 30);
    CoreDriver d = leaderWithCommittedNoop(new CoreDriver(s, 2));
    // n2 has matched (it acknowledged the no-op), then goes silent while 20 writes come in.
    d.ackAll(N2, 2, 0);
    d.sent.clear();
    for (int i = 0; i < 20; i++) {
      d.step(new Input.Propose(new Bytes(new byte[] {(byte) i}), new TestCaller("w" + i)));
      d.flush();
    }
    List<AppendEntries> withEntries =
        d.appendsTo(N2).stream().filter(a -> !a.entries().isEmpty()).toList();
    assertThat(withEntries).as("AppendEntries with entries unacknowledged").hasSize(3);
    AppendEntries first = withEntries.get(0);
    // Heartbeats still go, without entries, so it keeps hearing from its leader.
    d.sent.clear();
    d.step(Input.Tick.HEARTBEAT);
    assertThat(d.appendsTo(N2)).singleElement().satisfies(a -> assertThat(a.entries()).isEmpty());

    // Its acknowledgement of the first one opens the window again.
    d.sent.clear();
    long firstLast = first.prevLogIndex() + first.entries().size();
    d.step(new AppendEntriesReply(d.state.term(), N2, 2, true, firstLast, 0, 0, 0));
    assertThat(d.appendsTo(N2)).singleElement().satisfies(a -> assertThat(a.entries()).isNotEmpty());
  }

  @Test
  void aFollowerThatStopsAnsweringIsProbedAgain() { // issue 9 anomaly 7
    CoreDriver d = leaderWithCommittedNoop(new CoreDriver());
    d.ackAll(N2, 2, 0);
    assertThat(d.leader().orElseThrow().state().progress().get(N2).replicating()).isTrue();
    // A check-quorum tick with replies from both, then one after which n2 said nothing.
    d.step(Input.Tick.CHECK_QUORUM);
    d.ackAll(N3, 3, 0);
    d.step(Input.Tick.CHECK_QUORUM);
    Progress p = d.leader().orElseThrow().state().progress().get(N2);
    assertThat(p.replicating()).as("still replicating to a silent follower").isFalse();
    assertThat(p.nextIndex()).isEqualTo(p.matchIndex() + 1);
    d.sent.clear();
    d.step(new Input.Propose(new Bytes(new byte[] {1}), new TestCaller("w")));
    d.flush();
    assertThat(d.appendsTo(N2)).as("new entries to a probed follower").isEmpty();
    assertThat(d.appendsTo(N3)).isNotEmpty();
  }

  @Test
  void proposalsBetweenTwoFlushesAreWrittenOnceAndSentTogether() { // §10.2.1 batching
    CoreDriver d = leaderWithCommittedNoop(new CoreDriver());
    d.ackAll(N2, 2, 0);
    long before = d.storage.lastIndex();
    List<Effects> steps = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      steps.add(d.deliver(new Input.Propose(new Bytes(new byte[] {(byte) i}), new TestCaller("w" + i))));
      // A follower's reply between two proposals sends nothing new: the batch is not written yet.
      steps.add(d.deliver(new AppendEntriesReply(d.state.term(), N3, 3, true, before, 0, 0, 0)));
      assertThat(d.appendsTo(N3)).as("entries sent before the flush").isEmpty();
    }
    assertThat(steps).allSatisfy(fx -> assertThat(fx.append()).isEmpty());
    assertThat(d.storage.lastIndex()).as("written before the flush").isEqualTo(before);

    d.sent.clear();
    Effects flush = d.deliver(Input.Tick.FLUSH);
    assertThat(flush.append()).as("one write for the three").extracting(e -> e.index())
        .containsExactly(before + 1, before + 2, before + 3);
    assertThat(d.steps).as("one write per flush").filteredOn(fx -> !fx.append().isEmpty()).hasSize(1);
    for (var peer : List.of(N2, N3)) {
      assertThat(d.appendsTo(peer)).singleElement()
          .satisfies(a -> assertThat(a.entries()).hasSize(3));
    }
  }

  @Test
  void aLeaderThatLosesLeadershipTellsWhatWasStored() { // issue 9 anomaly 4
    CoreDriver d = leaderWithCommittedNoop(new CoreDriver());
    d.step(new Input.Propose(new Bytes(new byte[] {1}), new TestCaller("w")));
    d.flush();
    long stored = d.storage.lastIndex();
    // Proposed after the last flush: never written, so the state machine answers it not_leader.
    d.step(new Input.Propose(new Bytes(new byte[] {2}), new TestCaller("w2")));
    d.step(new AppendEntriesReply(d.state.term() + 1, N2, 2, false, 0, 0, 0, 0));
    assertThat(d.takeTold()).anySatisfy(e -> assertThat(e).isEqualTo(
        new Effects.LeadershipLost(stored, null, 0)));
  }

  @Test
  void aReadOnANodeWithoutALeaderIsRefused() {
    CoreDriver d = new CoreDriver();
    d.step(new Input.Read(new TestCaller("r")));
    assertThat(d.takeTold()).singleElement().isInstanceOf(NotLeader.class);
  }
}
