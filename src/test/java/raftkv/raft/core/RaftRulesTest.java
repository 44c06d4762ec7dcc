package raftkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import raftkv.common.Endpoint;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;

/** The pure rules, one test per rule of the paper. */
class RaftRulesTest {
  static final Endpoint A = new Endpoint("127.0.0.1", 9001);
  static final Endpoint B = new Endpoint("127.0.0.1", 9002);

  private static LogPosition pos(long index, long term) {
    return new LogPosition(index, term);
  }

  @Test
  void majorityIsStrict() {
    assertThat(RaftRules.majority(1)).isEqualTo(1);
    assertThat(RaftRules.majority(2)).isEqualTo(2);
    assertThat(RaftRules.majority(3)).isEqualTo(2);
    assertThat(RaftRules.majority(4)).isEqualTo(3);
    assertThat(RaftRules.majority(5)).isEqualTo(3);
  }

  @Test
  void upToDateComparesLastTermFirstThenLength() { // §5.4.1
    assertThat(RaftRules.isAtLeastAsUpToDate(pos(1, 3), pos(100, 2))).isTrue();
    assertThat(RaftRules.isAtLeastAsUpToDate(pos(100, 2), pos(1, 3))).isFalse();
    assertThat(RaftRules.isAtLeastAsUpToDate(pos(5, 3), pos(5, 3))).isTrue();
    assertThat(RaftRules.isAtLeastAsUpToDate(pos(4, 3), pos(5, 3))).isFalse();
  }

  @Test
  void refusesVoteForLowerTerm() {
    var d = RaftRules.decideVote(5, Optional.empty(), pos(0, 0), 4, A, pos(9, 9));
    assertThat(d.granted()).isFalse();
    assertThat(d.reason()).contains("below ours");
  }

  @Test
  void grantsAtMostOneVotePerTerm() {
    assertThat(RaftRules.decideVote(5, Optional.of(A), pos(0, 0), 5, B, pos(1, 1)).granted()).isFalse();
    // Asking again for the same candidate is not a second vote.
    assertThat(RaftRules.decideVote(5, Optional.of(A), pos(0, 0), 5, A, pos(1, 1)).granted()).isTrue();
  }

  @Test
  void grantsOnlyToALogAtLeastAsUpToDate() {
    assertThat(RaftRules.decideVote(5, Optional.empty(), pos(10, 4), 5, A, pos(9, 4)).granted()).isFalse();
    assertThat(RaftRules.decideVote(5, Optional.empty(), pos(10, 4), 5, A, pos(50, 3)).granted()).isFalse();
    assertThat(RaftRules.decideVote(5, Optional.empty(), pos(10, 4), 5, A, pos(10, 4)).granted()).isTrue();
  }

  @Test
  void preVoteRefusedWhileALeaderIsHeard() {
    assertThat(RaftRules.decidePreVote(3, true, pos(1, 1), 4, pos(1, 1)).granted()).isFalse();
    assertThat(RaftRules.decidePreVote(3, false, pos(1, 1), 4, pos(1, 1)).granted()).isTrue();
  }

  @Test
  void preVoteRefusedForAProposedTermNotAboveOurs() {
    assertThat(RaftRules.decidePreVote(4, false, pos(1, 1), 4, pos(1, 1)).granted()).isFalse();
  }

  @Test
  void preVoteRefusedForABehindLog() {
    assertThat(RaftRules.decidePreVote(3, false, pos(7, 3), 4, pos(9, 2)).granted()).isFalse();
  }

  @Test
  void commitNeedsAMajorityAndAnEntryOfTheCurrentTerm() { // Figure 8
    long[] terms = {0, 1, 1, 2, 3, 3}; // index -> term
    // Index 3 (term 2) is on a majority, but the leader is in term 3: it must not commit.
    assertThat(RaftRules.advanceCommit(3, 0, new long[] {3, 3, 2}, i -> terms[(int) i])).isZero();
    // Once index 4 (term 3) is on a majority, everything up to 4 commits.
    assertThat(RaftRules.advanceCommit(3, 0, new long[] {4, 4, 2}, i -> terms[(int) i])).isEqualTo(4);
    // Never moves backwards.
    assertThat(RaftRules.advanceCommit(3, 5, new long[] {4, 4, 2}, i -> terms[(int) i])).isEqualTo(5);
  }

  @Test
  void commitMathMatchesANaiveCount() {
    Random r = new Random(7);
    for (int trial = 0; trial < 10_000; trial++) {
      int members = 1 + r.nextInt(7);
      int last = r.nextInt(20);
      long[] terms = new long[last + 1];
      for (int i = 1; i <= last; i++) {
        terms[i] = terms[i - 1] + (r.nextInt(3) == 0 ? 1 : 0) + (i == 1 ? 1 : 0);
      }
      long current = terms[last] + r.nextInt(2);
      long[] match = new long[members];
      for (int m = 0; m < members; m++) {
        match[m] = r.nextInt(last + 1);
      }
      long commit = r.nextInt(last + 1);
      long naive = commit;
      for (int n = last; n > commit; n--) {
        int count = 0;
        for (long x : match) {
          if (x >= n) {
            count++;
          }
        }
        if (count >= members / 2 + 1 && terms[n] == current) {
          naive = n;
          break;
        }
      }
      assertThat(RaftRules.advanceCommit(current, commit, match, i -> terms[(int) i]))
          .as("trial %d", trial)
          .isEqualTo(naive);
    }
  }

