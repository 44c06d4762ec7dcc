package raftkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.raft.core.CoreDriver.N2;
import static raftkv.raft.core.CoreDriver.N3;
import static raftkv.raft.core.CoreDriver.append;
import static raftkv.raft.core.CoreDriver.entries;
import static raftkv.raft.core.CoreDriver.heartbeat;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Effects.Outbound;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.storage.EntryType;
import raftkv.storage.LogEntry;

/**
 * Figure 2, AppendEntries receiver (rules 1-5), and the leader's side of it (backing up {@code
 * nextIndex}, the commit rule), on the core of n1 stepped by hand. That the shell writes the
 * entries before the acknowledgement leaves is {@code raftkv.raft.ShellEffectsTest}'s.
 */
class AppendEntriesRulesTest {
  private static final RaftSettings SETTINGS = RaftSettings.defaults();

  private static CoreDriver nodeWithLog(long... terms) {
    return CoreDriver.withLog(SETTINGS, terms);
  }

  /** The one AppendEntriesReply sent since the last call, to n2. */
  private static AppendEntriesReply onlyReply(CoreDriver d) {
    List<Outbound> replies =
        d.sent.stream().filter(o -> o.message() instanceof AppendEntriesReply).toList();
    assertThat(replies).hasSize(1);
    assertThat(replies.get(0).to()).isEqualTo(N2);
    d.sent.clear();
    return (AppendEntriesReply) replies.get(0).message();
  }

  @Test
  void refusesALeaderOfALowerTermWithOurTerm() { // Figure 2, AppendEntries receiver rule 1; §5.1
    CoreDriver d = nodeWithLog(1, 1);
    d.step(heartbeat(3)); // n2 leads term 3
    // n3, a leader of term 2 that missed the election, still sends what would match.
    Effects fx = d.deliver(new AppendEntries(2, N3, 3, 2, 1, entries(3, 2), 2, 0));
    assertThat(d.take(AppendEntriesReply.class)).singleElement().satisfies(r -> {
      assertThat(r.success()).isFalse();
      assertThat(r.term()).as("our term, so the stale leader steps down").isEqualTo(3);
      assertThat(r.requestTerm()).isEqualTo(2);
    });
    assertThat(fx.send()).extracting(Outbound::to).containsExactly(N3);
    assertThat(fx.append()).isEmpty();
    assertThat(d.logTerms()).containsExactly(1, 1);
    assertThat(d.state.node().commitIndex()).isZero();
    assertThat(d.state.node().leader()).as("still following the leader of our term").isEqualTo(N2);
    assertThat(fx.electionTimeout()).as("a stale leader does not hold off our election").isNull();
  }

  @Test
  void rejectsWhenTheLogHasNoEntryAtPrevLogIndex() { // Figure 2, AppendEntries receiver rule 2; §5.3
    CoreDriver d = nodeWithLog(1, 1);
    Effects fx = d.deliver(append(2, 5, 2, entries(6, 2), 0));
    AppendEntriesReply r = onlyReply(d);
    assertThat(r.success()).isFalse();
    assertThat(r.index()).isEqualTo(5);
    assertThat(r.conflictTerm()).isZero();
    assertThat(r.conflictIndex()).as("our last index + 1").isEqualTo(3);
    assertThat(fx.append()).isEmpty();
    assertThat(d.storage.lastIndex()).isEqualTo(2);
  }

  @Test
  void rejectsWhenTheTermAtPrevLogIndexDiffers() { // Figure 2, AppendEntries receiver rule 2; §5.3
    CoreDriver d = nodeWithLog(1, 2, 2, 2);
    Effects fx = d.deliver(append(3, 4, 3, entries(5, 3), 0));
    AppendEntriesReply r = onlyReply(d);
    assertThat(r.success()).isFalse();
    assertThat(r.conflictTerm()).isEqualTo(2);
    assertThat(r.conflictIndex()).as("first index of term 2 in our log").isEqualTo(2);
    assertThat(fx.append()).isEmpty();
    assertThat(d.logTerms()).containsExactly(1, 2, 2, 2);
  }

