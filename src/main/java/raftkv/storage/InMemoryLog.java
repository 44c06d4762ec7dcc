package raftkv.storage;

import java.util.ArrayList;
import java.util.List;

/**
 * A Raft log in a list: the reads of {@link RaftLog}, a checked append, and compaction, with no
 * idea of durability. It holds the entries from {@link #firstIndex()} on; the term of the entry
 * just before them (the last one a snapshot covers) is kept as {@code prevTerm}. {@link
 * InMemoryStorage} and the simulation's disks keep theirs in one. Not thread-safe: its owner
 * synchronizes.
 */
public final class InMemoryLog {

  private final List<LogEntry> log = new ArrayList<>();
  private long firstIndex = 1;
  private long prevTerm;

  public long firstIndex() {
    return firstIndex;
  }

  public long lastIndex() {
    return firstIndex - 1 + log.size();
  }

  public long lastTerm() {
    return log.isEmpty() ? prevTerm : log.get(log.size() - 1).term();
  }

  /** As {@link RaftLog#termAt}: 0 for index 0, the snapshot's term for {@code firstIndex() - 1}. */
  public long termAt(long index) {
    if (index == 0) {
      return 0;
    }
    if (index == firstIndex - 1) {
      return prevTerm;
    }
    return entry(index).term();
  }

  /** @throws IndexOutOfBoundsException unless {@code firstIndex() <= index <= lastIndex()} */
  public LogEntry entry(long index) {
    if (index < firstIndex || index > lastIndex()) {
      throw new IndexOutOfBoundsException(
          "index " + index + " outside [" + firstIndex + ", " + lastIndex() + "]");
    }
    return log.get((int) (index - firstIndex));
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
    if (first < firstIndex || first > lastIndex() + 1) {
      throw new IllegalArgumentException(
          "append at " + first + " is outside [" + firstIndex + ", " + (lastIndex() + 1) + "]");
    }
    long term = termAt(first - 1);
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
    List<LogEntry> tail = log.subList(offset(index), log.size());
    List<LogEntry> removed = List.copyOf(tail);
    tail.clear();
    return removed;
  }

  /**
   * Discards every entry up to {@code upTo} (a snapshot covers them): the log then starts at {@code
   * upTo + 1}, and remembers the term of {@code upTo}.
   *
   * @throws IllegalArgumentException unless {@code firstIndex() - 1 <= upTo <= lastIndex()}
   */
  public void compact(long upTo) {
    if (upTo < firstIndex - 1 || upTo > lastIndex()) {
      throw new IllegalArgumentException(
          "cannot compact up to " + upTo + ": the log holds [" + firstIndex + ", " + lastIndex() + "]");
    }
    long term = termAt(upTo);
    log.subList(0, offset(upTo + 1)).clear();
    firstIndex = upTo + 1;
    prevTerm = term;
  }

  /** Discards every entry: the log starts after {@code index}, an entry of {@code term}. */
  public void reset(long index, long term) {
    log.clear();
    firstIndex = index + 1;
    prevTerm = term;
  }

  /** Makes this log hold exactly what {@code other} holds. */
  public void copyFrom(InMemoryLog other) {
    log.clear();
    log.addAll(other.log);
    firstIndex = other.firstIndex;
    prevTerm = other.prevTerm;
  }

  /** A copy of the entries from {@code index} on (empty when {@code index > lastIndex()}). */
  public List<LogEntry> from(long index) {
    return List.copyOf(log.subList(offset(index), log.size()));
  }

  /** The bytes of the entries held, by {@link LogEntry#sizeBytes()}. */
  public long bytes() {
    long bytes = 0;
    for (LogEntry e : log) {
      bytes += e.sizeBytes();
    }
    return bytes;
  }

  /** A copy of every entry held. */
  public List<LogEntry> copy() {
    return List.copyOf(log);
  }

  private int offset(long index) {
    return (int) Math.max(0, Math.min(index - firstIndex, log.size()));
  }
}
