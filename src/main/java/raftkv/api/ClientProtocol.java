package raftkv.api;

import akka.actor.typed.ActorRef;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
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
 *   <li>{@link Scan}: one page of the keys that start with a prefix, in byte order, with the same
 *       consistency choices as a read (a linearizable scan goes through the same ReadIndex); the
 *       {@link ScanReply} carries a continuation while more keys may follow.
 *   <li>{@link ReadSnapshot}: one chunk of a backup of the whole store, from the leader only (others
 *       answer {@code not_leader}), every chunk of one backup read from the same frozen view.
 *   <li>{@link GetStatus}: the node's view of itself, never forwarded.
 * </ul>
 */
public final class ClientProtocol {
  private ClientProtocol() {}

  public sealed interface Request extends NodeMessage, CborSerializable
      permits Register, Write, Read, Scan, ReadSnapshot, GetStatus {}

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

  /**
   * One page of the keys that start with {@code prefix} ({@code ""}: every key), in unsigned byte
   * order of their UTF-8 form, strictly after the key {@code after} names ({@code null}: from the
   * first). {@code after} is the opaque continuation of the previous page's {@link ScanReply}, so
   * the client never needs to know how it is made. At most {@code limit} keys ({@code 0}: {@link
   * Limits#DEFAULT_SCAN_LIMIT}) and about {@link Limits#MAX_SCAN_PAGE_BYTES} of keys and values;
   * {@code keysOnly} leaves the values out. See {@link Limits#checkScan} for what is refused.
   */
  public record Scan(
      String prefix,
      String after,
      int limit,
      boolean keysOnly,
      Consistency consistency,
      ActorRef<ScanReply> replyTo)
      implements Request {}

  public record GetStatus(ActorRef<NodeStatus> replyTo) implements Request {}

  /**
   * Chunk {@code seq} of a backup ({@code kv_client snapshot save}). The first request ({@code
   * cursorId == null}, {@code seq == 0}) makes the leader open a frozen view of its state machine
   * (the state at its applied index) under a new cursor; the following ones name that cursor and
   * ask for chunks 1, 2, ... in order. Asking again for the chunk just sent (a lost reply) reads it
   * again, the same bytes. The leader keeps a cursor while it stays leader and the backup is not
   * idle for long; after that, or on another node, the cursor is unknown and the backup must start
   * over ({@code invalid_request}): its chunks could not come from one view otherwise.
   */
  public record ReadSnapshot(Long cursorId, long seq, ActorRef<SnapshotChunkReply> replyTo)
      implements Request {}

  /**
   * One chunk of a backup, when {@code result} is ok: {@code data} is a run of snapshot entries (as
   * {@code raftkv.storage.SnapshotChunks} encodes them), {@code digest} chains a CRC32C through
   * every chunk of the backup up to this one, and {@code last} marks the final chunk. Every chunk of
   * one cursor carries the same {@code index}, {@code term} (of the entry at {@code index}) and
   * {@code members}. Otherwise no data, and {@code leaderId}/{@code leader} as in a {@link Reply}.
   */
  public record SnapshotChunkReply(
      Result result,
      Long cursorId,
      long seq,
      long index,
      long term,
      List<Endpoint> members,
      byte[] data,
      boolean last,
      long digest,
      Integer leaderId,
      Endpoint leader)
      implements CborSerializable {

    public SnapshotChunkReply {
      members = members == null ? List.of() : List.copyOf(members);
      data = data == null ? new byte[0] : data;
    }

    public static SnapshotChunkReply failed(Result result) {
      return new SnapshotChunkReply(result, null, 0, 0, 0, List.of(), null, false, 0, null, null);
    }

    public static SnapshotChunkReply notLeader(String message, Integer leaderId, Endpoint leader) {
      return new SnapshotChunkReply(
          Result.error(ErrorCode.NOT_LEADER, message), null, 0, 0, 0, List.of(), null, false, 0,
          leaderId, leader);
    }

    /** The outcome and leader hint alone, as the retry policy reads every reply. */
    public Reply header() {
      return new Reply(result, leaderId, leader);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SnapshotChunkReply r
          && r.result.equals(result) && java.util.Objects.equals(r.cursorId, cursorId)
          && r.seq == seq && r.index == index && r.term == term && r.members.equals(members)
          && java.util.Arrays.equals(r.data, data) && r.last == last && r.digest == digest
          && java.util.Objects.equals(r.leaderId, leaderId)
          && java.util.Objects.equals(r.leader, leader);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(result, cursorId, seq, index, term, digest);
    }

    @Override
    public String toString() {
      return "SnapshotChunkReply[" + result + ", cursor " + cursorId + " seq " + seq + " at "
          + index + "@" + term + ", " + data.length + "B" + (last ? ", last" : "") + "]";
    }
  }

  /** One key of a scan's page, and its value ({@code null} for a keys-only scan). */
  public record ScanEntry(String key, String value) implements CborSerializable {}

  /**
   * The answer to a {@link Scan}: when {@code result} is ok, one page of entries and the
   * continuation to send as the next {@link Scan#after()} ({@code null}: the scan is complete);
   * otherwise no entries, and {@code leaderId}/{@code leader} as in a {@link Reply}.
   */
  public record ScanReply(
      Result result, List<ScanEntry> entries, String continuation, Integer leaderId, Endpoint leader)
      implements CborSerializable {

    public ScanReply {
      entries = entries == null ? List.of() : List.copyOf(entries);
    }

    public static ScanReply page(List<ScanEntry> entries, String continuation) {
      return new ScanReply(Result.value(null, 0), entries, continuation, null, null);
    }

    public static ScanReply failed(Result result) {
      return new ScanReply(result, List.of(), null, null, null);
    }

    public static ScanReply notLeader(String message, Integer leaderId, Endpoint leader) {
      return new ScanReply(
          Result.error(ErrorCode.NOT_LEADER, message), List.of(), null, leaderId, leader);
    }

    /** The outcome and leader hint alone, as the retry policy reads every reply. */
    public Reply header() {
      return new Reply(result, leaderId, leader);
    }
  }

  /**
   * A scan's continuation: the last key of a page, opaque to clients (base64url of its UTF-8
   * bytes, unpadded), so that the next page starts strictly after it.
   */
  public static final class Continuation {
    private Continuation() {}

    public static String after(String key) {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The key {@code token} names, or empty if it is not a continuation this store could have
     * made (not base64url, not UTF-8, empty, or longer than a key).
     */
    public static Optional<String> key(String token) {
      byte[] bytes;
      try {
        bytes = Base64.getUrlDecoder().decode(token);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
      if (bytes.length == 0 || bytes.length > Limits.MAX_KEY_BYTES) {
        return Optional.empty();
      }
      try {
        String key =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
        return Optional.of(key);
      } catch (CharacterCodingException e) {
        return Optional.empty();
      }
    }
  }

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
