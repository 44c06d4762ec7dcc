package raftkv.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import raftkv.common.Endpoint;

/**
 * Storage kept in memory: for tests, where one object outliving a node's actor stands for its disk.
 * Counts the syncs a real store would make, so tests can check that writes share them.
 */
public final class InMemoryStorage implements RaftStorage {

  private long term;
  private Optional<Endpoint> votedFor = Optional.empty();
  private long commitHint;
  private final List<LogEntry> log = new ArrayList<>();
  private long syncs;

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
    this.term = term;
    this.votedFor = votedFor;
    syncs++;
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
      bytes += e.sizeBytes();
      if (!out.isEmpty() && bytes > maxBytes) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  @Override
  public synchronized void sync() {
    syncs++;
  }

  @Override
  public synchronized void appendUnsynced(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    long first = entries.get(0).index();
    if (first < 1 || first > log.size() + 1) {
      throw new IllegalArgumentException(
          "append at " + first + " leaves a gap after last index " + log.size());
    }
    long term = first == 1 ? 0 : log.get((int) first - 2).term();
    for (int i = 0; i < entries.size(); i++) {
      LogEntry e = entries.get(i);
      if (e.index() != first + i) {
        throw new IllegalArgumentException("entries are not consecutive at " + e);
      }
      if (e.term() < term) {
        throw new IllegalArgumentException("term decreases at " + e);
      }
      term = e.term();
    }
    while (log.size() >= first) {
      log.remove(log.size() - 1);
    }
    log.addAll(entries);
  }

  /** A copy of every entry, for assertions. */
  public synchronized List<LogEntry> snapshotOfLog() {
    return List.copyOf(log);
  }

  /** How many synced writes a disk would have made so far. */
  public synchronized long syncs() {
    return syncs;
  }

  @Override
  public void close() {}
}
