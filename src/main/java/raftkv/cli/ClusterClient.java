package raftkv.cli;

import java.util.Optional;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.client.ClientActor.ClusterStatus;

/**
 * What {@code kv_client} asks of the cluster, one request at a time. The real one is {@link
 * AkkaClusterClient}; tests of the CLI use a fake.
 */
interface ClusterClient extends AutoCloseable {

  /**
   * Registers a session: {@code clientId}, or one the cluster chooses if it is null; an ok answer's
   * value is the session's client id.
   */
  Result register(String clientId);

  Result write(String clientId, long seq, Op op);

  Result read(String key, Consistency consistency);

  /**
   * One page of the keys that start with {@code prefix}, strictly after the continuation {@code
   * after} (null: from the first), at most {@code limit} (0: the cluster's default page); a failed
   * page when it could not be read.
   */
  ScanReply scan(String prefix, String after, int limit, boolean keysOnly, Consistency consistency);

  /**
   * Chunk {@code seq} of a backup from the leader: the first ({@code cursorId} null, {@code seq}
   * 0) opens the backup's cursor, the others name it; a failed reply when it could not be read.
   */
  SnapshotChunkReply readSnapshot(Long cursorId, long seq);

  ClusterStatus status();

  /**
   * Why no node answered, when it is TLS (a certificate refused one way or the other, or TLS on one
   * side only); empty when it is not, or cannot be told.
   */
  default Optional<String> tlsFailure() {
    return Optional.empty();
  }

  /** Releases the connection; never throws. */
  @Override
  void close();
}
