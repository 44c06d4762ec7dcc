package raftkv.raft.core;

/** A place in a log: an index and the term of the entry there (0/0 for an empty log). */
public record LogPosition(long index, long term) {

  @Override
  public String toString() {
    return index + "@" + term;
  }
}
