package raftkv.raft;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.LongUnaryOperator;
import raftkv.common.Endpoint;
import raftkv.storage.RaftLog;

/**
 * The decisions of Raft that need no actor: pure functions of their arguments, each named for the
 * rule of the paper (Figure 2) or the dissertation it implements, and tested one rule at a time.
 */
public final class RaftRules {
  private RaftRules() {}

  /** Votes or acknowledgements needed in a cluster of {@code size}: a strict majority. */
  public static int majority(int size) {
    return size / 2 + 1;
  }

  /**
   * §5.4.1: a log is at least as up to date as ours if its last term is higher, or equal with an
   * index at least as high.
   */
  public static boolean isAtLeastAsUpToDate(
      long theirLastTerm, long theirLastIndex, long ourLastTerm, long ourLastIndex) {
    return theirLastTerm > ourLastTerm
        || (theirLastTerm == ourLastTerm && theirLastIndex >= ourLastIndex);
  }

  /** What a node answers to a RequestVote, and why. */
  public record VoteDecision(boolean granted, String reason) {
    static VoteDecision grant() {
      return new VoteDecision(true, "granted");
    }

    static VoteDecision refuse(String reason) {
      return new VoteDecision(false, reason);
    }
  }

  /**
   * Figure 2, RequestVote receiver, once the request's term has been observed (so {@code
   * currentTerm >= requestTerm}): refuse a lower term (rule 1); grant at most one vote per term, and
   * only to a candidate whose log is at least as up to date as ours (rule 2).
   */
  public static VoteDecision decideVote(
      long currentTerm,
      Optional<Endpoint> votedFor,
      long ourLastTerm,
      long ourLastIndex,
      long requestTerm,
      Endpoint candidate,
      long candidateLastTerm,
      long candidateLastIndex) {
    if (requestTerm < currentTerm) {
      return VoteDecision.refuse("term " + requestTerm + " is below ours (" + currentTerm + ")");
    }
    if (votedFor.isPresent() && !votedFor.get().equals(candidate)) {
      return VoteDecision.refuse("already voted for " + votedFor.get() + " in term " + currentTerm);
    }
    if (!isAtLeastAsUpToDate(candidateLastTerm, candidateLastIndex, ourLastTerm, ourLastIndex)) {
      return VoteDecision.refuse(
          "candidate log (last "
              + candidateLastIndex
              + "@"
              + candidateLastTerm
              + ") is behind ours (last "
              + ourLastIndex
              + "@"
              + ourLastTerm
              + ")");
    }
    return VoteDecision.grant();
  }

  /**
   * Dissertation §9.6, pre-vote: would we vote for this candidate in {@code proposedTerm}? Not while
   * we still hear from a leader (leader stickiness), not for a term that is not above ours, and only
   * for a log at least as up to date as ours. Nothing is persisted for a pre-vote.
   */
  public static VoteDecision decidePreVote(
      long currentTerm,
      boolean hearingFromLeader,
      long ourLastTerm,
      long ourLastIndex,
      long proposedTerm,
      long candidateLastTerm,
      long candidateLastIndex) {
    if (proposedTerm <= currentTerm) {
      return VoteDecision.refuse(
          "proposed term " + proposedTerm + " is not above ours (" + currentTerm + ")");
    }
    if (hearingFromLeader) {
      return VoteDecision.refuse("a leader of term " + currentTerm + " is still heard");
    }
    if (!isAtLeastAsUpToDate(candidateLastTerm, candidateLastIndex, ourLastTerm, ourLastIndex)) {
      return VoteDecision.refuse("candidate log is behind ours");
    }
    return VoteDecision.grant();
  }

  /**
   * Figure 2, rules for leaders, and §5.4.2 (Figure 8): the highest N replicated on a majority
   * ({@code matchIndexes} holds one entry per member, the leader's own last index included) with
   * {@code term(N) == currentTerm}; entries of earlier terms commit only through such an N. Returns
   * {@code commitIndex} when nothing new qualifies.
   */
  public static long advanceCommit(
      long currentTerm, long commitIndex, long[] matchIndexes, LongUnaryOperator termAt) {
    long[] sorted = matchIndexes.clone();
    Arrays.sort(sorted);
    // The value at this position is held by a majority: every member at or above it.
    long n = sorted[sorted.length - majority(sorted.length)];
    if (n > commitIndex && termAt.applyAsLong(n) == currentTerm) {
      return n;
    }
    return commitIndex;
  }

  /** Where a follower's log parts from the leader's, reported in a rejected AppendEntries. */
  public record ConflictHint(long conflictTerm, long conflictIndex) {}

  /**
   * The follower side of fast log backtracking (§5.3, the optimization the paper sketches): when
   * the entry at {@code prevLogIndex} is missing, point at the end of our log (term 0); when its
   * term differs, report that term and the first index we hold with it, so the leader can skip the
   * whole term in one round trip.
   */
  public static ConflictHint conflictHint(RaftLog log, long prevLogIndex) {
    if (prevLogIndex > log.lastIndex()) {
      return new ConflictHint(0, log.lastIndex() + 1);
    }
    long term = log.termAt(prevLogIndex);
    long first = prevLogIndex;
    while (first - 1 >= log.firstIndex() && log.termAt(first - 1) == term) {
      first--;
    }
    return new ConflictHint(term, first);
  }

  /**
   * The leader side of fast backtracking: the next index to try after a rejection carrying {@code
   * hint}. If the leader has entries of the conflicting term, resume after its last one; otherwise
   * skip the follower's whole term. Never returns an index at or below {@code matchIndex}, nor above
   * the rejected {@code prevLogIndex}.
   */
  public static long nextIndexAfterRejection(
      RaftLog log, long matchIndex, long rejectedPrevLogIndex, ConflictHint hint) {
    long next = hint.conflictIndex();
    if (hint.conflictTerm() > 0) {
      long i = Math.min(rejectedPrevLogIndex, log.lastIndex());
      while (i >= log.firstIndex() && log.termAt(i) > hint.conflictTerm()) {
        i--;
      }
      if (i >= log.firstIndex() && log.termAt(i) == hint.conflictTerm()) {
        next = i + 1;
      }
    }
    return Math.max(matchIndex + 1, Math.min(next, rejectedPrevLogIndex));
  }
}
