package raftkv.storage;

/**
 * Everything a node keeps across restarts: the term and vote, the log, and the state machine's
 * data. One writer for each: the node's actor, and for {@link #stateStore()} its state machine's.
 */
public interface RaftStorage extends TermStore, RaftLog, AutoCloseable {

  /**
   * The state machine's data, in the same store as the log: its writes are durable after the log's
   * next {@link #sync()}.
   */
  StateStore stateStore();

  /**
   * Log compaction (§7): discards every entry up to {@code upTo}, which the state machine's stored
   * data already includes. Makes that data durable first (a sync), then the shorter log, so that a
   * crash never leaves a log that starts after the stored state. {@code termAt(upTo)} stays
   * known.
   *
   * @throws IllegalArgumentException unless {@code firstIndex() - 1 <= upTo <= min(lastIndex(),
   *     stateStore().appliedIndex())}
   */
  void compact(long upTo);

  /**
   * The first half of installing a snapshot that was staged in full and verified: marks it for
   * install at {@code index} (see {@link StateStore#installStaged}) and, in the same durable
   * write, makes the log start after it (Figure 13, InstallSnapshot rules 6-7): entries after
   * {@code index} are kept if the log holds {@code index} with {@code term}, else the whole log is
   * discarded. The state machine's actor then runs {@link StateStore#installStaged}; a crash before
   * it has finished leaves the marker for the next start.
   */
  void beginInstall(long index, long term);

  /** The bytes of the log's entries (by {@link LogEntry#sizeBytes()}), for compaction and status. */
  long logBytes();

  @Override
  void close();
}
