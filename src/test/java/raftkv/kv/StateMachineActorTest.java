package raftkv.kv;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ErrorCode;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.storage.LogEntry;
import raftkv.testkit.TestClock;
import raftkv.testkit.TestConfig;

/** The node's state machine child: reads that wait for entries to be applied are bounded. */
class StateMachineActorTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());
  static final ManualTime time = ManualTime.get(kit.system());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Returns once {@code sm} has handled everything sent to it before. */
  private static void barrier(ActorRef<StateMachineActor.Command> sm) {
    TestProbe<ClientProtocol.NodeStatus> p = kit.createTestProbe(ClientProtocol.NodeStatus.class);
    sm.tell(new StateMachineActor.Status(new ClientProtocol.NodeStatus(1, new Endpoint("127.0.0.1", 1),
        "follower", 0, null, null, 0, 0, 0, 0, null, List.of(), 0, 1, 0, 0), p.ref()));
    p.receiveMessage();
  }

  private static void pass(TestClock clock, Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  @Test
  void aReadThatCanNeverBeServedIsDroppedAtItsDeadline() { // issue 9 anomaly 6
    TestClock clock = TestClock.manual(1_000_000);
    RaftSettings s = RaftSettings.defaults().withPendingReads(100, Duration.ofSeconds(10));
    ActorRef<StateMachineActor.Command> sm = kit.spawn(StateMachineActor.create(s, clock));
    TestProbe<Reply> client = kit.createTestProbe(Reply.class);
    // A follower cut off after its leader gave it read index 50: it never applies that far.
    sm.tell(new StateMachineActor.Read("k", 50, client.ref()));
    barrier(sm);
    pass(clock, Duration.ofSeconds(5));
    client.expectNoMessage(Duration.ofMillis(10));
    pass(clock, Duration.ofSeconds(6));
    Reply r = client.receiveMessage();
    assertThat(r.result().error()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(r.result().message()).contains("read index 50");
    kit.stop(sm);
  }

  @Test
  void readsWaitingToBeAppliedAreBounded() { // issue 9 anomaly 6
    TestClock clock = TestClock.manual(1_000_000);
    RaftSettings s = RaftSettings.defaults().withPendingReads(2, Duration.ofSeconds(10));
    ActorRef<StateMachineActor.Command> sm = kit.spawn(StateMachineActor.create(s, clock));
    TestProbe<Reply> waiting = kit.createTestProbe(Reply.class);
    TestProbe<Reply> refused = kit.createTestProbe(Reply.class);
    sm.tell(new StateMachineActor.Read("k", 5, waiting.ref()));
    sm.tell(new StateMachineActor.Read("k", 6, waiting.ref()));
    sm.tell(new StateMachineActor.Read("k", 7, refused.ref()));
    assertThat(refused.receiveMessage().result().error()).isEqualTo(ErrorCode.UNAVAILABLE);
    // Once applied far enough, the waiting ones are served, and acknowledged to the node.
    TestProbe<StateMachineActor.Applied> node = kit.createTestProbe(StateMachineActor.Applied.class);
    List<LogEntry> entries = java.util.stream.LongStream.rangeClosed(1, 6)
        .mapToObj(i -> LogEntry.noop(i, 1)).toList();
    sm.tell(new StateMachineActor.Apply(entries, node.ref()));
    assertThat(node.receiveMessage().index()).isEqualTo(6);
    assertThat(waiting.receiveMessage().result().ok()).isTrue();
    assertThat(waiting.receiveMessage().result().ok()).isTrue();
    kit.stop(sm);
  }
}
