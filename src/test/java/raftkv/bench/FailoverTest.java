package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.api.Result;

class FailoverTest {
  static final long MS = 1_000_000;
  static final long KILL = 1_000 * MS;

  static Session.Ack ack(long sentMs, long ackMs) {
    return new Session.Ack(sentMs * MS, sentMs * MS, ackMs * MS, 1, Result.written(1));
  }

  @Test
  void firstWriteIsTheFirstAckOfAnAttemptSentAfterTheKill() {
    List<Session.Ack> acks =
        List.of(
            ack(990, 995), // before the kill
            ack(999, 1_001), // acknowledged after the kill, but sent before it: not counted
            ack(1_300, 1_310),
            ack(1_250, 1_320)); // sent earlier, acknowledged later
    assertThat(Failover.firstWriteMs(acks, KILL)).isEqualTo(310);
  }

  @Test
  void writeGapRunsFromTheLastAckBeforeTheKill() {
    List<Session.Ack> acks = List.of(ack(980, 985), ack(990, 995), ack(1_300, 1_310));
    assertThat(Failover.writeGapMs(acks, KILL)).isEqualTo(315);
  }

  @Test
  void noAckAfterTheKillIsNotObserved() {
    List<Session.Ack> acks = List.of(ack(990, 995));
    assertThat(Failover.firstWriteMs(acks, KILL)).isNaN();
    assertThat(Failover.writeGapMs(acks, KILL)).isNaN();
  }
}
