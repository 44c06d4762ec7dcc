package raftkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.raft.core.CoreDriver.N1;
import static raftkv.raft.core.CoreDriver.N2;
import static raftkv.raft.core.CoreDriver.N3;
import static raftkv.raft.core.CoreDriver.append;
import static raftkv.raft.core.CoreDriver.entries;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Effects.SendSnapshot;
import raftkv.raft.core.Effects.SnapshotAcked;
import raftkv.raft.core.Effects.SnapshotDone;
import raftkv.raft.core.Effects.StageChunk;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.raft.core.Rpc.InstallSnapshot;
import raftkv.raft.core.Rpc.InstallSnapshotReply;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.storage.StateStore;

/**
 * Log compaction and InstallSnapshot in the core (Raft §7, Figure 13), stepped by hand: a leader
 * whose log no longer holds what a follower needs sends it a snapshot, and a follower takes one
 * only from the leader of its term and only beyond what it has committed.
 */
class SnapshotCoreTest {

  private static final RaftSettings SETTINGS = RaftSettings.defaults().withPreVote(false);

  /** A store whose state machine says it applied up to {@code index}. */
  private static InMemoryStorage appliedUpTo(InMemoryStorage disk, long index) {
    try (StateStore.Batch b = disk.stateStore().newBatch()) {
      disk.stateStore().write(b, index);
    }
    return disk;
  }

  /** n1 leads term 3 over a log of 1..10 (terms 1,1,2,2,...), compacted up to 8. */
  private static CoreDriver leaderWithCompactedLog() {
    InMemoryStorage disk = new InMemoryStorage();
    disk.append(entries(1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2));
    disk.saveTermAndVote(2, Optional.empty());
    appliedUpTo(disk, 8);
    disk.compact(8);
    CoreDriver d = new CoreDriver(SETTINGS, 1, disk);
    d.becomeLeader();
    return d;
  }

  private static <T extends Effects.SnapshotOp> List<T> ops(CoreDriver d, Class<T> type) {
    return d.steps.stream().flatMap(e -> e.snapshots().stream()).filter(type::isInstance).map(type::cast).toList();
  }

  private static InstallSnapshot chunk(long term, long lastIndex, long lastTerm, long seq, boolean done) {
    return new InstallSnapshot(term, N2, 2, lastIndex, lastTerm, List.of(N1, N2, N3), 1, seq, new byte[0], done, 0);
  }

  @Test
  void aFollowerBehindTheLogsStartIsSentASnapshotAndOnlyHeartbeatsMeanwhile() { // §7
    CoreDriver d = leaderWithCompactedLog();
    long term = d.state.term();
    // n2 says its log ends at 5: the entries it needs (6..) are compacted away (the log starts at 9).
    d.deliver(new AppendEntriesReply(term, N2, 2, false, d.storage.lastIndex(), 0, 6, 0));
    assertThat(ops(d, SendSnapshot.class)).containsExactly(new SendSnapshot(N2));
    Progress p = d.leader().orElseThrow().state().progress().get(N2);
    assertThat(p.snapshotting()).isTrue();
    assertThat(p.replicating()).isFalse();
    // What it gets meanwhile: heartbeats from the log's start, never entries.
    d.sent.clear();
    d.step(Input.Tick.HEARTBEAT);
    List<AppendEntries> toN2 = d.appendsTo(N2);
    assertThat(toN2).isNotEmpty().allSatisfy(ae -> {
      assertThat(ae.prevLogIndex()).isEqualTo(8);
      assertThat(ae.prevLogTerm()).isEqualTo(2);
      assertThat(ae.entries()).isEmpty();
    });
    // Its heartbeat replies count for liveness only: no second snapshot, no probing.
    d.deliver(new AppendEntriesReply(term, N2, 2, false, 8, 0, 6, 0));
    assertThat(ops(d, SendSnapshot.class)).isEmpty();
    assertThat(d.leader().orElseThrow().state().progress().get(N2).snapshotting()).isTrue();
  }

