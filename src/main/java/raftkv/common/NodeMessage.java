package raftkv.common;

/**
 * Anything a node's actor accepts from outside it: a client request ({@code raftkv.api}) or a Raft
 * message from a peer. The node turns each into its own sealed command type at the door.
 */
public interface NodeMessage {}
