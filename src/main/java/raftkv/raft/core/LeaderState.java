package raftkv.raft.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import raftkv.common.Endpoint;
import raftkv.storage.LogEntry;

/**
 * What only a leader keeps, for one term: a {@link Progress} per follower, how far its own log is
 * synced, and the reads waiting for a heartbeat round (ReadIndex, dissertation §6.4). Immutable.
 *
 * @param selfMatch the last index synced on the leader's own disk: its own vote toward a commit
 * @param flushScheduled a {@code FLUSH} tick is queued: new entries and reads wait for it together
 * @param committedInTerm an entry of this term committed: only then is commitIndex a read index
 * @param round the heartbeat round every AppendEntries carries; raised for each batch of reads
 * @param lastTimestamp the latest time given to a command: logged time never runs backwards here
 * @param unflushed proposals not yet written to the log: the next flush writes them in one batch
 * @param readsBeforeCommit reads that came before an entry of this term committed
 * @param readsNeedingRound reads waiting for the next round to start
 * @param readsAwaitingQuorum reads whose round was sent, oldest round first
 */
public record LeaderState(
    Map<Endpoint, Progress> progress,
    long selfMatch,
    boolean flushScheduled,
    boolean committedInTerm,
    long round,
    long lastTimestamp,
    Chain<LogEntry> unflushed,
    List<ReadWaiter> readsBeforeCommit,
    List<PendingRead> readsNeedingRound,
    List<PendingRead> readsAwaitingQuorum) {

  /** Someone waiting for a linearizable read: a local client, or a follower asking for an index. */
  public sealed interface ReadWaiter {}

  public record LocalRead(Caller caller) implements ReadWaiter {}

  public record RemoteRead(Endpoint follower, long requestId, long incarnation) implements ReadWaiter {}

  /** A read that may be served at {@code readIndex} once round {@code round} is acknowledged. */
  public record PendingRead(ReadWaiter waiter, long readIndex, long round) {}

  /**
   * The progress map is taken as it is: it is copied once where it changes ({@link #initial},
   * {@link #withProgress}, {@link #withAllProgress}), not on every change of the other fields.
   */
  public LeaderState {
    readsBeforeCommit = List.copyOf(readsBeforeCommit);
    readsNeedingRound = List.copyOf(readsNeedingRound);
    readsAwaitingQuorum = List.copyOf(readsAwaitingQuorum);
  }

  static LeaderState initial(List<Endpoint> peers, long nextIndex, long selfMatch) {
    Map<Endpoint, Progress> p = new LinkedHashMap<>();
    for (Endpoint e : peers) {
      p.put(e, Progress.initial(nextIndex));
    }
    return new LeaderState(Collections.unmodifiableMap(p), selfMatch, false, false, 0, 0, Chain.empty(), List.of(),
        List.of(), List.of());
  }

  LeaderState withProgress(Endpoint peer, Progress p) {
    Map<Endpoint, Progress> m = new LinkedHashMap<>(progress);
    m.put(peer, p);
    return new LeaderState(Collections.unmodifiableMap(m), selfMatch, flushScheduled, committedInTerm, round, lastTimestamp,
        unflushed, readsBeforeCommit, readsNeedingRound, readsAwaitingQuorum);
  }

  LeaderState withAllProgress(Map<Endpoint, Progress> m) {
    return new LeaderState(frozen(m), selfMatch, flushScheduled, committedInTerm, round, lastTimestamp,
        unflushed, readsBeforeCommit, readsNeedingRound, readsAwaitingQuorum);
  }

  LeaderState withSelfMatch(long index) {
    return new LeaderState(progress, Math.max(selfMatch, index), flushScheduled, committedInTerm, round,
        lastTimestamp, unflushed, readsBeforeCommit, readsNeedingRound, readsAwaitingQuorum);
  }

  LeaderState withFlushScheduled(boolean on) {
    return new LeaderState(progress, selfMatch, on, committedInTerm, round, lastTimestamp,
        unflushed, readsBeforeCommit, readsNeedingRound, readsAwaitingQuorum);
  }

  LeaderState withReads(
      boolean committed, long newRound, List<ReadWaiter> before, List<PendingRead> needing,
      List<PendingRead> awaiting) {
    return new LeaderState(progress, selfMatch, flushScheduled, committed, newRound, lastTimestamp,
        unflushed, before, needing, awaiting);
  }

  /** With {@code entry} proposed after the unflushed ones, at the time it was stamped with. */
  LeaderState withProposed(LogEntry entry, long timestamp) {
    return new LeaderState(progress, selfMatch, flushScheduled, committedInTerm, round, timestamp,
        unflushed.add(entry), readsBeforeCommit, readsNeedingRound, readsAwaitingQuorum);
  }

  /** Nothing left to write: the unflushed proposals are in the log now. */
  LeaderState withUnflushedWritten() {
    return new LeaderState(progress, selfMatch, flushScheduled, committedInTerm, round, lastTimestamp,
        Chain.empty(), readsBeforeCommit, readsNeedingRound, readsAwaitingQuorum);
  }

  private static Map<Endpoint, Progress> frozen(Map<Endpoint, Progress> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /** Every read still waiting, in no particular order (to fail them when leadership ends). */
  List<ReadWaiter> allWaitingReads() {
    List<ReadWaiter> all = new ArrayList<>(readsBeforeCommit);
    readsNeedingRound.forEach(p -> all.add(p.waiter()));
    readsAwaitingQuorum.forEach(p -> all.add(p.waiter()));
    return all;
  }
}
