package raftkv.raft;

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
    assertThat(RaftRules.isAtLeastAsUpToDate(3, 1, 2, 100)).isTrue();
    assertThat(RaftRules.isAtLeastAsUpToDate(2, 100, 3, 1)).isFalse();
    assertThat(RaftRules.isAtLeastAsUpToDate(3, 5, 3, 5)).isTrue();
    assertThat(RaftRules.isAtLeastAsUpToDate(3, 4, 3, 5)).isFalse();
  }

  @Test
  void refusesVoteForLowerTerm() {
    var d = RaftRules.decideVote(5, Optional.empty(), 0, 0, 4, A, 9, 9);
    assertThat(d.granted()).isFalse();
    assertThat(d.reason()).contains("below ours");
  }

  @Test
  void grantsAtMostOneVotePerTerm() {
    assertThat(RaftRules.decideVote(5, Optional.of(A), 0, 0, 5, B, 1, 1).granted()).isFalse();
    // Asking again for the same candidate is not a second vote.
    assertThat(RaftRules.decideVote(5, Optional.of(A), 0, 0, 5, A, 1, 1).granted()).isTrue();
  }

  @Test
  void grantsOnlyToALogAtLeastAsUpToDate() {
    assertThat(RaftRules.decideVote(5, Optional.empty(), 4, 10, 5, A, 4, 9).granted()).isFalse();
    assertThat(RaftRules.decideVote(5, Optional.empty(), 4, 10, 5, A, 3, 50).granted()).isFalse();
    assertThat(RaftRules.decideVote(5, Optional.empty(), 4, 10, 5, A, 4, 10).granted()).isTrue();
  }

  @Test
  void preVoteRefusedWhileALeaderIsHeard() {
    assertThat(RaftRules.decidePreVote(3, true, 1, 1, 4, 1, 1).granted()).isFalse();
    assertThat(RaftRules.decidePreVote(3, false, 1, 1, 4, 1, 1).granted()).isTrue();
  }

  @Test
  void preVoteRefusedForAProposedTermNotAboveOurs() {
    assertThat(RaftRules.decidePreVote(4, false, 1, 1, 4, 1, 1).granted()).isFalse();
  }

  @Test
  void preVoteRefusedForABehindLog() {
    assertThat(RaftRules.decidePreVote(3, false, 3, 7, 4, 2, 9).granted()).isFalse();
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
}
