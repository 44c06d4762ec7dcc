package raftkv.raft.core;

/**
 * Whoever waits for an answer from the core: opaque to it, handed back in the effects that answer
 * (the node actor's implementation holds the client's reply address).
 */
public interface Caller {}
