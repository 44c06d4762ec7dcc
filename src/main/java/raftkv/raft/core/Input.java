package raftkv.raft.core;

import raftkv.storage.EntryType;

/** What the core reacts to: a peer's message, a tick of a timer, a client's request, a sync done. */
public sealed interface Input
    permits Rpc.PeerMessage, Input.Tick, Input.Propose, Input.Read, Input.Synced, Input.Installed {

  /** Timer ticks, and the follow-ups {@link #REPLICATE} and {@link #BROADCAST} a step runs at once. */
  enum Tick implements Input {
    /** The election timer fired: no leader heard for a whole randomized timeout (§5.2). */
    ELECTION,
    /** A leader's heartbeat: AppendEntries to every follower. */
    HEARTBEAT,
    /** Every maximum election timeout, a leader checks it heard from a majority (§6.2). */
    CHECK_QUORUM,
    /** Queued behind the requests in the mailbox: they all share one sync and one send. */
    FLUSH,
    /** The flush's second half, run right after its first wrote the new entries: send them. */
    REPLICATE,
    /** A new leader tells every follower at once, not a heartbeat later. */
    BROADCAST,
    /** Keeps idle connections to peers open. */
    KEEPALIVE,
    /** The minimum election timeout passed since the leader was last heard. */
    LEADER_QUIET
  }

  /** A command for the log, proposed by a client; answered once applied or refused. */
  record Propose(Proposal proposal, Caller caller) implements Input {}

  /**
   * What a client proposes. The core stamps it with the leader's clock (never behind an earlier
   * entry of the same leadership), by which replicas expire sessions alike.
   */
  interface Proposal {
    EntryType type();

    byte[] encode(long timestampMillis);
  }

  /** A linearizable read (ReadIndex, §6.4): answered with a read index once it is safe. */
  record Read(Caller caller) implements Input {}

  /** Everything in the log up to {@code index} is durable on this node's disk. */
  record Synced(long index) implements Input {}

  /**
   * A follower installed a snapshot up to {@code index} (its log now starts right after it):
   * everything up to it is committed.
   */
  record Installed(long index) implements Input {}
}
