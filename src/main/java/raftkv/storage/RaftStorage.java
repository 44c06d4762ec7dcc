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

  @Override
  void close();
}
