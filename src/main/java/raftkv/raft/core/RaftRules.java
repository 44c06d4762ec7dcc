package raftkv.raft.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.LongUnaryOperator;
import raftkv.common.Endpoint;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.storage.LogEntry;
import raftkv.storage.RaftLog;

/**
 * The decisions of Raft as pure functions of their arguments, each named for the rule of the paper
 * (Figure 2) or the dissertation it implements, and tested one rule at a time.
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
  public static boolean isAtLeastAsUpToDate(LogPosition theirs, LogPosition ours) {
    return theirs.term() > ours.term()
        || (theirs.term() == ours.term() && theirs.index() >= ours.index());
  }

  /** What a node answers to a RequestVote or PreVote, and why. */
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
   * currentTerm >= requestTerm}): refuse a lower term (rule 1); grant at most one vote per term (§5.2),
   * and only to a candidate whose log is at least as up to date as ours (rule 2, §5.4.1).
   */
  public static VoteDecision decideVote(
      long currentTerm,
      Optional<Endpoint> votedFor,
      LogPosition ours,
      long requestTerm,
      Endpoint candidate,
      LogPosition theirs) {
    if (requestTerm < currentTerm) {
      return VoteDecision.refuse("term " + requestTerm + " is below ours (" + currentTerm + ")");
    }
    if (votedFor.isPresent() && !votedFor.get().equals(candidate)) {
      return VoteDecision.refuse("already voted for " + votedFor.get() + " in term " + currentTerm);
    }
    if (!isAtLeastAsUpToDate(theirs, ours)) {
      return VoteDecision.refuse(
          "candidate log (last " + theirs + ") is behind ours (last " + ours + ")");
    }
    return VoteDecision.grant();
  }

  /**
   * Dissertation §9.6, pre-vote: would we vote for this candidate in {@code proposedTerm}? Not while
   * we still hear from a leader (leader stickiness: a node that heard its leader within the minimum
   * election timeout, or that leads, does not help unseat it), not for a term that is not above
   * ours, and only for a log at least as up to date as ours. Nothing is persisted for a pre-vote.
   */
  public static VoteDecision decidePreVote(
      long currentTerm,
      boolean hearingFromLeader,
      LogPosition ours,
      long proposedTerm,
      LogPosition theirs) {
    if (proposedTerm <= currentTerm) {
      return VoteDecision.refuse(
          "proposed term " + proposedTerm + " is not above ours (" + currentTerm + ")");
    }
    if (hearingFromLeader) {
      return VoteDecision.refuse("a leader of term " + currentTerm + " is still heard");
    }
    if (!isAtLeastAsUpToDate(theirs, ours)) {
      return VoteDecision.refuse("candidate log is behind ours");
    }
    return VoteDecision.grant();
  }

  /**
   * Figure 2, rules for leaders, and §5.4.2 (Figure 8): the highest N replicated on a majority
   * ({@code matchIndexes} holds one entry per member, the leader's own synced index included) with
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

  /**
   * Check-quorum (dissertation §6.2): a leader that heard from fewer than a majority (itself
   * included) since the last tick can no longer commit, and steps down.
   */
  public static boolean quorumActive(Collection<Progress> followers, int quorum) {
    int active = 1;
    for (Progress p : followers) {
      if (p.recentActive()) {
        active++;
      }
    }
    return active >= quorum;
  }

  /**
   * ReadIndex (dissertation §6.4): the highest heartbeat round acknowledged by enough followers to
   * form a majority with the leader; every read of that round or an earlier one may be served.
   */
  public static long quorumRound(long round, Collection<Progress> followers, int quorum) {
    int needed = quorum - 1;
    if (needed == 0) {
      return round;
    }
    long[] acked = followers.stream().mapToLong(Progress::ackedRound).toArray();
    Arrays.sort(acked);
    return needed > acked.length ? 0 : acked[acked.length - needed];
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

  /**
   * What a follower does with an AppendEntries of its leader's term (Figure 2, AppendEntries
   * receiver, rules 2-5).
   *
   * @param matches rule 2: our log holds an entry at prevLogIndex with prevLogTerm
   * @param hint where our log parts from the leader's, when it does not match
   * @param toAppend rules 3-4: the entries from the first one that is new or conflicts; they replace
   *     our log from their first index on (empty: nothing to write, nothing truncated)
   * @param lastNew the last index this message proved we hold
   * @param commitIndex rule 5: min(leaderCommit, lastNew), never below our commit index
   * @param replacesCommitted the first conflicting entry is at or below our commit index: a leader
   *     that would remove a committed entry breaks Leader Completeness, so nothing is done
   */
  public record Acceptance(
      boolean matches,
      ConflictHint hint,
      List<LogEntry> toAppend,
      long lastNew,
      long commitIndex,
      boolean replacesCommitted) {}

  public static Acceptance acceptAppend(
      RaftLog log,
      long commitIndex,
      LogPosition prev,
      List<LogEntry> entries,
      long leaderCommit) {
    long snapshot = log.firstIndex() - 1;
    if (prev.index() < snapshot) {
      // Our snapshot covers prevLogIndex: what it holds is committed, the same in the leader's log
      // (Leader Completeness). Only the entries after it can be new; check them from its end.
      List<LogEntry> after = entries.stream().filter(e -> e.index() > snapshot).toList();
      return acceptAppend(
          log, commitIndex, new LogPosition(snapshot, log.termAt(snapshot)), after, leaderCommit);
    }
    // §5.3, rule 2: reject unless our entry at prevLogIndex carries prevLogTerm.
    if (prev.index() > log.lastIndex() || log.termAt(prev.index()) != prev.term()) {
      return new Acceptance(false, conflictHint(log, prev.index()), List.of(), 0, commitIndex, false);
    }
    // Rules 3-4: skip what we already hold; a duplicate or reordered AppendEntries whose entries
    // all match truncates nothing.
    int firstNew = 0;
    while (firstNew < entries.size()) {
      LogEntry e = entries.get(firstNew);
      if (e.index() > log.lastIndex() || log.termAt(e.index()) != e.term()) {
        break;
      }
      firstNew++;
    }
    List<LogEntry> toAppend = new ArrayList<>(entries.subList(firstNew, entries.size()));
    boolean replacesCommitted = !toAppend.isEmpty() && toAppend.get(0).index() <= commitIndex;
    long lastNew = prev.index() + entries.size();
    // Rule 5: commit up to the leader's commit index, within what this message proved we hold.
    long commit = Math.max(commitIndex, Math.min(leaderCommit, lastNew));
    if (replacesCommitted) {
      return new Acceptance(true, null, List.of(), lastNew, commitIndex, true);
    }
    return new Acceptance(true, null, toAppend, lastNew, commit, false);
  }

  /**
   * The leader's view of a follower after its AppendEntries reply (Figure 2, rules for leaders;
   * §5.3): a success moves {@code matchIndex} and {@code nextIndex} up, never down, and frees what
   * was in flight up to it; a rejection at or above {@code matchIndex} moves {@code nextIndex} back,
   * using the follower's hint, and probes from there; a stale rejection (below what is known to
   * match) and a reply beyond our log change nothing but liveness. {@code round} is our current
   * heartbeat round: the follower acknowledged at most that.
   */
  public static Progress progressOnReply(
      Progress p, AppendEntriesReply m, long round, RaftLog log, long nowMillis) {
    Progress heard = p.heard(Math.min(m.round(), round), nowMillis);
    if (m.index() > log.lastIndex()) {
      return heard;
    }
    if (m.success()) {
      return heard.matched(m.index());
    }
    if (m.index() < heard.matchIndex()) {
      return heard;
    }
    long next =
        nextIndexAfterRejection(
            log, heard.matchIndex(), m.index(), new ConflictHint(m.conflictTerm(), m.conflictIndex()));
    return heard.probe(next);
  }
}
