package raftkv.raft;

import java.util.List;
import org.slf4j.Logger;
import raftkv.common.Endpoint;
import raftkv.raft.core.Rpc.InstallSnapshot;
import raftkv.storage.SnapshotChunks;
import raftkv.storage.SnapshotChunks.Entry;
import raftkv.storage.StateStore;

/**
 * A follower's side of InstallSnapshot (Raft §7, Figure 13): stages the chunks of one snapshot in
 * order ({@link StateStore#stage}, never in the live state), each checked against its chained
 * digest first, and says when the last one is in: the digest then vouches for the whole
 * snapshot, and the node installs it. A chunk out of order (a loss, a duplicate, a reordering) is
 * not stored; the answer names the chunk expected instead. The first chunk of another snapshot
 * (a new leader's) drops what was staged and starts over. Runs on the node's thread.
 */
final class SnapshotReceiver {

  private final StateStore store;
  private final Logger log;
  private long index = -1;
  private long term;
  /** The transfer: its leader, the leader's term and its number there. */
  private Endpoint leader;
  private long leaderTerm;
  private long transfer;
  private long nextSeq;
  private long digest;

  SnapshotReceiver(StateStore store, Logger log) {
    this.store = store;
    this.log = log;
  }

  /** What to answer: the chunk expected next, and whether the snapshot is complete. */
  record Outcome(long nextSeq, boolean complete) {}

  Outcome receive(InstallSnapshot m) {
    if (m.lastIndex() != index || m.lastTerm() != term || m.term() != leaderTerm
        || !m.from().equals(leader) || m.transfer() != transfer) {
      if (m.seq() != 0) {
        return new Outcome(0, false); // a chunk of a transfer we never began: start over
      }
      store.clearStaged();
      log.info("Receiving a snapshot up to index [{}] (term {}) from [{}]", m.lastIndex(), m.lastTerm(), m.from());
      index = m.lastIndex();
      term = m.lastTerm();
      leader = m.from();
      leaderTerm = m.term();
      transfer = m.transfer();
      nextSeq = 0;
      digest = 0;
    }
    if (m.seq() != nextSeq) {
      return new Outcome(nextSeq, false);
    }
    long d = SnapshotChunks.digest(digest, m.data());
    List<Entry> entries;
    try {
      if (d != m.digest()) {
        throw new IllegalArgumentException("its digest does not match");
      }
      entries = SnapshotChunks.decode(m.data());
    } catch (IllegalArgumentException e) {
      log.warn("Dropping chunk [{}] of the snapshot up to [{}] from [{}]: {}", m.seq(), index, m.from(), e.getMessage());
      return new Outcome(nextSeq, false);
    }
    SnapshotChunks.stage(store, entries);
    nextSeq++;
    digest = d;
    if (m.done()) {
      log.debug("Last chunk [{}] of the snapshot up to [{}] staged; digest verified", m.seq(), index);
      index = -1;
      return new Outcome(nextSeq, true);
    }
    return new Outcome(nextSeq, false);
  }
}