  private static InMemoryStorage logWithTerms(long... terms) {
    InMemoryStorage s = new InMemoryStorage();
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      entries.add(LogEntry.noop(i + 1, terms[i]));
    }
    s.append(entries);
    return s;
  }

  @Test
  void conflictHintPointsPastAShortLog() {
    var hint = RaftRules.conflictHint(logWithTerms(1, 1, 2), 7);
    assertThat(hint).isEqualTo(new RaftRules.ConflictHint(0, 4));
  }

  @Test
  void conflictHintNamesTheTermAndItsFirstIndex() {
    var hint = RaftRules.conflictHint(logWithTerms(1, 2, 2, 2, 3), 4);
    assertThat(hint).isEqualTo(new RaftRules.ConflictHint(2, 2));
  }

  @Test
  void leaderSkipsAWholeConflictingTermItDoesNotHave() {
    InMemoryStorage leader = logWithTerms(1, 1, 4, 4, 4);
    // Follower has 1,1,2,2,2 and rejects prevLogIndex 5 (its term 2, first index 3).
    long next =
        RaftRules.nextIndexAfterRejection(leader, 0, 5, new RaftRules.ConflictHint(2, 3));
    assertThat(next).isEqualTo(3); // next AppendEntries checks index 2, which matches
  }

  @Test
  void leaderResumesAfterItsLastEntryOfTheConflictingTerm() {
    InMemoryStorage leader = logWithTerms(1, 2, 2, 5, 5);
    // Follower has 1,2,2,2,2,2 and rejects prevLogIndex 5 (term 2 from index 2).
    long next =
        RaftRules.nextIndexAfterRejection(leader, 0, 5, new RaftRules.ConflictHint(2, 2));
    assertThat(next).isEqualTo(4);
  }

  @Test
  void nextIndexStaysAboveMatchAndAtOrBelowTheRejectedIndex() {
    InMemoryStorage leader = logWithTerms(1, 1, 1, 1);
    assertThat(RaftRules.nextIndexAfterRejection(leader, 2, 4, new RaftRules.ConflictHint(0, 1)))
        .isEqualTo(3);
    assertThat(RaftRules.nextIndexAfterRejection(leader, 0, 2, new RaftRules.ConflictHint(0, 9)))
        .isEqualTo(2);
  }

  // --- AppendEntries receiver (Figure 2, rules 2-5) ---------------------------------------------

  private static List<LogEntry> entries(long from, long... terms) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      out.add(LogEntry.noop(from + i, terms[i]));
    }
    return out;
  }

  @Test
  void followerRejectsWithoutAMatchAtPrevLogIndex() { // §5.3, rule 2
    InMemoryStorage log = logWithTerms(1, 1, 2);
    var a = RaftRules.acceptAppend(log, 0, pos(3, 3), entries(4, 3), 3);
    assertThat(a.matches()).isFalse();
    assertThat(a.hint()).isEqualTo(new RaftRules.ConflictHint(2, 3));
    assertThat(a.commitIndex()).as("nothing learnt from a mismatch").isZero();
    assertThat(RaftRules.acceptAppend(log, 0, pos(5, 2), List.of(), 0).hint())
        .isEqualTo(new RaftRules.ConflictHint(0, 4));
  }

  @Test
  void followerSkipsEntriesItHoldsAndReplacesFromTheFirstConflict() { // §5.3, rules 3-4
    InMemoryStorage log = logWithTerms(1, 1, 2, 2);
    var same = RaftRules.acceptAppend(log, 0, pos(1, 1), entries(2, 1, 2), 0);
    assertThat(same.toAppend()).as("a duplicate truncates nothing").isEmpty();
    var conflict = RaftRules.acceptAppend(log, 0, pos(1, 1), entries(2, 1, 3, 3), 0);
    assertThat(conflict.toAppend()).extracting(LogEntry::index).containsExactly(3L, 4L);
    assertThat(conflict.lastNew()).isEqualTo(4);
  }

  @Test
  void followerCommitsOnlyWhatTheMessageProved() { // §5.3, rule 5
    InMemoryStorage log = logWithTerms(1, 1, 1, 1, 1);
    // The leader has committed 9, but this message only shows our log matches up to 3.
    var a = RaftRules.acceptAppend(log, 1, pos(2, 1), entries(3, 1), 9);
    assertThat(a.commitIndex()).isEqualTo(3);
    // Never backwards.
    assertThat(RaftRules.acceptAppend(log, 4, pos(1, 1), List.of(), 2).commitIndex()).isEqualTo(4);
  }

  @Test
  void followerNeverReplacesACommittedEntry() { // §5.4, Leader Completeness
    InMemoryStorage log = logWithTerms(1, 1, 2);
    var a = RaftRules.acceptAppend(log, 3, pos(1, 1), entries(2, 1, 3), 3);
    assertThat(a.replacesCommitted()).isTrue();
    assertThat(a.toAppend()).isEmpty();
  }

  // --- the leader's progress, commit count, check-quorum, ReadIndex rounds -----------------------

  private static Progress replicating(long next, long match) {
    return Progress.initial(next).matched(match);
  }

  @Test
  void aSuccessMovesMatchAndNextUpNeverDown() { // Figure 2, rules for leaders
    InMemoryStorage log = logWithTerms(1, 1, 1, 1, 1, 1);
    Progress p = Progress.initial(7).matched(4).sent(6, 10);
    var reply = new Rpc.AppendEntriesReply(1, B, 2, true, 6, 0, 0, 3);
    Progress n = RaftRules.progressOnReply(p, reply, 5, log, 100);
    assertThat(n.matchIndex()).isEqualTo(6);
    assertThat(n.nextIndex()).isEqualTo(7);
    assertThat(n.inflight()).as("acknowledged, no longer in flight").isEmpty();
    assertThat(n.ackedRound()).isEqualTo(3);
    var late = new Rpc.AppendEntriesReply(1, B, 2, true, 2, 0, 0, 9);
    Progress l = RaftRules.progressOnReply(n, late, 5, log, 101);
    assertThat(l.matchIndex()).as("a late success does not move match back").isEqualTo(6);
    assertThat(l.ackedRound()).as("at most our own round").isEqualTo(5);
  }

  @Test
  void aRejectionProbesFromTheHintAndAStaleOneChangesNothing() { // §5.3
    InMemoryStorage log = logWithTerms(1, 1, 1, 1, 1, 1);
    Progress p = replicating(7, 2);
    var reject = new Rpc.AppendEntriesReply(1, B, 2, false, 6, 0, 4, 0);
    Progress n = RaftRules.progressOnReply(p, reject, 0, log, 0);
    assertThat(n.replicating()).isFalse();
    assertThat(n.nextIndex()).isEqualTo(4);
    var stale = new Rpc.AppendEntriesReply(1, B, 2, false, 1, 0, 1, 0);
    Progress s = RaftRules.progressOnReply(p, stale, 0, log, 0);
    assertThat(s.replicating()).isTrue();
    assertThat(s.nextIndex()).isEqualTo(7);
  }

  @Test
  void checkQuorumCountsTheLeaderAndTheFollowersHeardFrom() { // §6.2
    Progress heard = Progress.initial(1).heard(0, 0);
    Progress silent = Progress.initial(1);
    assertThat(RaftRules.quorumActive(List.of(heard, silent), 2)).isTrue();
    assertThat(RaftRules.quorumActive(List.of(silent, silent), 2)).isFalse();
    assertThat(RaftRules.quorumActive(List.of(heard, silent, silent, silent), 3)).isFalse();
  }

  @Test
  void aReadRoundIsConfirmedByAMajorityCountingTheLeader() { // §6.4
    Progress r3 = Progress.initial(1).heard(3, 0);
    Progress r1 = Progress.initial(1).heard(1, 0);
    Progress r0 = Progress.initial(1);
    assertThat(RaftRules.quorumRound(3, List.of(r3, r1), 2)).isEqualTo(3);
    assertThat(RaftRules.quorumRound(3, List.of(r3, r1, r0, r0), 3)).isEqualTo(1);
    assertThat(RaftRules.quorumRound(4, List.of(), 1)).as("a cluster of one").isEqualTo(4);
  }

  @Test
  void commitCountMatchesANaiveCount() { // Figure 2, rules for leaders; §5.4.2
    Random rnd = new Random(5);
    for (int trial = 0; trial < 2000; trial++) {
      int members = 1 + rnd.nextInt(5);
      long[] terms = new long[12];
      for (int i = 1; i < terms.length; i++) {
        terms[i] = Math.max(terms[i - 1], 1 + rnd.nextInt(3));
      }
      long current = terms[terms.length - 1] + rnd.nextInt(2);
      long[] match = new long[members];
      for (int m = 0; m < members; m++) {
        match[m] = rnd.nextInt(terms.length);
      }
      long commit = rnd.nextInt(3);
      long naive = commit;
      for (long n = terms.length - 1; n > commit; n--) {
        int holders = 0;
        for (long m : match) {
          holders += m >= n ? 1 : 0;
        }
        if (holders >= members / 2 + 1 && terms[(int) n] == current) {
          naive = n;
          break;
        }
      }
      assertThat(RaftRules.advanceCommit(current, commit, match, i -> terms[(int) i]))
          .as("trial %d", trial).isEqualTo(naive);
    }
  }
}
