package raftkv.raft.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import raftkv.common.Endpoint;
import raftkv.raft.core.Rpc.PeerMessage;
import raftkv.storage.LogEntry;

/**
 * What one step of the core asks the node to do, in this order (decide, then persist, send,
 * become): save the term and vote (synced), write {@code append} (synced if {@code appendSynced}:
 * a follower syncs before it acknowledges), send the messages, sync if {@code syncAfterSend} (a
 * leader sends while its own write completes, §10.2.1, and counts its entries only once the sync
 * is done: it then runs {@code next}, a {@link Input.Synced}), answer the callers, set the timers
 * (restarting the election timer with {@code electionTimeout} when it is set),
 * queue a flush, hand the snapshot transfers their work ({@code snapshots}), and run {@code next}.
 */
public record Effects(
    boolean saveHardState,
    List<LogEntry> append,
    boolean appendSynced,
    List<Outbound> send,
    boolean syncAfterSend,
    List<ClientEffect> clients,
    List<TimerOp> timers,
    Duration electionTimeout,
    boolean flushLater,
    List<SnapshotOp> snapshots,
    Input next) {

  public record Outbound(Endpoint to, PeerMessage message) {}

  /** What callers are told. */
  public sealed interface ClientEffect {}

  /** A proposal was appended at {@code index} in {@code term}: answer it once applied there. */
  public record AwaitApply(Caller caller, long index, long term) implements ClientEffect {}

  /** A linearizable read may be served once entries up to {@code readIndex} are applied. */
  public record ReadAt(Caller caller, long readIndex) implements ClientEffect {}

  /**
   * A request this node cannot serve, nothing done for it: it is not the leader (or stopped being
   * one before the request was stored); {@code leader} is the one it knows of, or null.
   */
  public record NotLeader(Caller caller, String message, Endpoint leader, int leaderId)
      implements ClientEffect {}

  /**
   * Leadership ended. Proposals stored in the log up to {@code lastStored} may still commit under
   * the next leader (outcome unknown); none above it was ever stored.
   */
  public record LeadershipLost(long lastStored, Endpoint leader, int leaderId) implements ClientEffect {}

  /** What the node's snapshot transfers do (the core decides when; the shell moves the bytes). */
  public sealed interface SnapshotOp {}

  /** Leader: {@code peer} needs entries the log no longer holds; send it a snapshot. */
  public record SendSnapshot(Endpoint peer) implements SnapshotOp {}

  /** Leader: {@code peer} stored the chunks before {@code nextSeq} of the transfer it names. */
  public record SnapshotAcked(Endpoint peer, long lastIndex, long lastTerm, long transfer, long nextSeq)
      implements SnapshotOp {}

  /** Leader: {@code peer}'s transfer is over: it installed a snapshot, or it stopped answering. */
  public record SnapshotDone(Endpoint peer) implements SnapshotOp {}

  /**
   * Follower: a chunk from the leader of our term, of a snapshot beyond our commit index: check
   * it, stage it, answer it, and install the snapshot after its last chunk.
   */
  public record StageChunk(Rpc.InstallSnapshot chunk) implements SnapshotOp {}

  /** Timers to start or stop; {@link #electionTimeout}, when set, restarts the election timer. */
  public enum TimerOp {
    CANCEL_ELECTION,
    /** Start the heartbeat and check-quorum timers. */
    START_LEADER,
    STOP_LEADER,
    /** Restart the timer that ends leader stickiness after the minimum election timeout. */
    LEADER_QUIET
  }

  static final Effects NONE =
      new Effects(
          false, List.of(), false, List.of(), false, List.of(), List.of(), null, false, List.of(), null);

  /** Collects the effects of one step. */
  static final class Builder {
    private boolean saveHardState;
    private final List<LogEntry> append = new ArrayList<>();
    private boolean appendSynced;
    private final List<Outbound> send = new ArrayList<>();
    private boolean syncAfterSend;
    private final List<ClientEffect> clients = new ArrayList<>();
    private final List<TimerOp> timers = new ArrayList<>();
    private Duration electionTimeout;
    private boolean flushLater;
    private final List<SnapshotOp> snapshots = new ArrayList<>();
    private Input next;

    void saveHardState() {
      saveHardState = true;
    }

    void append(List<LogEntry> entries, boolean synced) {
      if (!append.isEmpty()) {
        throw new IllegalStateException("one append per step");
      }
      append.addAll(entries);
      appendSynced = synced;
    }

    void send(Endpoint to, PeerMessage m) {
      send.add(new Outbound(to, m));
    }

    void syncAfterSend(long index) {
      syncAfterSend = true;
      next(new Input.Synced(index));
    }

    void client(ClientEffect e) {
      clients.add(e);
    }

    void timer(TimerOp op) {
      if (op == TimerOp.CANCEL_ELECTION) {
        electionTimeout = null; // a candidate that wins at once needs no election timer
      }
      timers.add(op);
    }

    /** Restart the election timer with this freshly drawn randomized timeout (§5.2). */
    void resetElection(Duration d) {
      electionTimeout = d;
    }

    void flushLater() {
      flushLater = true;
    }

    void snapshot(SnapshotOp op) {
      snapshots.add(op);
    }

    void next(Input in) {
      if (next != null && !next.equals(in)) {
        throw new IllegalStateException("two follow-ups in one step: " + next + ", " + in);
      }
      next = in;
    }

    Effects build() {
      if (!saveHardState && append.isEmpty() && send.isEmpty() && clients.isEmpty()
          && timers.isEmpty() && electionTimeout == null && !flushLater && snapshots.isEmpty()
          && next == null) {
        return NONE;
      }
      return new Effects(saveHardState, List.copyOf(append), appendSynced, List.copyOf(send),
          syncAfterSend, List.copyOf(clients), List.copyOf(timers), electionTimeout, flushLater,
          List.copyOf(snapshots), next);
    }
  }
}
