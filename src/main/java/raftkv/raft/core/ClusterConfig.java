package raftkv.raft.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import raftkv.common.Endpoint;

/**
 * Who this node is and who its peers are. Members are identified by endpoint; the numeric id is a
 * label for people (logs, status). Membership is fixed at start-up for now; a later change can make
 * it a log entry ({@code EntryType.CONFIG}).
 */
public record ClusterConfig(int selfId, Endpoint self, List<Endpoint> peers) {

  public ClusterConfig {
    if (selfId < 1) {
      throw new IllegalArgumentException("node id must be a positive integer, not " + selfId);
    }
    Set<Endpoint> seen = new HashSet<>();
    for (Endpoint p : peers) {
      if (p.equals(self)) {
        throw new IllegalArgumentException("peer " + p + " is this node itself");
      }
      if (!seen.add(p)) {
        throw new IllegalArgumentException("peer " + p + " is listed twice");
      }
    }
    peers = List.copyOf(peers);
  }

  public int clusterSize() {
    return peers.size() + 1;
  }

  /** Votes or acknowledgements needed, counting this node: a strict majority. */
  public int quorum() {
    return RaftRules.majority(clusterSize());
  }

  public boolean isPeer(Endpoint e) {
    return peers.contains(e);
  }

  public List<Endpoint> members() {
    List<Endpoint> all = new ArrayList<>(peers);
    all.add(self);
    return all;
  }
}
