package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import raftkv.common.Endpoint;
import raftkv.storage.InMemoryLog;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.storage.StorageException;

/**
 * A node's disk in a simulation. It tells what was written from what is durable: {@link
 * #appendUnsynced} and {@link #saveCommitHint} are visible at once and survive the crash of the
 * process (they are in the operating system's hands), but survive a {@link #powerFailure()} only
 * after a {@link #sync()} (or a synced {@link #saveTermAndVote}, which flushes everything before it,
 * as one write-ahead log does): a power failure loses every unsynced write. With {@link
 * #failSyncs(boolean)} every sync fails with a {@link StorageException} and nothing more becomes
 * durable: the node must stop, and must not have acknowledged what it could not store.
 *
 * <p>The state machine's data ({@link #stateStore()}) shares that write-ahead log, as it does in
 * the RocksDB store: each of its writes (one atomic batch, with the applied index) is visible at
 * once and survives a crash, becomes durable with the next sync, and is lost whole in a power
 * failure before that sync. So a power failure can take the state machine back to an earlier
 * applied index, never to half a batch, and the restarted node replays the log from there.
 *
 * <p>Every change to the log is reported to the cluster's {@link SafetyChecker}, which checks Log
 * Matching and that no committed entry is ever removed as it happens.
 */
public final class SimDisk extends InMemoryStorage {

  private final int node;
  private final SafetyChecker checker;

  private long durableTerm;
  private Optional<Endpoint> durableVotedFor = Optional.empty();
  private long durableCommitHint;
  private final InMemoryLog durableLog = new InMemoryLog();
  /** The lowest index written since the last sync (log.lastIndex() + 1 when none). */
  private long dirtyFrom = 1;

  private final TrackedState state;
  private final TrackedDurable durableState = new TrackedDurable();

  private boolean failSyncs;
  private long failedSyncs;
  private long lostStateWrites;

  SimDisk(int node, SafetyChecker checker) {
    super(new TrackedState());
    this.node = node;
    this.checker = checker;
    this.state = (TrackedState) stateStore();
  }

  /** The state machine's data, remembering the writes made since the last sync, in order. */
  private static final class TrackedState extends InMemoryStateStore {
    private record Write(List<Change> changes, long appliedIndex) {}

    private final List<Write> unsynced = new ArrayList<>();

    @Override
    protected synchronized void written(List<Change> changes, long appliedIndex) {
      unsynced.add(new Write(changes, appliedIndex));
    }

    /** Makes every write so far durable in {@code durable}, in order. */
    synchronized void syncTo(TrackedDurable durable) {
      for (Write w : unsynced) {
        durable.replay(w.changes(), w.appliedIndex());
      }
      unsynced.clear();
    }

    /** Back to {@code durable}: every unsynced write is lost, whole. */
    synchronized void lose(InMemoryStateStore durable) {
      restore(durable);
      unsynced.clear();
    }

    synchronized int unsyncedWrites() {
      return unsynced.size();
    }
  }

  /** The durable copy of the state machine's data. */
  private static final class TrackedDurable extends InMemoryStateStore {
    void replay(List<Change> changes, long appliedIndex) {
      apply(changes, appliedIndex);
    }
  }

  /** From now on every sync fails (true) or works again (false). */
  public synchronized void failSyncs(boolean fail) {
    this.failSyncs = fail;
  }

  public synchronized boolean failingSyncs() {
    return failSyncs;
  }

  /** What a power failure leaves: every unsynced write is lost. */
  public synchronized void powerFailure() {
    setTermAndVote(durableTerm, durableVotedFor);
    saveCommitHint(durableCommitHint);
    long from = Math.min(dirtyFrom, durableLog.lastIndex() + 1);
    List<LogEntry> lost = log.truncateFrom(from);
    log.append(durableLog.from(from));
    checker.replaced(node, from, lost, log.from(from), true);
    dirtyFrom = log.lastIndex() + 1;
    lostStateWrites += state.unsyncedWrites();
    state.lose(durableState);
  }

  /** A failed sync writes nothing, not even to the operating system. */
  @Override
  public synchronized void saveTermAndVote(long term, Optional<Endpoint> votedFor) {
    refuseIfFailing();
    super.saveTermAndVote(term, votedFor);
  }

  @Override
  public synchronized void appendUnsynced(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    long first = entries.get(0).index();
    List<LogEntry> removed = log.append(entries);
    dirtyFrom = Math.min(dirtyFrom, first);
    checker.replaced(node, first, removed, entries, false);
  }

  @Override
  public synchronized void sync() {
    refuseIfFailing();
    super.sync();
    durableTerm = currentTerm();
    durableVotedFor = votedFor();
    durableCommitHint = commitHint();
    long from = Math.min(dirtyFrom, durableLog.lastIndex() + 1);
    durableLog.truncateFrom(from);
    durableLog.append(log.from(from));
    dirtyFrom = log.lastIndex() + 1;
    state.syncTo(durableState);
  }

  private void refuseIfFailing() {
    if (failSyncs) {
      failedSyncs++;
      throw new StorageException("simulated disk of n" + (node + 1) + ": sync failed");
    }
  }

  /** A copy of the entries a crash would keep. */
  public synchronized List<LogEntry> durableLog() {
    return durableLog.copy();
  }

  /** The durable entry at {@code index}, if the durable log reaches it. */
  public synchronized Optional<LogEntry> durableEntry(long index) {
    return index >= 1 && index <= durableLog.lastIndex()
        ? Optional.of(durableLog.entry(index))
        : Optional.empty();
  }

  /** The state machine's applied index that a power failure now would keep. */
  public synchronized long durableAppliedIndex() {
    return durableState.appliedIndex();
  }

  /** State machine writes lost in power failures so far (each a whole batch). */
  public synchronized long lostStateWrites() {
    return lostStateWrites;
  }

  /** Syncs refused while {@link #failSyncs} was on. */
  public synchronized long failedSyncs() {
    return failedSyncs;
  }
}
