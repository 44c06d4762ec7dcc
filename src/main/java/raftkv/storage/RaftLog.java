package raftkv.storage;

import java.util.List;

/**
 * The Raft log, indexed from 1. Compaction (§7) discards a prefix that the state machine's stored
 * data covers: the log then holds the entries from {@link #firstIndex()} on, and {@link #termAt}
 * still answers for {@code firstIndex() - 1}, the last entry the state machine includes, so that
 * an AppendEntries right after it can be checked.
 */
public interface RaftLog {

  /** Index of the first entry held: 1 until the log is compacted. */
  long firstIndex();

  /** Index of the last entry, or {@code firstIndex() - 1} when the log holds none. */
  long lastIndex();

  /** Term of the last entry, or {@code termAt(firstIndex() - 1)} (0) for an empty log. */
  long lastTerm();

  /**
   * Term of the entry at {@code index}, for {@code firstIndex() - 1 <= index <= lastIndex()}; 0 for
   * index 0.
   *
   * @throws IndexOutOfBoundsException outside that range
   */
  long termAt(long index);

  /** @throws IndexOutOfBoundsException unless {@code firstIndex() <= index <= lastIndex()} */
  LogEntry entry(long index);

  /**
   * Entries from {@code from} up to {@code toInclusive}, stopping early once {@code maxBytes} are
   * taken (by {@link LogEntry#sizeBytes()}); always at least one entry when {@code from <=
   * toInclusive}.
   */
  List<LogEntry> entries(long from, long toInclusive, long maxBytes);

  /**
   * Writes {@code entries} (consecutive indexes) so that the log ends with them: every entry at or
   * after the first one's index is replaced. The first index must be in {@code (firstIndex() - 1,
   * lastIndex() + 1]}, and terms must not decrease along the resulting log. Durable (synced) before
   * returning; the write is atomic.
   *
   * @throws IllegalArgumentException for a gap, non-consecutive indexes or a decreasing term
   */
  default void append(List<LogEntry> entries) {
    appendUnsynced(entries);
    sync();
  }

  /**
   * As {@link #append}, but returns before the write is durable: the entries are readable at once,
   * and durable after the next {@link #sync()}. A leader uses it to send entries to its followers
   * while its own disk write completes (dissertation §10.2.1); it counts them as stored only after
   * the sync.
   */
  void appendUnsynced(List<LogEntry> entries);

  /** Makes every earlier write durable (one fsync of the write-ahead log). */
  void sync();
}
