package raftkv.storage;

import java.util.ArrayList;
import java.util.List;

/**
 * A Raft log in a list, from index 1: the reads of {@link RaftLog} and a checked append, with no
 * idea of durability. {@link InMemoryStorage} and the simulation's disks keep theirs in one. Not
 * thread-safe: its owner synchronizes.
 */
public final class InMemoryLog {

  private final List<LogEntry> log = new ArrayList<>();

  public long lastIndex() {
    return log.size();
  }

  public long lastTerm() {
    return log.isEmpty() ? 0 : log.get(log.size() - 1).term();
  }

  /** As {@link RaftLog#termAt}: 0 for index 0. */
  public long termAt(long index) {
    if (index == 0) {
      return 0;
    }
    return entry(index).term();
  }

  /** @throws IndexOutOfBoundsException unless {@code 1 <= index <= lastIndex()} */
  public LogEntry entry(long index) {
    if (index < 1 || index > log.size()) {
      throw new IndexOutOfBoundsException("index " + index + " outside [1, " + log.size() + "]");
    }
    return log.get((int) index - 1);
  }

  /** As {@link RaftLog#entries}. */
  public List<LogEntry> entries(long from, long toInclusive, long maxBytes) {
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

  /**
   * As {@link RaftLog#appendUnsynced}: {@code entries} replace every entry from the first one's
   * index on.
   *
   * @return the entries replaced, in index order
   * @throws IllegalArgumentException for a gap, non-consecutive indexes or a decreasing term
   */
  public List<LogEntry> append(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return List.of();
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
    List<LogEntry> replaced = truncateFrom(first);
    log.addAll(entries);
    return replaced;
  }

  /**
   * Removes every entry from {@code index} on (none when {@code index > lastIndex()}).
   *
   * @return the entries removed, in index order
   */
  public List<LogEntry> truncateFrom(long index) {
    int from = (int) Math.max(0, Math.min(index - 1, log.size()));
    List<LogEntry> tail = log.subList(from, log.size());
    List<LogEntry> removed = List.copyOf(tail);
    tail.clear();
    return removed;
  }

  /** A copy of the entries from {@code index} on (empty when {@code index > lastIndex()}). */
  public List<LogEntry> from(long index) {
    int from = (int) Math.max(0, Math.min(index - 1, log.size()));
    return List.copyOf(log.subList(from, log.size()));
  }

  /** A copy of every entry. */
  public List<LogEntry> copy() {
    return List.copyOf(log);
  }
}
