package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
  private CrashPoint crashAt;
  private long compactions;
  private long installs;
  private boolean crashedOnPurpose;
  private final Map<CrashPoint, Integer> crashes = new java.util.EnumMap<>(CrashPoint.class);
  private long failedSyncs;
  private long lostStateWrites;

  SimDisk(int node, SafetyChecker checker) {
    super(new TrackedState());
    this.node = node;
    this.checker = checker;
    this.state = (TrackedState) stateStore();
    this.state.disk = this;
  }

  private synchronized void crashIfStaging() {
    crashIfAt(CrashPoint.STAGING);
  }

  /** The state machine's data, remembering the writes made since the last sync, in order. */
  private static final class TrackedState extends InMemoryStateStore {
    private record Write(List<Change> changes, long appliedIndex) {}

    private final List<Write> unsynced = new ArrayList<>();
    private SimDisk disk;

    @Override
    protected synchronized void written(List<Change> changes, long appliedIndex) {
      unsynced.add(new Write(changes, appliedIndex));
    }

    @Override
    public void stage(Batch batch) {
      super.stage(batch);
      disk.crashIfStaging();
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
    if (durableLog.firstIndex() != log.firstIndex()) {
      durableLog.copyFrom(log); // compacted or reset since: the log's new start is durable now
    } else {
      long from = Math.min(dirtyFrom, durableLog.lastIndex() + 1);
      durableLog.truncateFrom(from);
      durableLog.append(log.from(from));
    }
    dirtyFrom = log.lastIndex() + 1;
    state.syncTo(durableState);
  }

  /** Where {@link #crashAt} makes the node's process die. */
  public enum CrashPoint {
    /** Right after a chunk of an incoming snapshot is staged: the transfer is cut short. */
    STAGING,
    /** Right after the install is marked and the log reset, before the state is replaced. */
    INSTALL,
    /** Right after the log is compacted. */
    COMPACTION
  }

  /**
   * The next time the node gets to {@code point}, its write done, the disk throws: the node's
   * process dies there, as a crash at that instant would leave it (see {@link #crashedOnPurpose}).
   */
  public synchronized void crashAt(CrashPoint point) {
    this.crashAt = point;
  }

  /** The crash {@link #crashAt} asked for happened, and nothing restarted the node since. */
  public synchronized boolean crashedOnPurpose() {
    return crashedOnPurpose;
  }

  /** The node starts again: a purposeful crash is over. */
  public synchronized void restarted() {
    crashedOnPurpose = false;
  }

  private void crashIfAt(CrashPoint point) {
    if (crashAt == point) {
      crashAt = null;
      crashedOnPurpose = true;
      crashes.merge(point, 1, Integer::sum);
      throw new StorageException("simulated crash of n" + (node + 1) + " at " + point);
    }
  }

  public synchronized long compactions() {
    return compactions;
  }

  /** Snapshots installed (marked for install) so far. */
  public synchronized long installs() {
    return installs;
  }

  /** The purposeful crashes so far, by where they struck. */
  public synchronized Map<CrashPoint, Integer> crashes() {
    return Map.copyOf(crashes);
  }

  @Override
  public synchronized void compact(long upTo) {
    refuseIfFailing();
    if (upTo >= firstIndex()) {
      checker.compacted(node, currentTerm(), log.entries(firstIndex(), upTo, Long.MAX_VALUE));
    }
    super.compact(upTo);
    compactions++;
    crashIfAt(CrashPoint.COMPACTION);
  }

  @Override
  public synchronized void beginInstall(long index, long term) {
    refuseIfFailing();
    List<LogEntry> before = log.from(firstIndex());
    super.beginInstall(index, term);
    installs++;
    // Figure 13: the entries after the snapshot stay if the log held its last entry, else all go.
    boolean keptSuffix = log.lastIndex() > index || before.stream().anyMatch(e -> e.index() == index && e.term() == term);
    List<LogEntry> dropped = keptSuffix ? List.of() : before.stream().filter(e -> e.index() > index).toList();
    checker.installed(node, index, term, keptSuffix, dropped);
    crashIfAt(CrashPoint.INSTALL);
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

  /** The durable entry at {@code index}, if the durable log holds it. */
  public synchronized Optional<LogEntry> durableEntry(long index) {
    return index >= durableLog.firstIndex() && index <= durableLog.lastIndex()
        ? Optional.of(durableLog.entry(index))
        : Optional.empty();
  }

  /**
   * Whether the durable disk holds entry {@code index} of {@code term}: in its log, or covered by
   * its durable state machine (compacted away, or installed from a snapshot).
   */
  public synchronized boolean durablyHolds(long index, long term) {
    if (index >= durableLog.firstIndex()) {
      return durableEntry(index).map(e -> e.term() == term).orElse(false);
    }
    return durableState.appliedIndex() >= index && durableState.pendingInstall() < 0;
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
