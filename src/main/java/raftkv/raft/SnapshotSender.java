package raftkv.raft;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.raft.core.ClusterConfig;
import raftkv.raft.core.Rpc.InstallSnapshot;
import raftkv.storage.RaftStorage;
import raftkv.storage.SnapshotChunks.Chunk;
import raftkv.storage.SnapshotChunks.Position;
import raftkv.storage.SnapshotChunks;
import raftkv.storage.StateStore;

/**
 * A leader's snapshot transfers, one per follower that needs entries the log no longer holds
 * (InstallSnapshot, Raft §7). Each reads a frozen view of the state machine's data ({@link
 * StateStore#view()}: the applied index and the data at that index, whatever is applied
 * meanwhile), so taking the snapshot costs nothing and blocks nothing. Chunks go out with at most
 * {@code chunks-in-flight} unacknowledged (flow control); a lost chunk is sent again from the first
 * one not acknowledged, when the follower reports a gap or after {@code resend-timeout} without
 * progress, and a follower that starts over (restarted) gets the transfer from the beginning. Runs
 * on the node's thread; the core decides when a transfer starts and ends.
 */
final class SnapshotSender {

  private final ClusterConfig cluster;
  private final RaftSettings.Snapshots settings;
  private final RaftStorage storage;
  private final Transport transport;
  private final LongSupplier clock;
  private final Logger log;
  private final Map<Endpoint, Transfer> transfers = new HashMap<>();
  /** Numbers the transfers of this node's run (each starts from chunk 0, see {@link #acked}). */
  private long transferCount;

  SnapshotSender(
      ClusterConfig cluster,
      RaftSettings.Snapshots settings,
      RaftStorage storage,
      Transport transport,
      LongSupplier clock,
      Logger log) {
    this.cluster = cluster;
    this.settings = settings;
    this.storage = storage;
    this.transport = transport;
    this.clock = clock;
    this.log = log;
  }

  /** A chunk sent and not yet acknowledged: where it started, and the digest before it. */
  private record Sent(long seq, Position start, long digestBefore) {}

  private final class Transfer {
    final Endpoint peer;
    StateStore.View view;
    long index;
    long term;
    final long leaderTerm;
    final long startedMillis;
    long id = ++transferCount;
    long nextSeq;
    Position next = Position.START;
    long digest;
    boolean lastSent;
    long bytesSent;
    final ArrayDeque<Sent> unacked = new ArrayDeque<>();
    long lastProgressMillis;
    long rewoundAt = -1;

    Transfer(Endpoint peer, long leaderTerm) {
      this.peer = peer;
      this.leaderTerm = leaderTerm;
      open();
      this.startedMillis = clock.getAsLong();
      this.lastProgressMillis = startedMillis;
    }

    void fill() {
      while (!lastSent && unacked.size() < settings.chunksInFlight()) {
        Chunk c = SnapshotChunks.read(view, next, settings.chunkBytes());
        long d = SnapshotChunks.digest(digest, c.data());
        unacked.add(new Sent(nextSeq, next, digest));
        transport.send(peer, new InstallSnapshot(leaderTerm, cluster.self(), cluster.selfId(), index,
            term, cluster.members(), id, nextSeq, c.data(), c.last(), d));
        bytesSent += c.data().length;
        nextSeq++;
        digest = d;
        next = c.next();
        lastSent = c.last();
      }
    }

    /** Sends again from the first chunk not acknowledged. */
    void rewind() {
      Sent first = unacked.peekFirst();
      if (first == null) {
        return;
      }
      rewoundAt = first.seq();
      nextSeq = first.seq();
      next = first.start();
      digest = first.digestBefore();
      lastSent = false;
      unacked.clear();
      fill();
    }

    /** A timeout: the first unacknowledged chunk and those after it were lost. */
    void rewindForTimeout() {
      rewoundAt = -1;
      rewind();
    }

    /** A view of the state as it is now, and the term of its last entry. */
    private void open() {
      StateStore.View v = storage.stateStore().view();
      long at = v.appliedIndex();
      if (at < storage.firstIndex() - 1 || at > storage.lastIndex()) {
        // Cannot happen: the log is compacted only up to what the stored state includes.
        v.close();
        throw new IllegalStateException("the stored state at " + at + " is outside the log ["
            + storage.firstIndex() + ", " + storage.lastIndex() + "]");
      }
      view = v;
      index = at;
      term = storage.termAt(at);
    }

