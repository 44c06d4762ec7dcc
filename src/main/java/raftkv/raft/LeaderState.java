package raftkv.raft;

import akka.actor.typed.ActorRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import raftkv.api.ClientProtocol.Reply;
import raftkv.common.Endpoint;
import raftkv.storage.LogEntry;

/**
 * What only a leader keeps, for one term: Figure 2's {@code nextIndex} and {@code matchIndex} per
 * follower, the entries waiting for the next shared sync, and the reads waiting for a heartbeat
 * round. Mutable, confined to the node's actor, dropped when leadership ends.
 */
final class LeaderState {

  /** One follower, as the leader sees it. */
  static final class Progress {
    long nextIndex;
    long matchIndex;
    /**
     * Replicating: the follower's log matched at {@code nextIndex - 1}, so new entries are sent at
     * once and {@code nextIndex} runs ahead of acknowledgements. Probing: a rejection put the match
     * in doubt, so one entry-less AppendEntries at a time looks for it.
     */
    boolean replicating;
    /** Heard from since the last check-quorum tick. */
    boolean recentActive;
    /** Reported as not answering, and silent since. */
    boolean silent;
    /** The highest heartbeat round this follower acknowledged in our term. */
    long ackedRound;
    /** {@code System.nanoTime()} of the last reply, or -1. For status only. */
    long lastAckNanos = -1;

    Progress(long nextIndex) {
      this.nextIndex = nextIndex;
    }
  }

  /** Someone waiting for a linearizable read: a local client, or a follower asking for an index. */
  sealed interface ReadWaiter {}

  record LocalRead(String key, ActorRef<Reply> replyTo) implements ReadWaiter {}

  record FollowerRead(Endpoint follower, long requestId) implements ReadWaiter {}

  /** A read that may be served at {@code readIndex} once round {@code round} is acknowledged. */
  record PendingRead(ReadWaiter waiter, long readIndex, long round) {}

  final Map<Endpoint, Progress> progress = new LinkedHashMap<>();
  /** Appended in memory, written with one sync at the next flush. */
  final List<LogEntry> unflushed = new ArrayList<>();
  boolean flushScheduled;
  /** True once an entry of this term committed: only then is commitIndex a valid read index. */
  boolean committedInTerm;
  /** Heartbeat round carried by every AppendEntries; raised for each batch of reads. */
  long round;
  /** The latest timestamp given to a command, so that logged time never runs backwards here. */
  long lastTimestamp;
  final List<ReadWaiter> readsBeforeCommitInTerm = new ArrayList<>();
  final List<PendingRead> readsNeedingRound = new ArrayList<>();
  final Deque<PendingRead> readsAwaitingQuorum = new ArrayDeque<>();

  LeaderState(List<Endpoint> peers, long nextIndex) {
    for (Endpoint p : peers) {
      progress.put(p, new Progress(nextIndex));
    }
  }

  /**
   * The highest round acknowledged by enough followers to form a majority with the leader, given
   * {@code quorum} members needed in all.
   */
  long quorumRound(int quorum) {
    int needed = quorum - 1;
    if (needed == 0) {
      return round;
    }
    long[] acked = progress.values().stream().mapToLong(p -> p.ackedRound).toArray();
    Arrays.sort(acked);
    return needed > acked.length ? 0 : acked[acked.length - needed];
  }
}
