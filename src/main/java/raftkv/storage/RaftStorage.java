package raftkv.storage;

/** Everything a node keeps across restarts. One writer: the node's actor. */
public interface RaftStorage extends TermStore, RaftLog, AutoCloseable {

  @Override
  void close();
}
