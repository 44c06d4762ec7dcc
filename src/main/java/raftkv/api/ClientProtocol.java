package raftkv.api;

import akka.actor.typed.ActorRef;
import java.util.List;
import raftkv.common.CborSerializable;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;

/**
 * What a client sends to a node's actor ({@code akka://raftkv@HOST:PORT/user/raft}) and what comes
 * back. Every request carries its own {@code replyTo}; every reply is one {@link Reply} (or one
 * {@link NodeStatus}).
 *
 * <ul>
 *   <li>{@link Register}: starts a session; a write needs one.
 *   <li>{@link Write}: applied at most once per (clientId, seq) of a live session. Only the leader
 *       accepts it; others answer {@code not_leader} with a hint. A retry of the same (clientId,
 *       seq), on any leader, gets the first outcome with {@code duplicate = true}. A write of a
 *       session that is not live is refused ({@code session_expired}), never applied.
 *   <li>{@link Read}: {@code LINEARIZABLE} by default (the leader confirms its leadership with one
 *       heartbeat round, no log write; a follower asks the leader for the read index and answers
 *       once it has applied that far). {@code STALE} answers from the receiving node's state at
 *       once, and may miss recent writes.
 *   <li>{@link GetStatus}: the node's view of itself, never forwarded.
 * </ul>
 */
public final class ClientProtocol {
  private ClientProtocol() {}

  public sealed interface Request extends NodeMessage, CborSerializable
      permits Register, Write, Read, GetStatus {}

  /**
   * Starts a session (dissertation §6.3): the leader logs a registration, and once it is applied the
   * reply's {@link Result#value()} is the session's client id. {@code clientId == null} lets the
   * cluster choose a fresh id (starting with '@', made from the registration's log index and term,
   * so never one it gave before). A client-chosen id that is a live session registers again at no
   * cost (same id); one whose session ended is refused with {@code session_expired}.
   */
  public record Register(String clientId, ActorRef<Reply> replyTo) implements Request {}

  public record Write(String clientId, long seq, Op op, ActorRef<Reply> replyTo)
      implements Request {}

  public enum Consistency {
    LINEARIZABLE,
    STALE
  }

  public record Read(String key, Consistency consistency, ActorRef<Reply> replyTo)
      implements Request {}

  public record GetStatus(ActorRef<NodeStatus> replyTo) implements Request {}

  /**
   * The answer to a write or a read. {@code leaderId}/{@code leader} name the leader this node
   * knows of (null when none): on {@code not_leader}, retry there.
   */
  public record Reply(Result result, Integer leaderId, Endpoint leader) implements CborSerializable {

    public static Reply of(Result result) {
      return new Reply(result, null, null);
    }

    public static Reply notLeader(String message, Integer leaderId, Endpoint leader) {
      return new Reply(Result.error(ErrorCode.NOT_LEADER, message), leaderId, leader);
    }
  }

  /**
   * One node's view of itself, for {@code kv_client status}. {@code snapshotIndex} is the last index
   * the log was compacted up to (its stored state machine covers it; 0 if never), {@code
   * firstLogIndex} the first entry the log holds, {@code logBytes} the log's entry bytes and {@code
   * stateBytes} an estimate of the state machine's stored keys, values and sessions.
   */
  public record NodeStatus(
      int id,
      Endpoint endpoint,
      String role,
      long term,
      Integer leaderId,
      Endpoint leader,
      long commitIndex,
      long lastApplied,
      long lastLogIndex,
      long lastLogTerm,
      Long lastContactMillis,
      List<PeerStatus> peers,
      long snapshotIndex,
      long firstLogIndex,
      long logBytes,
      long stateBytes)
      implements CborSerializable {

    public NodeStatus withLastApplied(long applied) {
      return new NodeStatus(
          id, endpoint, role, term, leaderId, leader, commitIndex, applied, lastLogIndex,
          lastLogTerm, lastContactMillis, peers, snapshotIndex, firstLogIndex, logBytes, stateBytes);
    }
  }

  /**
   * A leader's view of one follower: how far its log matches, and how long ago it last answered
   * (null if never).
   */
  public record PeerStatus(Integer id, Endpoint endpoint, long matchIndex, Long lastAckMillis)
      implements CborSerializable {}
}