  @Test
  void chunkAnswersGoToTheTransferAndAnInstallResumesReplicationAfterTheSnapshot() {
    CoreDriver d = leaderWithCompactedLog();
    long term = d.state.term();
    d.deliver(new AppendEntriesReply(term, N2, 2, false, d.storage.lastIndex(), 0, 6, 0));

    d.deliver(new InstallSnapshotReply(term, N2, 2, 8, 2, 1, 3, false, term));
    assertThat(ops(d, SnapshotAcked.class)).containsExactly(new SnapshotAcked(N2, 8, 2, 1, 3));
    // An answer to an earlier leadership's chunk counts for nothing.
    d.deliver(new InstallSnapshotReply(term, N2, 2, 8, 2, 1, 4, true, term - 1));
    assertThat(ops(d, SnapshotDone.class)).isEmpty();

    d.sent.clear();
    d.deliver(new InstallSnapshotReply(term, N2, 2, 8, 2, 1, 4, true, term));
    assertThat(ops(d, SnapshotDone.class)).containsExactly(new SnapshotDone(N2));
    Progress p = d.leader().orElseThrow().state().progress().get(N2);
    assertThat(p.snapshotting()).isFalse();
    assertThat(p.matchIndex()).isEqualTo(8);
    // Replication resumes right after the snapshot: entries 9.. follow at once.
    AppendEntries next = d.appendsTo(N2).get(0);
    assertThat(next.prevLogIndex()).isEqualTo(8);
    assertThat(next.entries()).isNotEmpty();
    assertThat(next.entries().get(0).index()).isEqualTo(9);
  }

  @Test
  void aLateAnswerAboutAnEarlierSnapshotDoesNotEndTheTransferUnderWay() { // found by the simulation
    CoreDriver d = leaderWithCompactedLog();
    long term = d.state.term();
    d.deliver(new AppendEntriesReply(term, N2, 2, false, d.storage.lastIndex(), 0, 3, 0));
    d.deliver(new InstallSnapshotReply(term, N2, 2, 5, 2, 1, 2, true, term)); // installed up to 5
    // Still behind the log's start (9): a second snapshot is on its way.
    assertThat(ops(d, SendSnapshot.class)).containsExactly(new SendSnapshot(N2));
    // The answer about the first, duplicated by the network, arrives again.
    d.deliver(new InstallSnapshotReply(term, N2, 2, 5, 2, 1, 2, true, term));
    assertThat(ops(d, SnapshotDone.class)).isEmpty();
    assertThat(d.leader().orElseThrow().state().progress().get(N2).snapshotting()).isTrue();
  }

  @Test
  void aSnapshotGoesOnlyToAFollowerThatAnswersAndStopsWhenItFallsSilent() {
    CoreDriver d = leaderWithCompactedLog();
    long term = d.state.term();
    d.deliver(new AppendEntriesReply(term, N2, 2, false, d.storage.lastIndex(), 0, 6, 0));
    assertThat(ops(d, SendSnapshot.class)).hasSize(1);
    // n2 falls silent (n3 still answers): at the second check-quorum tick its transfer ends.
    d.ackAll(N3, 3, 0);
    d.step(Input.Tick.CHECK_QUORUM);
    d.ackAll(N3, 3, 0);
    d.steps.clear();
    d.step(Input.Tick.CHECK_QUORUM);
    assertThat(ops(d, SnapshotDone.class)).containsExactly(new SnapshotDone(N2));
    assertThat(d.leader().orElseThrow().state().progress().get(N2).snapshotting()).isFalse();
    // While it stays silent, heartbeats go, but no snapshot is streamed into the void.
    d.steps.clear();
    d.step(Input.Tick.HEARTBEAT);
    assertThat(ops(d, SendSnapshot.class)).isEmpty();
    assertThat(d.appendsTo(N2)).isNotEmpty();
    // It answers again: a new transfer starts at once (of the state as it is then).
    d.deliver(new AppendEntriesReply(term, N2, 2, false, 8, 0, 6, 0));
    assertThat(ops(d, SendSnapshot.class)).containsExactly(new SendSnapshot(N2));
  }

  @Test
  void aFollowerStagesAChunkOfItsLeaderBeyondItsCommitIndex() { // Figure 13, receiver
    CoreDriver d = CoreDriver.withLog(SETTINGS, 1, 1);
    d.deliver(append(2, 0, 0, List.of(), 0)); // n2 leads term 2
    InstallSnapshot c = chunk(2, 40, 2, 0, false);
    Effects fx = d.deliver(c);
    assertThat(fx.snapshots()).containsExactly(new StageChunk(c));
    assertThat(fx.electionTimeout()).as("a leader's message restarts the election timer").isNotNull();
    assertThat(d.take(InstallSnapshotReply.class)).as("the shell answers after staging").isEmpty();
  }

  @Test
  void aChunkOfAStaleLeaderIsRefusedWithOurTerm() { // Figure 13 rule 1
    CoreDriver d = CoreDriver.withLog(SETTINGS, 1, 1, 3);
    Effects fx = d.deliver(chunk(2, 40, 2, 0, false));
    assertThat(fx.snapshots()).isEmpty();
    InstallSnapshotReply r = d.take(InstallSnapshotReply.class).get(0);
    assertThat(r.term()).isEqualTo(3);
    assertThat(r.installed()).isFalse();
    assertThat(d.state.node().leader()).isNull();
  }

