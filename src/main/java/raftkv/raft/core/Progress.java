package raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * One follower as its leader sees it (Figure 2's {@code nextIndex} and {@code matchIndex}), plus
 * the flow control and liveness the leader keeps for it.
 *
 * @param replicating the follower's log matched at {@code nextIndex - 1}, so new entries are sent
 *     at once and {@code nextIndex} runs ahead of acknowledgements (pipelining, bounded by {@code
 *     inflight}). Otherwise probing: a rejection or a silence put the match in doubt, and one
 *     entry-less AppendEntries per heartbeat looks for it.
 * @param inflight AppendEntries with entries sent and not yet acknowledged, oldest first
 * @param recentActive heard from since the last check-quorum tick
 * @param silent reported as not answering, and silent since
 * @param ackedRound the highest heartbeat round this follower acknowledged in our term
 * @param lastAckMillis when it last answered, or -1 (for status)
 * @param snapshotting it needs entries our log no longer holds (compacted): it is being sent a
 *     snapshot (InstallSnapshot, §7), and gets heartbeats only until it has installed one
 */
public record Progress(
    long nextIndex,
    long matchIndex,
    boolean replicating,
    List<InFlight> inflight,
    boolean recentActive,
    boolean silent,
    long ackedRound,
    long lastAckMillis,
    boolean snapshotting) {

  /** One AppendEntries on its way: the last index it carries, and its entry bytes. */
  public record InFlight(long lastIndex, long bytes) {}

  public Progress {
    inflight = List.copyOf(inflight);
  }

  /** A follower a new leader knows nothing about yet: probe from just after the leader's log. */
  public static Progress initial(long nextIndex) {
    return new Progress(nextIndex, 0, false, List.of(), false, false, 0, -1, false);
  }

  public long inflightBytes() {
    long b = 0;
    for (InFlight f : inflight) {
      b += f.bytes();
    }
    return b;
  }

  /** Whether another AppendEntries with entries may go out (messages and bytes in flight bounded). */
  public boolean canSend(int maxMessages, long maxBytes) {
    return replicating && inflight.size() < maxMessages && inflightBytes() < maxBytes;
  }

  /** Entries up to {@code lastIndex} were sent: {@code nextIndex} moves past them at once. */
  Progress sent(long lastIndex, long bytes) {
    List<InFlight> f = new ArrayList<>(inflight);
    f.add(new InFlight(lastIndex, bytes));
    return new Progress(lastIndex + 1, matchIndex, replicating, f, recentActive, silent, ackedRound, lastAckMillis, snapshotting);
  }

  Progress heard(long round, long nowMillis) {
    return new Progress(
        nextIndex, matchIndex, replicating, inflight, true, false, Math.max(ackedRound, round), nowMillis, snapshotting);
  }

  /** §5.3: the follower's log matches ours up to {@code index}; what was sent up to it arrived. */
  Progress matched(long index) {
    long match = Math.max(matchIndex, index);
    List<InFlight> f = inflight.stream().filter(x -> x.lastIndex() > match).toList();
    return new Progress(
        Math.max(nextIndex, match + 1), match, true, f, recentActive, silent, ackedRound, lastAckMillis, snapshotting);
  }

  /** Being sent a snapshot from now on: no entries until it has installed one. */
  Progress sendingSnapshot() {
    return new Progress(nextIndex, matchIndex, false, List.of(), recentActive, silent, ackedRound, lastAckMillis, true);
  }

  /**
   * It installed a snapshot up to {@code index}: its log matches ours there, and replication
   * resumes right after.
   */
  Progress installed(long index) {
    long match = Math.max(matchIndex, index);
    return new Progress(match + 1, match, true, List.of(), recentActive, silent, ackedRound, lastAckMillis, false);
  }

  /** Back to probing from {@code next}: nothing is assumed in flight, no snapshot is on its way. */
  Progress probe(long next) {
    return new Progress(next, matchIndex, false, List.of(), recentActive, silent, ackedRound, lastAckMillis, false);
  }

  /** A check-quorum tick passed: liveness counts afresh. */
  Progress quorumTick(boolean nowSilent) {
    return new Progress(
        nextIndex, matchIndex, replicating, inflight, false, nowSilent, ackedRound, lastAckMillis, snapshotting);
  }
}
