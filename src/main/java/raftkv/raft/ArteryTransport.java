package raftkv.raft;

import akka.actor.ActorRef;
import akka.actor.ActorSelection;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import raftkv.common.Endpoint;

/**
 * Sends peer messages over Akka Artery to the node actor at a fixed path on each peer. The path is
 * resolved on every send, never cached as an {@code ActorRef}: a resolved reference goes stale for
 * good when the peer restarts, while a selection finds the new incarnation as soon as it is up.
 */
public final class ArteryTransport implements Transport {
  /** The ActorSystem name every node and client uses. */
  public static final String SYSTEM_NAME = "raftkv";
  /** The name of the node actor under {@code /user}. */
  public static final String NODE_ACTOR_NAME = "raft";

  private final akka.actor.ActorSystem classic;
  private final Map<Endpoint, String> paths = new ConcurrentHashMap<>();

  public ArteryTransport(ActorSystem<?> system) {
    this.classic = Adapter.toClassic(system);
  }

  /** The actor path of the node listening at {@code e}. */
  public static String nodePath(Endpoint e) {
    return "akka://" + SYSTEM_NAME + "@" + e.host() + ":" + e.port() + "/user/" + NODE_ACTOR_NAME;
  }

  /** A selection of the node at {@code e}; resolve one per send. */
  public static ActorSelection select(akka.actor.ActorSystem classic, Endpoint e) {
    return classic.actorSelection(nodePath(e));
  }

  @Override
  public void send(Endpoint to, RaftNode.PeerMessage message) {
    classic.actorSelection(paths.computeIfAbsent(to, ArteryTransport::nodePath))
        .tell(message, ActorRef.noSender());
  }
}
