package raftkv.common;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Timing and limits of a node, read from the {@code raftkv} section of the configuration (defaults
 * in the jar's {@code reference.conf}, overrides in an {@code application.conf} or {@code -D}).
 *
 * @param electionTimeoutMin lower bound (inclusive) of the randomized election timeout
 * @param electionTimeoutMax upper bound (exclusive) of the randomized election timeout
 * @param heartbeatInterval how often a leader sends AppendEntries to every follower
 * @param preVote run a pre-vote round before raising the term (dissertation §9.6)
 * @param checkQuorum a leader that has not heard from a majority for an election timeout steps down
 * @param maxAppendBytes upper bound on the entry bytes in one AppendEntries (one entry always fits)
 * @param sessionTimeout a client session idle this long, by logged time, expires
 * @param maxSessions bound on the client session table
 * @param endedSessionRetention how long (logged time) an ended session is remembered, refusing its
 *     writes and its re-registration
 * @param maxEndedSessions bound on the ended sessions remembered (oldest dropped first)
 * @param maxInflightAppends AppendEntries with entries a leader keeps unacknowledged per follower
 * @param maxInflightBytes entry bytes a leader keeps unacknowledged per follower (one message
 *     always goes)
 * @param maxPendingReads linearizable reads a node's state machine holds waiting to apply far enough
 * @param readWaitTimeout how long such a read may wait before it is dropped (its client gave up)
 * @param stateCacheBytes the RocksDB block cache of the state machine's data (native memory, not
 *     the Java heap): how much of the recently read keys and values stays in memory
 * @param snapshots when the log is compacted, and how snapshots travel to followers
 */
