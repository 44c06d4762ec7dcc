package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import raftkv.common.Endpoint;
import raftkv.storage.LogEntry;
import raftkv.storage.RaftStorage;
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
 * <p>Every change to the log is reported to the cluster's {@link SafetyChecker}, which checks Log
 * Matching and that no committed entry is ever removed as it happens.
 */
public final class SimDisk implements RaftStorage {

  private final int node;
  private final SafetyChecker checker;

  private long term;
  private Optional<Endpoint> votedFor = Optional.empty();
  private long commitHint;
  private final List<LogEntry> log = new ArrayList<>();

  private long durableTerm;
  private Optional<Endpoint> durableVotedFor = Optional.empty();
  private long durableCommitHint;
  private final List<LogEntry> durableLog = new ArrayList<>();
  /** The lowest index written since the last sync (log.size() + 1 when none). */
  private long dirtyFrom = 1;

  private boolean failSyncs;
  private long syncs;
  private long failedSyncs;

  SimDisk(int node, SafetyChecker checker) {
    this.node = node;
    this.checker = checker;
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
    term = durableTerm;
    votedFor = durableVotedFor;
    commitHint = durableCommitHint;
    long from = Math.min(dirtyFrom, durableLog.size() + 1);
    List<LogEntry> lost = new ArrayList<>(log.subList((int) Math.min(from - 1, log.size()), log.size()));
    truncate(from);
    log.addAll(durableLog.subList((int) from - 1, durableLog.size()));
    checker.replaced(node, from, lost, log.subList((int) from - 1, log.size()), true);
    dirtyFrom = log.size() + 1;
  }

  @Override
  public synchronized long currentTerm() {
    return term;
  }

  @Override
  public synchronized Optional<Endpoint> votedFor() {
    return votedFor;
  }

  @Override
  public synchronized void saveTermAndVote(long term, Optional<Endpoint> votedFor) {
    if (failSyncs) {
      failedSyncs++;
      throw new StorageException("simulated disk of n" + (node + 1) + ": sync failed");
    }
    this.term = term;
    this.votedFor = votedFor;
    sync();
  }

  @Override
  public synchronized long commitHint() {
    return commitHint;
  }

  @Override
  public synchronized void saveCommitHint(long commitIndex) {
    this.commitHint = commitIndex;
  }

  @Override
  public long firstIndex() {
    return 1;
  }

  @Override
  public synchronized long lastIndex() {
    return log.size();
  }

  @Override
  public synchronized long lastTerm() {
    return log.isEmpty() ? 0 : log.get(log.size() - 1).term();
  }

  @Override
  public synchronized long termAt(long index) {
    if (index == 0) {
      return 0;
    }
    return entry(index).term();
  }

  @Override
  public synchronized LogEntry entry(long index) {
    if (index < 1 || index > log.size()) {
      throw new IndexOutOfBoundsException("index " + index + " outside [1, " + log.size() + "]");
    }
    return log.get((int) index - 1);
  }

  @Override
  public synchronized List<LogEntry> entries(long from, long toInclusive, long maxBytes) {
    List<LogEntry> out = new ArrayList<>();
    long bytes = 0;
    for (long i = from; i <= toInclusive; i++) {
      LogEntry e = entry(i);
      if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
        break;
      }
      out.add(e);
      bytes += e.sizeBytes();
    }
    return out;
  }

  @Override
  public synchronized void appendUnsynced(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    long first = entries.get(0).index();
    if (first < 1 || first > log.size() + 1) {
      throw new IllegalArgumentException("append at " + first + " leaves a gap after " + log.size());
    }
    long t = first == 1 ? 0 : log.get((int) first - 2).term();
    for (int i = 0; i < entries.size(); i++) {
      LogEntry e = entries.get(i);
      if (e.index() != first + i || e.term() < t) {
        throw new IllegalArgumentException("not consecutive or term decreases at " + e);
      }
      t = e.term();
    }
    List<LogEntry> removed = new ArrayList<>(log.subList((int) first - 1, log.size()));
    truncate(first);
    log.addAll(entries);
    dirtyFrom = Math.min(dirtyFrom, first);
    checker.replaced(node, first, removed, entries, false);
  }

  @Override
  public synchronized void sync() {
    if (failSyncs) {
      failedSyncs++;
      throw new StorageException("simulated disk of n" + (node + 1) + ": sync failed");
    }
    syncs++;
    durableTerm = term;
    durableVotedFor = votedFor;
    durableCommitHint = commitHint;
    long from = Math.min(dirtyFrom, durableLog.size() + 1);
    while (durableLog.size() >= from) {
      durableLog.remove(durableLog.size() - 1);
    }
    durableLog.addAll(log.subList((int) from - 1, log.size()));
    dirtyFrom = log.size() + 1;
  }

  private void truncate(long from) {
    while (log.size() >= from) {
      log.remove(log.size() - 1);
    }
  }

  /** A copy of every entry, for assertions. */
  public synchronized List<LogEntry> snapshotOfLog() {
    return List.copyOf(log);
  }

  /** A copy of the entries a crash would keep. */
  public synchronized List<LogEntry> durableLog() {
    return List.copyOf(durableLog);
  }

  /** The durable entry at {@code index}, if the durable log reaches it. */
  public synchronized Optional<LogEntry> durableEntry(long index) {
    return index >= 1 && index <= durableLog.size()
        ? Optional.of(durableLog.get((int) index - 1))
        : Optional.empty();
  }

  /** Syncs made so far. */
  public synchronized long syncs() {
    return syncs;
  }

  /** Syncs refused while {@link #failSyncs} was on. */
  public synchronized long failedSyncs() {
    return failedSyncs;
  }

  @Override
  public void close() {}
}
