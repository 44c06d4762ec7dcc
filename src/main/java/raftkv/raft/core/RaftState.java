package raftkv.raft.core;

/**
 * A node's whole state as the core sees it: what every role shares, the role, and the last id given
 * to a read this node forwarded to its leader.
 */
public record RaftState(NodeState node, Role role, long lastReadId) {

  RaftState with(NodeState n) {
    return new RaftState(n, role, lastReadId);
  }

  RaftState with(Role r) {
    return new RaftState(node, r, lastReadId);
  }

  RaftState with(NodeState n, Role r) {
    return new RaftState(n, r, lastReadId);
  }

  public long term() {
    return node.term();
  }
}
