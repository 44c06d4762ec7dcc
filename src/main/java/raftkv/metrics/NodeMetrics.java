package raftkv.metrics;

/**
 * What a node reports as it runs, for {@code /metrics}: the one place the node's shell ({@code
 * RaftNode}) calls for instrumentation. Each call is a counter increment or a histogram
 * observation, made on the node's thread: cheap, and nothing allocated per message. Figures the
 * node already keeps (term, role, commit and applied index, follower progress) are not reported
 * here: {@link PrometheusMetrics#update} reads them from the node's status when it is scraped.
 *
 * <p>{@link #NONE} reports nowhere (tests, simulations).
 */
public interface NodeMetrics {

  /** Reports nothing. */
  NodeMetrics NONE = new NodeMetrics() {};

  /** The election timer fired: a pre-vote (or, with pre-vote off, an election) starts. */
  default void electionTimeout() {}

  /** An election started: this node raised its term and asked for votes. */
  default void electionStarted() {}

  /** This node won an election and leads. */
  default void electionWon() {}

  /** The leader this node knows of changed to another, known one. */
  default void leaderChanged() {}

  /** Entries were written to the log in {@code nanos}, synced or not. */
  default void appended(boolean synced, long nanos) {}

  /** The log was synced (a leader's sync after sending, §10.2.1) in {@code nanos}. */
  default void synced(long nanos) {}

  /** A linearizable read got its read index confirmed {@code nanos} after it arrived. */
  default void readIndexConfirmed(long nanos) {}

  /** Entries committed while this node leads (its no-ops and registrations included). */
  default void committedAsLeader(long entries) {}

  /** A write or registration was refused, nothing stored: this node is not the leader. */
  default void proposalRefused() {}

  /** Leadership ended with {@code count} stored proposals not yet committed: outcome unknown. */
  default void proposalsLost(long count) {}
}
