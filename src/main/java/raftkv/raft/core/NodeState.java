package raftkv.raft.core;

import java.util.Optional;
import raftkv.common.Endpoint;

/**
 * What every role shares: Figure 2's persistent {@code currentTerm} and {@code votedFor} (a copy of
 * what storage holds), the leader this node follows in {@code term} (null if none is known), and
 * the volatile {@code commitIndex}.
 */
public record NodeState(
    long term, Optional<Endpoint> votedFor, Endpoint leader, int leaderId, long commitIndex) {

  public static NodeState initial(long term, Optional<Endpoint> votedFor, long commitIndex) {
    return new NodeState(term, votedFor, null, 0, commitIndex);
  }

  /** A new term: no vote cast in it yet, no leader known. */
  public NodeState withTerm(long newTerm) {
    return new NodeState(newTerm, Optional.empty(), null, 0, commitIndex);
  }

  public NodeState withVotedFor(Endpoint candidate) {
    return new NodeState(term, Optional.of(candidate), leader, leaderId, commitIndex);
  }

  public NodeState withLeader(Endpoint newLeader, int newLeaderId) {
    return new NodeState(term, votedFor, newLeader, newLeaderId, commitIndex);
  }

  public NodeState withoutLeader() {
    return new NodeState(term, votedFor, null, 0, commitIndex);
  }

  public NodeState withCommitIndex(long index) {
    return new NodeState(term, votedFor, leader, leaderId, index);
  }
}
