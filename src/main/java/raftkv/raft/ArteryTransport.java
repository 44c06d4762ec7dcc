package raftkv.raft;

import akka.actor.ActorRef;
import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import raftkv.api.NodeAddress;
import raftkv.common.Endpoint;
import raftkv.raft.core.Rpc;

/**
 * Sends peer messages over Akka Artery to the node actor at a fixed path on each peer. Each peer's
 * reference is resolved once from its path alone, with no incarnation uid (not through Identify or
 * {@code resolveOne}, which pin the incarnation that answered and go stale for good when the peer
 * restarts): it reaches whichever incarnation is up, and a restarted peer is reached again as soon
 * as its JVM listens (ProcessClusterIT kills and restarts peers). Cheaper than an ActorSelection
 * per send, which wraps every message and walks the path again on the receiving side.
 */
public final class ArteryTransport implements Transport {
  private final ExtendedActorSystem classic;
  private final Map<Endpoint, ActorRef> refs = new ConcurrentHashMap<>();

  public ArteryTransport(ActorSystem<?> system) {
    this.classic = (ExtendedActorSystem) Adapter.toClassic(system);
  }

  @Override
  public void send(Endpoint to, Rpc.PeerMessage message) {
    refs.computeIfAbsent(to, e -> classic.provider().resolveActorRef(NodeAddress.nodePath(e)))
        .tell(message, ActorRef.noSender());
  }
}
