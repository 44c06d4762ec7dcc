package raftkv.kv;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.BehaviorTestKit;
import akka.actor.testkit.typed.javadsl.TestInbox;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.storage.EntryType;
import raftkv.storage.LogEntry;

/** The state machine's actor, one message at a time: what waiting clients are told. */
class StateMachineRepliesTest {

  private static final Endpoint N2 = new Endpoint("127.0.0.1", 9002);

  private final BehaviorTestKit<StateMachineActor.Command> actor =
      BehaviorTestKit.create(StateMachineActor.create(RaftSettings.defaults(), Clock.systemUTC()));

  private static LogEntry entry(long index, long term, KvCommand c) {
    return new LogEntry(index, term, EntryType.COMMAND, CommandCodec.encode(c));
  }

  @Test
  void aSteppedDownLeadersStoredWritesAreUnknownAndItsUnstoredOnesNotApplied() {
    TestInbox<Reply> stored = TestInbox.create();
    TestInbox<Reply> unstored = TestInbox.create();
    actor.run(new StateMachineActor.AwaitResult(5, 3, stored.getRef()));
    actor.run(new StateMachineActor.AwaitResult(6, 3, unstored.getRef()));

    // Entry 5 was written to the log; 6 was still in memory, and is dropped.
    actor.run(new StateMachineActor.FailPending(2, N2, 5));

    Reply s = stored.receiveMessage();
    assertThat(s.result().error()).isEqualTo(ErrorCode.UNKNOWN);
    assertThat(s.result().error().outcomeUnknown()).isTrue();
    assertThat(s.result().message()).contains("may still be applied").contains("same seq");
    assertThat(s.leader()).isEqualTo(N2);
    Reply u = unstored.receiveMessage();
    assertThat(u.result().error()).isEqualTo(ErrorCode.NOT_LEADER);
    assertThat(u.result().message()).contains("it was not applied");
    assertThat(u.leaderId()).isEqualTo(2);
  }

  @Test
  void aRegistrationAnswersTheSessionIdItsEntryGave() {
    TestInbox<Reply> chosen = TestInbox.create();
    TestInbox<Reply> write = TestInbox.create();
    actor.run(new StateMachineActor.AwaitResult(1, 4, chosen.getRef()));
    actor.run(new StateMachineActor.AwaitResult(2, 4, write.getRef()));

    actor.run(
        new StateMachineActor.Apply(
            List.of(
                entry(1, 4, KvCommand.register(null, 0)),
                entry(2, 4, new KvCommand("@1.4", 1, 0, new Op.Incr("n", 1)))),
            TestInbox.<StateMachineActor.Applied>create().getRef()));

    assertThat(chosen.receiveMessage().result()).isEqualTo(Result.value("@1.4", 1));
    assertThat(write.receiveMessage().result()).isEqualTo(Result.value("1", 2));
  }
}
