package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.Behaviors;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;
import raftkv.common.NodeMessage;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.storage.RaftStorage;
import raftkv.testkit.SoloNode;
import raftkv.testkit.TestConfig;

/**
 * A node whose actor fails (a bug, not a storage failure) is restarted by its supervisor, as
 * NodeGuardian does in production: it rebuilds its state machine child from storage and serves on.
 */
class NodeRestartTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.local());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** In-memory storage whose next {@code entries} call fails once when armed. */
  static final class FailOnce extends InMemoryStorage {
    final AtomicBoolean armed = new AtomicBoolean();

    @Override
    public List<LogEntry> entries(long from, long toInclusive, long maxBytes) {
      if (armed.getAndSet(false)) {
        throw new IllegalStateException("injected failure");
      }
      return super.entries(from, toInclusive, maxBytes);
    }
  }

  private static Reply ask(ActorRef<NodeMessage> node, java.util.function.Function<ActorRef<Reply>, NodeMessage> m) {
    TestProbe<Reply> p = kit.createTestProbe(Reply.class);
    node.tell(m.apply(p.ref()));
    return p.receiveMessage(Duration.ofSeconds(5));
  }

  @Test
  void aFailedNodeRestartsFromStorageAndServesOn() {
    FailOnce storage = new FailOnce();
    ActorRef<NodeMessage> node =
        kit.spawn(
            Behaviors.supervise(SoloNode.behavior(storage))
                .onFailure(RuntimeException.class, SupervisorStrategy.restart()));
    // A cluster of one leads at once.
    assertThat(ask(node, r -> new ClientProtocol.Register("c", r)).result().ok()).isTrue();
    assertThat(ask(node, r -> new ClientProtocol.Write("c", 1, new Op.Put("k", "v1"), r)).result().ok()).isTrue();
    // The next commit fails inside the node: the write that triggered it goes unanswered...
    storage.armed.set(true);
    TestProbe<Reply> lost = kit.createTestProbe(Reply.class);
    node.tell(new ClientProtocol.Write("c", 2, new Op.Put("k", "v2"), lost.ref()));
    lost.expectNoMessage(Duration.ofMillis(300));
    // ...the restarted node has both committed writes, and takes new ones.
    TestProbe<ClientProtocol.NodeStatus> status = kit.createTestProbe(ClientProtocol.NodeStatus.class);
    status.awaitAssert(() -> {
      node.tell(new ClientProtocol.GetStatus(status.ref()));
      assertThat(status.receiveMessage().role()).isEqualTo("leader");
      return null;
    });
    assertThat(ask(node, r -> new ClientProtocol.Read("k", ClientProtocol.Consistency.LINEARIZABLE, r)).result().value()).isEqualTo("v2");
    // The retry of the unanswered write is a duplicate: it was applied once, before the failure.
    Reply retry = ask(node, r -> new ClientProtocol.Write("c", 2, new Op.Put("k", "v2"), r));
    assertThat(retry.result().ok()).isTrue();
    assertThat(retry.result().duplicate()).isTrue();
    assertThat(ask(node, r -> new ClientProtocol.Write("c", 3, new Op.Put("k", "v3"), r)).result().ok()).isTrue();
  }
}