  @Test
  void replacesConflictingEntriesAndEverythingAfter() { // Figure 2, AppendEntries receiver rule 3
    CoreDriver d = nodeWithLog(1, 1, 2, 2, 2);
    Effects fx = d.deliver(append(3, 2, 1, entries(3, 3, 3), 0));
    AppendEntriesReply r = onlyReply(d);
    assertThat(r.success()).isTrue();
    assertThat(r.index()).isEqualTo(4);
    assertThat(fx.append()).extracting(LogEntry::index).containsExactly(3L, 4L);
    assertThat(d.logTerms()).containsExactly(1, 1, 3, 3);
  }

  @Test
  void aStaleAppendWhoseEntriesMatchTruncatesNothing() { // Figure 2, AppendEntries receiver rule 3
    CoreDriver d = nodeWithLog(1, 1, 1, 1, 1);
    // An old, reordered AppendEntries carrying entries 2-3 only: no conflict, so nothing is deleted.
    Effects fx = d.deliver(append(1, 1, 1, entries(2, 1, 1), 0));
    AppendEntriesReply r = onlyReply(d);
    assertThat(r.success()).isTrue();
    assertThat(r.index()).as("what this message proved, not our last index").isEqualTo(3);
    assertThat(fx.append()).isEmpty();
    assertThat(d.storage.lastIndex()).isEqualTo(5);
  }

  @Test
  void appendsOnlyTheEntriesNotAlreadyInTheLog() { // Figure 2, AppendEntries receiver rule 4
    CoreDriver d = nodeWithLog(1, 1, 1);
    Effects fx = d.deliver(append(1, 1, 1, entries(2, 1, 1, 1), 0));
    assertThat(onlyReply(d)).satisfies(r -> {
      assertThat(r.success()).isTrue();
      assertThat(r.index()).isEqualTo(4);
    });
    assertThat(fx.append()).as("entries 2-3 are held already").extracting(LogEntry::index).containsExactly(4L);
    assertThat(d.logTerms()).containsExactly(1, 1, 1, 1);
  }

  @Test
  void theStepThatAcknowledgesEntriesWritesThemSynced() { // Figure 2: stable storage before responding
    CoreDriver d = nodeWithLog();
    Effects fx = d.deliver(append(1, 0, 0, entries(1, 1, 1, 1), 0));
    assertThat(fx.send()).extracting(Outbound::message).singleElement()
        .isInstanceOfSatisfying(AppendEntriesReply.class, r -> {
          assertThat(r.success()).isTrue();
          assertThat(r.index()).isEqualTo(3);
        });
    // The shell writes a step's entries before it sends the step's messages (ShellEffectsTest).
    assertThat(fx.append()).extracting(LogEntry::index).containsExactly(1L, 2L, 3L);
    assertThat(fx.appendSynced()).as("acknowledged entries must survive a crash").isTrue();
    assertThat(fx.electionTimeout()).as("the leader was heard: the election timer restarts").isNotNull();
    assertThat(d.storage.lastIndex()).isEqualTo(3);
  }

  @Test
  void commitIndexFollowsTheLeaderWithinWhatTheMessageProved() { // Figure 2, AppendEntries receiver rule 5
    CoreDriver d = nodeWithLog(1, 1, 1, 1, 1, 1);
    // Entries 1..2 proved, leader commit 6: we may only commit 2 (our 3..6 may still be replaced).
    d.step(append(2, 0, 0, entries(1, 1, 1), 6));
    assertThat(d.state.node().commitIndex()).isEqualTo(2);
    d.step(append(2, 2, 1, entries(3, 1, 1, 1, 1), 5));
    assertThat(d.state.node().commitIndex()).isEqualTo(5);
    // A later message with a lower leaderCommit does not move it back.
    d.step(append(2, 6, 1, List.of(), 3));
    assertThat(d.state.node().commitIndex()).isEqualTo(5);
  }

  @Test
  void neverReplacesACommittedEntry() { // §5.4, Leader Completeness
    // A correct leader never asks for it (Leader Completeness); a node still refuses to obey one
    // that does, rather than lose an entry it may have applied and answered for.
    CoreDriver d = nodeWithLog();
    d.step(append(1, 0, 0, entries(1, 1, 1, 1), 3));
    assertThat(d.state.node().commitIndex()).isEqualTo(3);
    Effects fx = d.deliver(append(2, 1, 1, entries(2, 2), 3));
    assertThat(d.take(AppendEntriesReply.class)).isEmpty();
    assertThat(fx.append()).isEmpty();
    assertThat(d.logTerms()).containsExactly(1, 1, 1);
    assertThat(d.state.node().commitIndex()).isEqualTo(3);
  }

