package raftkv.raft;

import raftkv.common.Endpoint;
import raftkv.raft.core.Rpc;

/**
 * How a node reaches its peers. Fire-and-forget, like the network: a message may be lost, delayed,
 * duplicated or reordered, and Raft's term and index checks absorb all of it. Production sends over
 * Akka remoting ({@link ArteryTransport}); tests route through a network they control.
 */
public interface Transport {
  void send(Endpoint to, Rpc.PeerMessage message);
}
