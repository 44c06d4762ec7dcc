package raftkv.api;

import akka.actor.ActorSelection;
import raftkv.common.Endpoint;

/**
 * Where a node's actor is: the ActorSystem name every node and client uses, and the node actor's
 * name under {@code /user}. Clients address nodes by this path; so do the nodes each other.
 */
public final class NodeAddress {
  /** The ActorSystem name every node and client uses. */
  public static final String SYSTEM_NAME = "raftkv";
  /** The name of the node actor under {@code /user}. */
  public static final String NODE_ACTOR_NAME = "raft";

  private NodeAddress() {}

  /** The actor path of the node listening at {@code e}. */
  public static String nodePath(Endpoint e) {
    return "akka://" + SYSTEM_NAME + "@" + e.host() + ":" + e.port() + "/user/" + NODE_ACTOR_NAME;
  }

  /** A selection of the node at {@code e}; resolve one per send. */
  public static ActorSelection select(akka.actor.ActorSystem classic, Endpoint e) {
    return classic.actorSelection(nodePath(e));
  }
}