  @Test
  void malformedAppendIsDroppedAndTheNodeCarriesOn() { // the one door
    CoreDriver d = nodeWithLog(1);
    RaftState before = d.state;
    List<LogEntry> gap = List.of(new LogEntry(2, 1, EntryType.NOOP, null), new LogEntry(4, 1, EntryType.NOOP, null));
    Effects fx = d.deliver(append(1, 1, 1, gap, 0));
    assertThat(fx).as("nothing sent, written or reset").isSameAs(Effects.NONE);
    assertThat(d.state).isSameAs(before);
    assertThat(d.storage.lastIndex()).isEqualTo(1);
    d.deliver(append(1, 1, 1, entries(2, 1), 0));
    assertThat(onlyReply(d).success()).isTrue();
  }

  @Test
  void messagesFromOutsideTheClusterAreDropped() { // the one door
    CoreDriver d = nodeWithLog();
    RaftState before = d.state;
    Endpoint stranger = new Endpoint("127.0.0.1", 9999);
    Effects fx = d.deliver(new AppendEntries(7, stranger, 9, 0, 0, entries(1, 7), 0, 0));
    assertThat(fx).as("nothing sent, written or reset").isSameAs(Effects.NONE);
    assertThat(d.state).isSameAs(before);
    assertThat(d.state.term()).isZero();
    assertThat(d.storage.currentTerm()).isZero();
    assertThat(d.storage.lastIndex()).isZero();
  }

  @Test
  void leaderCommitsOldEntriesOnlyThroughAnEntryOfItsOwnTerm() { // Figure 2, rules for leaders; §5.4.2, Figure 8
    CoreDriver d = nodeWithLog(1, 1, 1);
    long term = d.becomeLeader(); // term 2, through the pre-vote; no-op at index 4
    assertThat(term).isEqualTo(2);
    assertThat(d.storage.lastIndex()).isEqualTo(4);
    assertThat(d.state.node().commitIndex()).as("the leader's own copy is no majority").isZero();
    d.sent.clear();
    // n2 holds entries 1..3 (of term 1): a majority with the leader, but not of this term.
    d.step(new AppendEntriesReply(term, N2, 2, true, 3, 0, 0, 0));
    assertThat(d.state.node().commitIndex()).isZero();
    // n3 acknowledges the no-op: now 4 is on a majority, and 1..4 commit together.
    d.step(new AppendEntriesReply(term, N3, 3, true, 4, 0, 0, 0));
    assertThat(d.state.node().commitIndex()).isEqualTo(4);
  }

  @Test
  void leaderBacksUpNextIndexWithTheConflictHint() { // §5.3
    CoreDriver d = nodeWithLog(1, 1, 1, 1, 1);
    long term = d.becomeLeader(); // no-op at 6
    d.sent.clear();
    // n2 has only 2 entries: it rejects prevLogIndex 5 and says "my log ends at 2".
    d.step(new AppendEntriesReply(term, N2, 2, false, 5, 0, 3, 0));
    assertThat(d.sent).extracting(Outbound::to).containsExactly(N2);
    assertThat(d.take(AppendEntries.class)).singleElement().satisfies(ae -> {
      assertThat(ae.prevLogIndex()).isEqualTo(2);
      assertThat(ae.entries()).as("a probe carries no entries").isEmpty();
    });
    // The probe matches: the leader sends everything from 3 on in one message.
    d.step(new AppendEntriesReply(term, N2, 2, true, 2, 0, 0, 0));
    assertThat(d.sent).extracting(Outbound::to).containsExactly(N2);
    assertThat(d.take(AppendEntries.class)).singleElement().satisfies(ae -> {
      assertThat(ae.prevLogIndex()).isEqualTo(2);
      assertThat(ae.entries()).extracting(LogEntry::index).containsExactly(3L, 4L, 5L, 6L);
    });
  }
}
