package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.testkit.SingleNode.N2;
import static raftkv.testkit.SingleNode.N3;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.storage.EntryType;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.testkit.CapturingTransport.Sent;
import raftkv.testkit.SingleNode;
import raftkv.testkit.SingleNode.Durable;
import raftkv.testkit.TestConfig;

/** Figure 2, AppendEntries receiver (rules 1-5) and the leader's commit rule, on a live node. */
class AppendEntriesRulesTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Entries from {@code firstIndex} with the given terms. */
  private static List<LogEntry> entries(long firstIndex, long... terms) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      out.add(new LogEntry(firstIndex + i, terms[i], EntryType.COMMAND, new byte[] {(byte) i, (byte) terms[i]}));
    }
    return out;
  }

  private static SingleNode nodeWithLog(long seed, long... terms) {
    InMemoryStorage disk = new InMemoryStorage();
    if (terms.length > 0) {
      disk.append(entries(1, terms));
      disk.saveTermAndVote(terms[terms.length - 1], java.util.Optional.empty());
    }
    return new SingleNode(kit, disk, RaftSettings.defaults(), seed);
  }

  private static AppendEntriesReply onlyReply(SingleNode n) {
    List<AppendEntriesReply> r = n.sent(AppendEntriesReply.class);
    assertThat(r).hasSize(1);
    return r.get(0);
  }

  private static long[] terms(InMemoryStorage s) {
    return s.snapshotOfLog().stream().mapToLong(LogEntry::term).toArray();
  }

  @Test
  void rejectsWhenTheLogHasNoEntryAtPrevLogIndex() {
    SingleNode n = nodeWithLog(51, 1, 1);
    n.deliver(SingleNode.append(2, 5, 2, entries(6, 2), 0));
    AppendEntriesReply r = onlyReply(n);
    assertThat(r.success()).isFalse();
    assertThat(r.index()).isEqualTo(5);
    assertThat(r.conflictTerm()).isZero();
    assertThat(r.conflictIndex()).as("our last index + 1").isEqualTo(3);
    assertThat(n.storage.lastIndex()).isEqualTo(2);
    n.stop();
  }

  @Test
  void rejectsWhenTheTermAtPrevLogIndexDiffers() {
    SingleNode n = nodeWithLog(52, 1, 2, 2, 2);
    n.deliver(SingleNode.append(3, 4, 3, entries(5, 3), 0));
    AppendEntriesReply r = onlyReply(n);
    assertThat(r.success()).isFalse();
    assertThat(r.conflictTerm()).isEqualTo(2);
    assertThat(r.conflictIndex()).as("first index of term 2 in our log").isEqualTo(2);
    assertThat(terms(n.storage)).containsExactly(1, 2, 2, 2);
    n.stop();
  }

  @Test
  void replacesConflictingEntriesAndEverythingAfter() {
    SingleNode n = nodeWithLog(53, 1, 1, 2, 2, 2);
    n.deliver(SingleNode.append(3, 2, 1, entries(3, 3, 3), 0));
    AppendEntriesReply r = onlyReply(n);
    assertThat(r.success()).isTrue();
    assertThat(r.index()).isEqualTo(4);
    assertThat(terms(n.storage)).containsExactly(1, 1, 3, 3);
    n.stop();
  }

  @Test
  void aStaleAppendWhoseEntriesMatchTruncatesNothing() {
    SingleNode n = nodeWithLog(54, 1, 1, 1, 1, 1);
    // An old, reordered AppendEntries carrying entries 2-3 only.
    n.deliver(SingleNode.append(1, 1, 1, entries(2, 1, 1), 0));
    AppendEntriesReply r = onlyReply(n);
    assertThat(r.success()).isTrue();
    assertThat(r.index()).as("what this message proved, not our last index").isEqualTo(3);
    assertThat(n.storage.lastIndex()).isEqualTo(5);
    n.stop();
  }

  @Test
  void entriesAreDurableBeforeTheAcknowledgement() {
    SingleNode n = nodeWithLog(55);
    n.deliver(SingleNode.append(1, 0, 0, entries(1, 1, 1, 1), 0));
    Sent s = n.sent().stream().filter(x -> x.message() instanceof AppendEntriesReply).findFirst().orElseThrow();
    assertThat(((AppendEntriesReply) s.message()).success()).isTrue();
    assertThat(((Durable) s.observedAtSend()).lastIndex()).isEqualTo(3);
    n.stop();
  }

  @Test
  void commitIndexFollowsTheLeaderWithinWhatTheMessageProved() {
    SingleNode n = nodeWithLog(56, 1, 1, 1, 1, 1, 1);
    // Entries 1..2 proved, leader commit 6: we may only commit 2 (our 3..6 may still be replaced).
    n.deliver(SingleNode.append(2, 0, 0, entries(1, 1, 1), 6));
    assertThat(n.status().commitIndex()).isEqualTo(2);
    n.deliver(SingleNode.append(2, 2, 1, entries(3, 1, 1, 1, 1), 5));
    assertThat(n.status().commitIndex()).isEqualTo(5);
    assertThat(n.status().lastApplied()).isEqualTo(5);
    // A later message with a lower leaderCommit does not move it back.
    n.deliver(SingleNode.append(2, 6, 1, List.of(), 3));
    assertThat(n.status().commitIndex()).isEqualTo(5);
    n.stop();
  }

  @Test
  void neverReplacesACommittedEntry() {
    // A correct leader never asks for it (Leader Completeness); a node still refuses to obey one
    // that does, rather than lose an entry it may have applied and answered for.
    SingleNode n = nodeWithLog(61);
    n.deliver(SingleNode.append(1, 0, 0, entries(1, 1, 1, 1), 3));
    assertThat(n.status().commitIndex()).isEqualTo(3);
    n.sent();
    n.deliver(SingleNode.append(2, 1, 1, entries(2, 2), 3));
    assertThat(n.sent(AppendEntriesReply.class)).isEmpty();
    assertThat(terms(n.storage)).containsExactly(1, 1, 1);
    n.stop();
  }

  @Test
  void malformedAppendIsDroppedAndTheNodeCarriesOn() {
    SingleNode n = nodeWithLog(57, 1);
    List<LogEntry> gap = List.of(new LogEntry(2, 1, EntryType.NOOP, null), new LogEntry(4, 1, EntryType.NOOP, null));
    n.deliver(SingleNode.append(1, 1, 1, gap, 0));
    assertThat(n.sent(AppendEntriesReply.class)).isEmpty();
    assertThat(n.storage.lastIndex()).isEqualTo(1);
    n.deliver(SingleNode.append(1, 1, 1, entries(2, 1), 0));
    assertThat(onlyReply(n).success()).isTrue();
    n.stop();
  }

  @Test
  void messagesFromOutsideTheClusterAreDropped() {
    SingleNode n = nodeWithLog(58);
    raftkv.common.Endpoint stranger = new raftkv.common.Endpoint("127.0.0.1", 9999);
    n.deliver(new AppendEntries(7, stranger, 9, 0, 0, entries(1, 7), 0, 0));
    assertThat(n.sent()).isEmpty();
    assertThat(n.status().term()).isZero();
    assertThat(n.storage.lastIndex()).isZero();
    n.stop();
  }

  @Test
  void leaderCommitsOldEntriesOnlyThroughAnEntryOfItsOwnTerm() { // Figure 8
    SingleNode n = nodeWithLog(59, 1, 1, 1);
    long term = n.makeLeader(); // term 2, no-op at index 4
    assertThat(n.storage.lastIndex()).isEqualTo(4);
    n.sent();
    // n2 holds entries 1..3 (of term 1): a majority with the leader, but not of this term.
    n.deliver(new AppendEntriesReply(term, N2, 2, true, 3, 0, 0, 0));
    assertThat(n.status().commitIndex()).isZero();
    // n3 acknowledges the no-op: now 4 is on a majority, and 1..4 commit together.
    n.deliver(new AppendEntriesReply(term, N3, 3, true, 4, 0, 0, 0));
    assertThat(n.status().commitIndex()).isEqualTo(4);
    n.stop();
  }

  @Test
  void leaderBacksUpNextIndexWithTheConflictHint() {
    SingleNode n = nodeWithLog(60, 1, 1, 1, 1, 1);
    long term = n.makeLeader(); // no-op at 6
    n.sent();
    // n2 has only 2 entries: it rejects prevLogIndex 5 and says "my log ends at 2".
    n.deliver(new AppendEntriesReply(term, N2, 2, false, 5, 0, 3, 0));
    List<AppendEntries> probes = n.sent(AppendEntries.class);
    assertThat(probes).singleElement().satisfies(ae -> {
      assertThat(ae.prevLogIndex()).isEqualTo(2);
      assertThat(ae.entries()).as("a probe carries no entries").isEmpty();
    });
    // The probe matches: the leader sends everything from 3 on in one message.
    n.deliver(new AppendEntriesReply(term, N2, 2, true, 2, 0, 0, 0));
    List<AppendEntries> sends = n.sent(AppendEntries.class);
    assertThat(sends).singleElement().satisfies(ae -> {
      assertThat(ae.prevLogIndex()).isEqualTo(2);
      assertThat(ae.entries()).extracting(LogEntry::index).containsExactly(3L, 4L, 5L, 6L);
    });
    n.stop();
  }
}
