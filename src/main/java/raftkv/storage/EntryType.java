package raftkv.storage;

/** What a log entry carries. The byte codes are stored on disk: never renumber them. */
public enum EntryType {
  /** Appended by every new leader (§8): commits the entries of earlier terms. No data. */
  NOOP((byte) 0),
  /** A state-machine command; the data is opaque to Raft (see {@code raftkv.kv.CommandCodec}). */
  COMMAND((byte) 1),
  /**
   * Reserved: no node writes it, as the members are fixed. Kept for membership changes
   * (dissertation §4), planned as log entries.
   */
  CONFIG((byte) 2);

  private final byte code;

  EntryType(byte code) {
    this.code = code;
  }

  public byte code() {
    return code;
  }

  public static EntryType fromCode(byte code) {
    for (EntryType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown entry type code " + code);
  }
}