  @Test
  void aSnapshotWithinWhatIsCommittedIsAnsweredAsInstalledAtOnce() {
    CoreDriver d = CoreDriver.withLog(SETTINGS, 1, 1, 1, 1);
    d.deliver(append(2, 4, 1, List.of(), 4)); // commit 4
    assertThat(d.state.node().commitIndex()).isEqualTo(4);
    Effects fx = d.deliver(chunk(2, 3, 1, 0, false));
    assertThat(fx.snapshots()).isEmpty();
    InstallSnapshotReply r = d.take(InstallSnapshotReply.class).get(0);
    assertThat(r.installed()).isTrue();
    assertThat(r.lastIndex()).isEqualTo(3);
    assertThat(d.storage.lastIndex()).as("nothing replaced").isEqualTo(4);
  }

  @Test
  void aCandidateHearingAChunkOfItsTermsLeaderFollowsIt() {
    CoreDriver d = CoreDriver.withLog(SETTINGS, 1);
    d.step(Input.Tick.ELECTION); // candidate of term 2
    assertThat(d.state.role()).isInstanceOf(Role.Candidate.class);
    Effects fx = d.deliver(chunk(2, 40, 2, 0, false));
    assertThat(d.state.role()).isInstanceOf(Role.Follower.class);
    assertThat(d.state.node().leader()).isEqualTo(N2);
    assertThat(fx.snapshots()).hasSize(1);
  }

  @Test
  void anInstalledSnapshotIsCommitted() {
    InMemoryStorage disk = new InMemoryStorage();
    disk.append(entries(1, 1, 1));
    disk.saveTermAndVote(2, Optional.empty());
    CoreDriver d = new CoreDriver(SETTINGS, 1, disk);
    disk.beginInstall(40, 2);
    disk.stateStore().installStaged();
    d.deliver(new Input.Installed(40));
    assertThat(d.state.node().commitIndex()).isEqualTo(40);
    assertThat(d.storage.firstIndex()).isEqualTo(41);
    assertThat(d.storage.lastTerm()).isEqualTo(2);
  }

  @Test
  void anAppendBelowTheSnapshotMatchesWhatTheSnapshotCovers() { // Log Matching across compaction
    InMemoryStorage disk = new InMemoryStorage();
    disk.append(entries(1, 1, 1, 1, 1, 1));
    disk.saveTermAndVote(1, Optional.empty());
    appliedUpTo(disk, 4);
    disk.compact(4);
    CoreDriver d = new CoreDriver(SETTINGS, 1, disk);
    // n2, leader of term 2, sends from index 3 on: 3..5 are ours, 6 and 7 are new.
    List<LogEntry> es = new java.util.ArrayList<>(entries(3, 1, 1, 1));
    es.addAll(entries(6, 2, 2));
    d.deliver(append(2, 2, 1, es, 5));
    AppendEntriesReply r = d.take(AppendEntriesReply.class).get(0);
    assertThat(r.success()).isTrue();
    assertThat(r.index()).isEqualTo(7);
    assertThat(d.storage.lastIndex()).isEqualTo(7);
    assertThat(d.storage.firstIndex()).isEqualTo(5);
    assertThat(d.state.node().commitIndex()).isEqualTo(5);
  }

  @Test
  void theInMemoryStoreInstallsWhatWasStagedWhole() {
    InMemoryStateStore s = new InMemoryStateStore();
    try (StateStore.Batch b = s.newBatch()) {
      b.put(StateStore.Space.KEYS, new byte[] {'o', 'l', 'd'}, new byte[] {1});
      s.write(b, 3);
    }
    try (StateStore.Batch b = s.newBatch()) {
      b.put(StateStore.Space.INCOMING, StateStore.stagedKey(StateStore.Space.KEYS, new byte[] {'n'}), new byte[] {2});
      b.put(StateStore.Space.INCOMING, StateStore.INSTALL_MARKER, new byte[] {0, 0, 0, 0, 0, 0, 0, 9});
      s.stage(b);
    }
    assertThat(s.get(StateStore.Space.KEYS, new byte[] {'n'})).as("staged, not visible").isNull();
    assertThat(s.pendingInstall()).isEqualTo(9);
    assertThat(s.installStaged()).isEqualTo(9);
    assertThat(s.appliedIndex()).isEqualTo(9);
    assertThat(s.get(StateStore.Space.KEYS, new byte[] {'o', 'l', 'd'})).isNull();
    assertThat(s.get(StateStore.Space.KEYS, new byte[] {'n'})).containsExactly(2);
    assertThat(s.pendingInstall()).isEqualTo(-1);
    assertThat(s.size(StateStore.Space.INCOMING)).isZero();
  }
}
