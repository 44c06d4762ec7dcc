package raftkv.testkit;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.common.RaftSettings;
import raftkv.raft.RaftNode;
import raftkv.raft.core.ClusterConfig;
import raftkv.storage.RaftStorage;

/**
 * A cluster of one node on a given storage, which leads at once: for tests of what a node does
 * with its store (restarts, upgrades), through the client protocol.
 */
public final class SoloNode {
  private static final Endpoint SELF = new Endpoint("127.0.0.1", 9001);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ActorTestKit kit;
  private final ActorRef<NodeMessage> node;

  public SoloNode(ActorTestKit kit, RaftStorage storage) {
    this.kit = kit;
    this.node = kit.spawn(behavior(storage));
  }

  /** The node itself, for a test that spawns it its own way (under a supervisor, say). */
  public static Behavior<NodeMessage> behavior(RaftStorage storage) {
    return RaftNode.create(
        new ClusterConfig(1, SELF, List.of()),
        RaftSettings.defaults(),
        storage,
        (to, m) -> {},
        Clock.systemUTC(),
        new Random(1));
  }

  public Reply register(String clientId) {
    return ask(r -> new ClientProtocol.Register(clientId, r));
  }

  public Reply write(String clientId, long seq, Op op) {
    return ask(r -> new ClientProtocol.Write(clientId, seq, op, r));
  }

  /** The value of {@code key}, read linearizably (after the node's own no-op has committed). */
  public String get(String key) {
    return ask(r -> new ClientProtocol.Read(key, Consistency.LINEARIZABLE, r)).result().value();
  }

  public ClientProtocol.NodeStatus status() {
    TestProbe<ClientProtocol.NodeStatus> p = kit.createTestProbe(ClientProtocol.NodeStatus.class);
    node.tell(new ClientProtocol.GetStatus(p.ref()));
    return p.receiveMessage(WAIT);
  }

  /** Stops the node and waits until it (and its state machine) have stopped. */
  public void stop() {
    kit.stop(node, WAIT);
  }

  private Reply ask(Function<ActorRef<Reply>, NodeMessage> m) {
    TestProbe<Reply> p = kit.createTestProbe(Reply.class);
    node.tell(m.apply(p.ref()));
    return p.receiveMessage(WAIT);
  }
}
