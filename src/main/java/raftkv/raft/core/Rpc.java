package raftkv.raft.core;

import java.util.List;
import raftkv.common.CborSerializable;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.storage.LogEntry;

/**
 * The messages Raft nodes send each other (Figure 2, plus pre-vote and ReadIndex from the
 * dissertation). Every one carries the sender's term, its endpoint ({@code from}, which identifies
 * the member) and its id ({@code fromId}, a label for logs and status).
 */
public final class Rpc {
  private Rpc() {}

  /** A Raft RPC or reply between nodes. */
  public sealed interface PeerMessage extends Input, NodeMessage, CborSerializable
      permits PreVote,
          PreVoteReply,
          RequestVote,
          RequestVoteReply,
          AppendEntries,
          AppendEntriesReply,
          ReadIndexRequest,
          ReadIndexReply,
          InstallSnapshot,
          InstallSnapshotReply,
          Ping {
    long term();

    Endpoint from();

    int fromId();
  }

  /** Dissertation §9.6: would you vote for me in {@code term} (our term + 1)? Changes no state. */
  public record PreVote(long term, Endpoint from, int fromId, long lastLogIndex, long lastLogTerm)
      implements PeerMessage {}

  /** A granted reply carries the proposed term; a refusal carries the voter's current term. */
  public record PreVoteReply(long term, Endpoint from, int fromId, boolean granted)
      implements PeerMessage {}

  public record RequestVote(long term, Endpoint from, int fromId, long lastLogIndex, long lastLogTerm)
      implements PeerMessage {}

  public record RequestVoteReply(long term, Endpoint from, int fromId, boolean granted)
      implements PeerMessage {}

  /**
   * Figure 2's AppendEntries; {@code from} is the leader. {@code round} is echoed in the reply, so
   * the leader knows which heartbeat round a follower acknowledged (ReadIndex, §6.4).
   */
  public record AppendEntries(
      long term,
      Endpoint from,
      int fromId,
      long prevLogIndex,
      long prevLogTerm,
      List<LogEntry> entries,
      long leaderCommit,
      long round)
      implements PeerMessage {}

  /**
   * On success {@code index} is the last index now known to match the leader's log. On failure it
   * is the {@code prevLogIndex} that did not match, with the conflict hint: the follower's term at
   * that index (0 if it has no entry there) and the first index it holds with that term (or its
   * last index + 1). {@code requestTerm} is the term of the AppendEntries answered: a leader counts
   * a reply (its round, its progress) only for a request of its own leadership, never for one an
   * earlier leadership of the same node sent.
   */
  public record AppendEntriesReply(
      long term,
      Endpoint from,
      int fromId,
      boolean success,
      long index,
      long conflictTerm,
      long conflictIndex,
      long round,
      long requestTerm)
      implements PeerMessage {

    /** A reply to a request of the follower's own term, the usual case. */
    public AppendEntriesReply(
        long term,
        Endpoint from,
        int fromId,
        boolean success,
        long index,
        long conflictTerm,
        long conflictIndex,
        long round) {
      this(term, from, fromId, success, index, conflictTerm, conflictIndex, round, term);
    }
  }

  /**
   * A follower asks the leader for a read index on behalf of a linearizable read. {@code
   * incarnation} is drawn afresh each time the follower starts, so that a reply meant for an
   * earlier run of it can never answer a request of this one.
   */
  public record ReadIndexRequest(
      long term, Endpoint from, int fromId, long requestId, long incarnation)
      implements PeerMessage {}

  /** {@code ok}: the leader confirmed its leadership after the request; read at {@code readIndex}. */
  public record ReadIndexReply(
      long term,
      Endpoint from,
      int fromId,
      long requestId,
      long incarnation,
      boolean ok,
      long readIndex)
      implements PeerMessage {}

  /**
   * One chunk of the leader's snapshot (Figure 13, §7), for a follower that needs entries the
   * leader's log no longer holds. The snapshot is the leader's state machine as of {@code lastIndex}
   * (an entry of {@code lastTerm}) in the configuration {@code members}; {@code data} holds entries
   * of it in key order (see {@code raftkv.storage.SnapshotChunks}), and chunks are numbered from 0
   * ({@code seq}) within one transfer ({@code transfer}: the leader numbers its transfers, and a
   * follower tells them apart by it, its term and its sender). {@code digest} chains a checksum through every chunk up to this one: the
   * follower checks it before it stores the chunk, and so the whole snapshot before it installs it
   * after the chunk marked {@code done}.
   */
  public record InstallSnapshot(
      long term,
      Endpoint from,
      int fromId,
      long lastIndex,
      long lastTerm,
      List<Endpoint> members,
      long transfer,
      long seq,
      byte[] data,
      boolean done,
      long digest)
      implements PeerMessage {

    @Override
    public boolean equals(Object o) {
      return o instanceof InstallSnapshot m
          && m.term == term && m.from.equals(from) && m.fromId == fromId && m.lastIndex == lastIndex
          && m.lastTerm == lastTerm && m.members.equals(members) && m.transfer == transfer
          && m.seq == seq
          && java.util.Arrays.equals(m.data, data) && m.done == done && m.digest == digest;
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(term, from, lastIndex, lastTerm, seq, digest);
    }

    @Override
    public String toString() {
      return "InstallSnapshot[" + lastIndex + "@" + lastTerm + " term " + term + " transfer "
          + transfer + " seq " + seq + ", "
          + data.length + "B" + (done ? ", done" : "") + "]";
    }
  }

  /**
   * The follower's answer to a chunk of transfer {@code transfer} of the snapshot at {@code
   * lastIndex}/{@code lastTerm}: it expects chunk {@code nextSeq} next (every earlier one is stored), or, with {@code installed},
   * it holds the state up to {@code lastIndex} (installed now, or already there). {@code
   * requestTerm} is the term of the chunk answered, as in {@link AppendEntriesReply}.
   */
  public record InstallSnapshotReply(
      long term,
      Endpoint from,
      int fromId,
      long lastIndex,
      long lastTerm,
      long transfer,
      long nextSeq,
      boolean installed,
      long requestTerm)
      implements PeerMessage {}

  /**
   * Keeps the connection to a peer open, so the first message of an election does not pay for a
   * new connection and handshake. Carries no term ({@code term} is always 0) and changes nothing.
   */
  public record Ping(long term, Endpoint from, int fromId) implements PeerMessage {}
}
