package raftkv.raft;

import java.util.Optional;
import raftkv.common.Endpoint;

/**
 * The state every role shares: Figure 2's persistent {@code currentTerm} and {@code votedFor} (a
 * copy of what storage holds), the leader this node follows in {@code term} (null if none is
 * known), and the volatile {@code commitIndex} and {@code lastApplied} (the last index handed to the
 * state machine).
 */
record NodeState(
    long term,
    Optional<Endpoint> votedFor,
    Endpoint leader,
    int leaderId,
    long commitIndex,
    long lastApplied) {

  static NodeState initial(long term, Optional<Endpoint> votedFor) {
    return new NodeState(term, votedFor, null, 0, 0, 0);
  }

  /** A new term: no vote cast in it yet, no leader known. */
  NodeState withTerm(long newTerm) {
    return new NodeState(newTerm, Optional.empty(), null, 0, commitIndex, lastApplied);
  }

  NodeState withVotedFor(Endpoint candidate) {
    return new NodeState(term, Optional.of(candidate), leader, leaderId, commitIndex, lastApplied);
  }

  NodeState withLeader(Endpoint newLeader, int newLeaderId) {
    return new NodeState(term, votedFor, newLeader, newLeaderId, commitIndex, lastApplied);
  }

  NodeState withoutLeader() {
    return new NodeState(term, votedFor, null, 0, commitIndex, lastApplied);
  }

  NodeState withCommitIndex(long index) {
    return new NodeState(term, votedFor, leader, leaderId, index, lastApplied);
  }

  NodeState withLastApplied(long index) {
    return new NodeState(term, votedFor, leader, leaderId, commitIndex, index);
  }
}
