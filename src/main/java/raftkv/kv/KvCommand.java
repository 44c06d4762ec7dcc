package raftkv.kv;

import raftkv.api.Op;

/**
 * What a COMMAND log entry holds, tagged with the leader's clock when the entry was appended.
 * Sessions expire by that logged time, so every replica expires them identically.
 *
 * <ul>
 *   <li>{@link Kind#REGISTER}: starts the session {@code clientId} ({@code null}: the cluster
 *       chooses the id); {@code seq} is 0 and {@code op} null.
 *   <li>{@link Kind#WRITE}: a client's write under (clientId, seq) of a live session.
 *   <li>{@link Kind#V1_WRITE}: a write logged before registrations existed (format version 1): seq 1
 *       of a client without a live session starts one, as it did then, so a log written by an older
 *       build replays to the same state. New entries are never of this kind.
 * </ul>
 */
public record KvCommand(Kind kind, String clientId, long seq, long timestampMillis, Op op) {

  public enum Kind {
    WRITE,
    REGISTER,
    V1_WRITE
  }

  /** A write. */
  public KvCommand(String clientId, long seq, long timestampMillis, Op op) {
    this(Kind.WRITE, clientId, seq, timestampMillis, op);
  }

  /** A registration of {@code clientId}, or of an id the cluster chooses if it is null. */
  public static KvCommand register(String clientId, long timestampMillis) {
    return new KvCommand(Kind.REGISTER, clientId, 0, timestampMillis, null);
  }
}
