package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.common.NodeMessage;
import raftkv.raft.RaftNode;
import raftkv.storage.StorageException;
import raftkv.testkit.TestConfig;

/** Supervision of the node: a storage failure ends the process, anything else restarts the node. */
class NodeGuardianTest {
  /** Each test gets its own system: a storage failure shuts it down. */
  private final ActorTestKit kit = ActorTestKit.create(TestConfig.local());

  @AfterEach
  void shutdown() {
    kit.shutdownTestKit();
  }

  /** A node's start-up, as the fake node reports it. */
  record Started(ActorRef<NodeMessage> self, String thread) {}

  record Fail(RuntimeException exception) implements NodeMessage {}

  /** Reports each (re)start, and throws what it is told to. */
  static Behavior<NodeMessage> fakeNode(ActorRef<Started> started) {
    return Behaviors.setup(
        ctx -> {
          started.tell(new Started(ctx.getSelf(), Thread.currentThread().getName()));
          return Behaviors.receive(NodeMessage.class)
              .onMessage(
                  Fail.class,
                  m -> {
                    throw m.exception();
                  })
              .build();
        });
  }

  @Test
  void nodeRunsAtRaftOnTheStorageDispatcher() {
    TestProbe<Started> started = kit.createTestProbe();
    kit.spawn(NodeGuardian.create(1, sys -> fakeNode(started.ref())), "guardian");
    Started s = started.receiveMessage();
    assertThat(s.self().path().toString()).endsWith("/user/guardian/raft");
    assertThat(s.thread()).contains(NodeGuardian.STORAGE_DISPATCHER);
  }

  @Test
  void storageFailureStopsTheNodeAndShutsTheSystemDown() throws Exception {
    TestProbe<Started> started = kit.createTestProbe();
    kit.spawn(NodeGuardian.create(1, sys -> fakeNode(started.ref())), "guardian");
    ActorRef<NodeMessage> node = started.receiveMessage().self();

    LoggingTestKit.error("Node stopped: /data/n1: write failed: disk full; shutting down")
        .expect(
            kit.system(),
            () -> {
              node.tell(new Fail(new StorageException("/data/n1: write failed: disk full")));
              return null;
            });

    kit.system().getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(CoordinatedShutdown.get(kit.system()).getShutdownReason())
        .contains(NodeGuardian.NodeFailed.INSTANCE);
  }

  @Test
  void otherExceptionsRestartTheNode() {
    TestProbe<Started> started = kit.createTestProbe();
    ActorRef<NodeGuardian.Command> guardian =
        kit.spawn(NodeGuardian.create(1, sys -> fakeNode(started.ref())), "guardian");
    ActorRef<NodeMessage> node = started.receiveMessage().self();

    node.tell(new Fail(new IllegalStateException("a bug")));
    Started again = started.receiveMessage(NodeGuardian.MAX_BACKOFF.plusSeconds(2));
    assertThat(again.self()).isEqualTo(node);
    node.tell(new Fail(new IllegalArgumentException("another bug")));
    started.receiveMessage(NodeGuardian.MAX_BACKOFF.plusSeconds(2));
    assertThat(CoordinatedShutdown.get(kit.system()).getShutdownReason()).isEmpty();

    // The shutdown's stop request is answered once the node has stopped, and ends nothing else.
    TestProbe<Done> done = kit.createTestProbe();
    TestProbe<Object> watcher = kit.createTestProbe();
    guardian.tell(new NodeGuardian.StopNode(done.ref()));
    done.expectMessage(Done.getInstance());
    watcher.expectTerminated(node);
    guardian.tell(new NodeGuardian.StopNode(done.ref()));
    done.expectMessage(Done.getInstance());
    assertThat(CoordinatedShutdown.get(kit.system()).getShutdownReason()).isEmpty();
  }
}
