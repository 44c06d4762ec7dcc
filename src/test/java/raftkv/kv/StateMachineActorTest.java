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
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Continuation;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.storage.EntryType;
import raftkv.storage.LogEntry;
import raftkv.testkit.TestClock;
import raftkv.testkit.TestConfig;

/**
 * The node's state machine child: reads and scans that wait for entries to be applied are answered
 * once they are, and bounded.
 */
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

  private static LogEntry command(long index, KvCommand c) {
    return new LogEntry(index, 1, EntryType.COMMAND, CommandCodec.encode(c));
  }

  private static ClientProtocol.Scan scan(String prefix, ActorRef<ScanReply> replyTo) {
    return new ClientProtocol.Scan(prefix, null, 0, false, Consistency.LINEARIZABLE, replyTo);
  }

  @Test
  void aScanWaitsForItsReadIndexAndThenSeesEveryWriteUpToIt() {
    TestClock clock = TestClock.manual(1_000_000);
    ActorRef<StateMachineActor.Command> sm = kit.spawn(StateMachineActor.create(RaftSettings.defaults(), clock));
    TestProbe<ScanReply> client = kit.createTestProbe(ScanReply.class);
    TestProbe<StateMachineActor.Applied> node = kit.createTestProbe(StateMachineActor.Applied.class);
    // Read index 4: the registration and three puts, the last of them in a later batch.
    sm.tell(new StateMachineActor.ScanKeys(scan("k/", client.ref()), 4));
    sm.tell(new StateMachineActor.Apply(List.of(
        command(1, KvCommand.register("c", 0)),
        command(2, new KvCommand("c", 1, 0, new Op.Put("k/1", "a"))),
        command(3, new KvCommand("c", 2, 0, new Op.Put("k/2", "b")))), node.ref()));
    assertThat(node.receiveMessage().index()).isEqualTo(3);
    client.expectNoMessage(Duration.ofMillis(50));
    sm.tell(new StateMachineActor.Apply(List.of(
        command(4, new KvCommand("c", 3, 0, new Op.Put("k/3", "c")))), node.ref()));
    ScanReply page = client.receiveMessage();
    assertThat(page.result().ok()).isTrue();
    assertThat(page.entries()).containsExactly(
        new ScanEntry("k/1", "a"), new ScanEntry("k/2", "b"), new ScanEntry("k/3", "c"));
    assertThat(page.continuation()).isNull();
    // At index 0 (a stale scan): at once, from what is applied.
    sm.tell(new StateMachineActor.ScanKeys(
        new ClientProtocol.Scan("k/", null, 2, true, Consistency.STALE, client.ref()), 0));
    ScanReply stale = client.receiveMessage();
    assertThat(stale.entries()).containsExactly(new ScanEntry("k/1", null), new ScanEntry("k/2", null));
    assertThat(stale.continuation()).isEqualTo(Continuation.after("k/2"));
    kit.stop(sm);
  }

  @Test
  void aScanThatCanNeverBeServedIsDroppedAtItsDeadlineAndCountsAmongTheWaitingReads() {
    TestClock clock = TestClock.manual(1_000_000);
    RaftSettings s = RaftSettings.defaults().withPendingReads(2, Duration.ofSeconds(10));
    ActorRef<StateMachineActor.Command> sm = kit.spawn(StateMachineActor.create(s, clock));
    TestProbe<ScanReply> scans = kit.createTestProbe(ScanReply.class);
    TestProbe<Reply> reads = kit.createTestProbe(Reply.class);
    sm.tell(new StateMachineActor.ScanKeys(scan("k", scans.ref()), 50));
    sm.tell(new StateMachineActor.Read("k", 50, reads.ref()));
    sm.tell(new StateMachineActor.ScanKeys(scan("k", scans.ref()), 50));
    ScanReply refused = scans.receiveMessage();
    assertThat(refused.result().error()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.result().message()).contains("too many reads wait");
    barrier(sm);
    pass(clock, Duration.ofSeconds(11));
    ScanReply dropped = scans.receiveMessage();
    assertThat(dropped.result().error()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(dropped.result().message()).contains("read index 50");
    assertThat(dropped.entries()).isEmpty();
    assertThat(reads.receiveMessage().result().error()).isEqualTo(ErrorCode.UNAVAILABLE);
    kit.stop(sm);
  }
}
