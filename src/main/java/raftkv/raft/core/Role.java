package raftkv.raft.core;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import raftkv.common.Endpoint;

/** The role-specific part of a node's state: immutable, replaced whole on every change. */
public sealed interface Role permits Role.Follower, Role.Candidate, Role.Leader {

  /** The role's name in logs and status. */
  String name();

  /**
   * A follower. {@code leaderHeard}: a leader was heard less than the minimum election timeout ago
   * (pre-votes are refused meanwhile, §9.6's leader stickiness). {@code lastContactMillis}: when a
   * leader of this term was last heard, or -1. {@code reads}: linearizable reads forwarded to the
   * leader, by request id.
   */
  record Follower(boolean leaderHeard, long lastContactMillis, Map<Long, FollowerRead> reads)
      implements Role {
    public static final Follower NEW = new Follower(false, -1, Map.of());

    @Override
    public String name() {
      return "follower";
    }

    Follower withReads(Map<Long, FollowerRead> r) {
      return new Follower(leaderHeard, lastContactMillis, r);
    }
  }

  /** A follower's linearizable read, waiting for the read index from {@code leader} of {@code term}. */
  record FollowerRead(Caller caller, Endpoint leader, long term, long sinceMillis) {}

  /** An election in progress: a pre-vote for {@code term}, or a real vote in it. */
  record Candidate(boolean preVote, long term, Set<Endpoint> votes) implements Role {
    public Candidate {
      votes = Set.copyOf(votes);
    }

    @Override
    public String name() {
      return preVote ? "pre-candidate" : "candidate";
    }

    Candidate withVote(Endpoint voter) {
      Set<Endpoint> v = new HashSet<>(votes);
      v.add(voter);
      return new Candidate(preVote, term, v);
    }
  }

  record Leader(LeaderState state) implements Role {
    @Override
    public String name() {
      return "leader";
    }
  }
}
