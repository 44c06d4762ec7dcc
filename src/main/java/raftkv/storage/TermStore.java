package raftkv.storage;

import java.util.Optional;
import raftkv.common.Endpoint;

/** Raft's persistent {@code currentTerm} and {@code votedFor} (Figure 2), plus a commit hint. */
public interface TermStore {

  long currentTerm();

  Optional<Endpoint> votedFor();

  /**
   * Stores term and vote together, durably (synced) before returning: a node must never answer a
   * vote, or act in a term, that it could forget in a crash.
   */
  void saveTermAndVote(long term, Optional<Endpoint> votedFor);

  /**
   * The highest index known committed, or 0. Only a hint to re-apply committed entries right after a
   * restart; stored without a sync of its own, since losing it only means waiting for the leader.
   */
  long commitHint();

  void saveCommitHint(long commitIndex);
}
