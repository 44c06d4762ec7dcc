package raftkv.raft.core;

/** The outcome of one input: the next state, and what the node must do to get there. */
public record Step(RaftState state, Effects effects) {}