    /**
     * From chunk 0 again, as a new transfer of the state as it is now (the follower restarted, or
     * took the whole snapshot and never said it installed it: a newer one spares it a second
     * transfer); what was sent under the old number is ignored.
     */
    void restart() {
      view.close();
      open();
      id = ++transferCount;
      unacked.clear();
      nextSeq = 0;
      next = Position.START;
      digest = 0;
      lastSent = false;
      fill();
    }
  }

  /** Starts sending a snapshot to {@code peer}, unless a transfer to it is already on. */
  void start(Endpoint peer, long leaderTerm) {
    Transfer t = transfers.get(peer);
    if (t != null && t.leaderTerm == leaderTerm) {
      return;
    }
    if (t != null) {
      end(peer);
    }
    Transfer nt = new Transfer(peer, leaderTerm);
    transfers.put(peer, nt);
    log.info("Sending [{}] a snapshot up to index [{}] (term {})", peer, nt.index, nt.term);
    nt.fill();
  }

  /**
   * {@code peer} stored every chunk before {@code nextSeq} of transfer {@code transfer}. Chunks
   * are numbered afresh for each transfer (and the follower tells transfers apart by number,
   * leader and term), so it never claims more than was sent; less than it acknowledged before is
   * a late answer, or, at 0, a follower that starts over (it restarted).
   */
  void acked(Endpoint peer, long transfer, long nextSeq) {
    Transfer t = transfers.get(peer);
    if (t == null || t.id != transfer || nextSeq > t.nextSeq) {
      return; // an answer about another transfer
    }
    Sent first = t.unacked.peekFirst();
    long acked = first == null ? t.nextSeq : first.seq();
    if (nextSeq < acked) {
      if (nextSeq == 0) {
        t.restart();
        log.info("[{}] starts over; sending it a snapshot up to index [{}] (term {})", peer, t.index, t.term);
      }
      return;
    }
    if (nextSeq > acked) {
      while (!t.unacked.isEmpty() && t.unacked.peekFirst().seq() < nextSeq) {
        t.unacked.pollFirst();
      }
      t.lastProgressMillis = clock.getAsLong();
      t.fill();
    } else if (first != null && t.rewoundAt != nextSeq) {
      // It has a later chunk but not this one: this one was lost.
      t.rewind();
    }
  }

  /**
   * Resends what made no progress for {@code resend-timeout}: from the first chunk not
   * acknowledged, or, when every chunk was and no install was reported (the answer was lost, or
   * the follower restarted in the middle of its install), from the start: a follower that holds
   * the snapshot answers its first chunk with "installed".
   */
  void tick() {
    long now = clock.getAsLong();
    for (Transfer t : transfers.values()) {
      if (now - t.lastProgressMillis < settings.resendTimeout().toMillis()) {
        continue;
      }
      t.lastProgressMillis = now;
      if (t.unacked.isEmpty()) {
        log.debug("[{}] took the whole snapshot up to [{}] but reported no install; sending it again",
            t.peer, t.index);
        t.restart();
      } else {
        log.debug("No progress sending the snapshot to [{}]; resending from chunk [{}]",
            t.peer, t.unacked.peekFirst().seq());
        t.rewindForTimeout();
      }
    }
  }

  /** {@code peer}'s transfer is over: it installed the snapshot, or it stopped answering. */
  void done(Endpoint peer) {
    Transfer t = transfers.get(peer);
    if (t != null) {
      long millis = clock.getAsLong() - t.startedMillis;
      log.info("Snapshot transfer to [{}] over, at index [{}]: {} KiB sent in {} chunks, {} ms",
          peer, t.index, t.bytesSent >> 10, t.nextSeq, millis);
    }
    end(peer);
  }

  /** Ends every transfer: leadership is over, or the node stops. */
  void endAll() {
    for (Endpoint peer : Map.copyOf(transfers).keySet()) {
      end(peer);
    }
  }

  private void end(Endpoint peer) {
    Transfer t = transfers.remove(peer);
    if (t != null) {
      t.view.close();
    }
  }

  boolean active() {
    return !transfers.isEmpty();
  }
}