public record RaftSettings(
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    Duration heartbeatInterval,
    boolean preVote,
    boolean checkQuorum,
    long maxAppendBytes,
    Duration sessionTimeout,
    int maxSessions,
    Duration endedSessionRetention,
    int maxEndedSessions,
    int maxInflightAppends,
    long maxInflightBytes,
    int maxPendingReads,
    Duration readWaitTimeout,
    long stateCacheBytes,
    Snapshots snapshots) {

  /**
   * Log compaction and InstallSnapshot (Raft §7). The state machine's data is stored with its
   * applied index, so it is the snapshot: once the log holds more than {@code logEntries} entries or
   * {@code logBytes} bytes, the prefix the stored state covers is discarded, but for the last
   * {@code retainEntries} entries (kept for followers a little behind, unless the log is over
   * {@code logBytes}). A follower that needs a discarded entry is sent the state instead, in chunks
   * of about {@code chunkBytes}, at most {@code chunksInFlight} unacknowledged, resent from the
   * first unacknowledged one after {@code resendTimeout} without progress.
   */
  public record Snapshots(
      long logEntries,
      long logBytes,
      long retainEntries,
      long chunkBytes,
      int chunksInFlight,
      Duration resendTimeout) {

    public Snapshots {
      if (logEntries < 1 || logBytes < 1 || retainEntries < 0 || chunkBytes < 1 || chunksInFlight < 1) {
        throw new IllegalArgumentException(
            "snapshot log-entries, log-bytes, chunk-size and chunks-in-flight must be positive,"
                + " retain-entries not negative");
      }
      if (resendTimeout.isNegative() || resendTimeout.isZero()) {
        throw new IllegalArgumentException("snapshot resend-timeout must be positive");
      }
    }

    public static Snapshots defaults() {
      return new Snapshots(10_000, 64L << 20, 1_000, 256L << 10, 4, Duration.ofSeconds(3));
    }

    static Snapshots fromConfig(Config c) {
      return new Snapshots(
          c.getLong("log-entries"),
          c.getBytes("log-size"),
          c.getLong("retain-entries"),
          c.getBytes("chunk-size"),
          c.getInt("chunks-in-flight"),
          c.getDuration("resend-timeout"));
    }
  }

  static final int DEFAULT_MAX_INFLIGHT_APPENDS = 32;
  static final long DEFAULT_MAX_INFLIGHT_BYTES = 8L << 20;
  static final long DEFAULT_STATE_CACHE_BYTES = 64L << 20;

  public RaftSettings {
    if (electionTimeoutMin.isNegative()
        || electionTimeoutMin.isZero()
        || electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
      throw new IllegalArgumentException(
          "election timeout range [" + electionTimeoutMin + ", " + electionTimeoutMax + ") is empty");
    }
    if (heartbeatInterval.compareTo(electionTimeoutMin) >= 0) {
      throw new IllegalArgumentException(
          "heartbeat interval " + heartbeatInterval + " must be below the election timeout");
    }
    if (maxAppendBytes < 1 || maxSessions < 1) {
      throw new IllegalArgumentException("max-append-bytes and max-sessions must be positive");
    }
    if (endedSessionRetention.isNegative() || maxEndedSessions < 0) {
      throw new IllegalArgumentException(
          "ended-session-retention and max-ended-sessions must not be negative");
    }
    if (maxInflightAppends < 1 || maxInflightBytes < 1 || maxPendingReads < 1) {
      throw new IllegalArgumentException(
          "max-inflight-appends, max-inflight-bytes and max-pending-reads must be positive");
    }
    if (readWaitTimeout.isNegative() || readWaitTimeout.isZero()) {
      throw new IllegalArgumentException("read-wait-timeout must be positive");
    }
    if (stateCacheBytes < 0) {
      throw new IllegalArgumentException("state-cache-size must not be negative");
    }
  }

  /** Reads the {@code raftkv} section; every key has a default in {@code reference.conf}. */
  public static RaftSettings fromConfig(Config root) {
    Config c = root.getConfig("raftkv");
    return new RaftSettings(
        c.getDuration("election-timeout-min"),
        c.getDuration("election-timeout-max"),
        c.getDuration("heartbeat-interval"),
        c.getBoolean("pre-vote"),
        c.getBoolean("check-quorum"),
        c.getBytes("max-append-bytes"),
        c.getDuration("session-timeout"),
        c.getInt("max-sessions"),
        c.getDuration("ended-session-retention"),
        c.getInt("max-ended-sessions"),
        c.getInt("max-inflight-appends"),
        c.getBytes("max-inflight-bytes"),
        c.getInt("max-pending-reads"),
        c.getDuration("read-wait-timeout"),
        c.getBytes("state-cache-size"),
        Snapshots.fromConfig(c.getConfig("snapshot")));
  }

  /** The values {@code reference.conf} ships with. */
  public static RaftSettings defaults() {
    return new RaftSettings(
        Duration.ofMillis(150),
        Duration.ofMillis(300),
        Duration.ofMillis(50),
        true,
        true,
        1L << 20,
        Duration.ofHours(1),
        100_000,
        Duration.ofHours(24),
        100_000,
        DEFAULT_MAX_INFLIGHT_APPENDS,
        DEFAULT_MAX_INFLIGHT_BYTES,
        10_000,
        Duration.ofSeconds(10),
        DEFAULT_STATE_CACHE_BYTES,
        Snapshots.defaults());
  }

  public RaftSettings withPreVote(boolean on) {
    return new RaftSettings(
        electionTimeoutMin, electionTimeoutMax, heartbeatInterval, on, checkQuorum, maxAppendBytes,
        sessionTimeout, maxSessions, endedSessionRetention, maxEndedSessions, maxInflightAppends,
        maxInflightBytes, maxPendingReads, readWaitTimeout, stateCacheBytes, snapshots);
  }

  public RaftSettings withCheckQuorum(boolean on) {
    return new RaftSettings(
        electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote, on, maxAppendBytes,
        sessionTimeout, maxSessions, endedSessionRetention, maxEndedSessions, maxInflightAppends,
        maxInflightBytes, maxPendingReads, readWaitTimeout, stateCacheBytes, snapshots);
  }

  public RaftSettings withMaxAppendBytes(long bytes) {
    return new RaftSettings(
        electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote, checkQuorum, bytes,
        sessionTimeout, maxSessions, endedSessionRetention, maxEndedSessions, maxInflightAppends,
        maxInflightBytes, maxPendingReads, readWaitTimeout, stateCacheBytes, snapshots);
  }

  public RaftSettings withInflight(int appends, long bytes) {
    return new RaftSettings(
        electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote, checkQuorum, maxAppendBytes,
        sessionTimeout, maxSessions, endedSessionRetention, maxEndedSessions, appends, bytes,
        maxPendingReads, readWaitTimeout, stateCacheBytes, snapshots);
  }

  public RaftSettings withPendingReads(int max, Duration timeout) {
    return new RaftSettings(
        electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote, checkQuorum, maxAppendBytes,
        sessionTimeout, maxSessions, endedSessionRetention, maxEndedSessions, maxInflightAppends,
        maxInflightBytes, max, timeout, stateCacheBytes, snapshots);
  }

  public RaftSettings withSnapshots(Snapshots s) {
    return new RaftSettings(
        electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote, checkQuorum, maxAppendBytes,
        sessionTimeout, maxSessions, endedSessionRetention, maxEndedSessions, maxInflightAppends,
        maxInflightBytes, maxPendingReads, readWaitTimeout, stateCacheBytes, s);
  }
}
