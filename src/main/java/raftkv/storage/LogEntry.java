package raftkv.storage;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Raft log entry. {@code data} is opaque to Raft: empty for {@link EntryType#NOOP}, an encoded
 * command for {@link EntryType#COMMAND}. Entries are immutable; do not modify {@code data}.
 */
public record LogEntry(long index, long term, EntryType type, byte[] data) {

  private static final byte[] EMPTY = new byte[0];

  public LogEntry {
    if (index < 1) {
      throw new IllegalArgumentException("index " + index + " < 1");
    }
    if (term < 1) {
      throw new IllegalArgumentException("term " + term + " < 1");
    }
    Objects.requireNonNull(type, "type");
    data = data == null ? EMPTY : data;
  }

  public static LogEntry noop(long index, long term) {
    return new LogEntry(index, term, EntryType.NOOP, EMPTY);
  }

  /** What {@link #sizeBytes()} counts besides the data: index, term and type. */
  public static final int OVERHEAD_BYTES = 24;

  /** Bytes this entry takes in a batch, for sizing AppendEntries. */
  public int sizeBytes() {
    return data.length + OVERHEAD_BYTES;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogEntry e
        && e.index == index
        && e.term == term
        && e.type == type
        && Arrays.equals(e.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, term, type, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "LogEntry[" + index + "@" + term + " " + type + " " + data.length + "B]";
  }
}
