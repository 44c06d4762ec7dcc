package raftkv.raft;

import java.util.ArrayList;
import java.util.List;
import raftkv.storage.LogEntry;
import raftkv.storage.RaftLog;

/**
 * Committed entries on their way to the state machine: read from the log in batches of at most
 * {@code maxBatchBytes}, with at most {@link #MAX_BATCHES_IN_FLIGHT} batches handed over and not
 * yet acknowledged. So a restart with a long committed log, or a follower far behind, never holds
 * more than a few batches in memory: the next batch is read once the state machine has applied
 * an earlier one. It starts after the index the state machine's stored data already includes.
 */
final class ApplyWindow {
  static final int MAX_BATCHES_IN_FLIGHT = 4;

  private final RaftLog log;
  private final long maxBatchBytes;
  /** The last index handed to the state machine. */
  private long handed;
  /** The last index of each batch handed over and not yet acknowledged, oldest first. */
  private final List<Long> inFlight = new ArrayList<>();

  ApplyWindow(RaftLog log, long maxBatchBytes) {
    this(log, maxBatchBytes, 0);
  }

  /** Starting after {@code appliedIndex}, which the state machine already holds. */
  ApplyWindow(RaftLog log, long maxBatchBytes, long appliedIndex) {
    this.log = log;
    this.maxBatchBytes = maxBatchBytes;
    this.handed = appliedIndex;
  }

  /** The batches to hand over now, in order, toward {@code commitIndex}. */
  List<List<LogEntry>> next(long commitIndex) {
    List<List<LogEntry>> out = new ArrayList<>();
    while (handed < commitIndex && inFlight.size() < MAX_BATCHES_IN_FLIGHT) {
      List<LogEntry> batch = log.entries(handed + 1, commitIndex, maxBatchBytes);
      handed = batch.get(batch.size() - 1).index();
      inFlight.add(handed);
      out.add(batch);
    }
    return out;
  }

  /** The state machine applied everything up to {@code index}. */
  void acknowledged(long index) {
    inFlight.removeIf(last -> last <= index);
  }

  /**
   * A snapshot up to {@code index} went to the state machine instead of the entries before it:
   * the next batch starts after it, and its install is acknowledged as a batch would be.
   */
  void installed(long index) {
    handed = index;
    inFlight.clear();
    inFlight.add(index);
  }

  long handed() {
    return handed;
  }
}
