package raftkv.kv;

import raftkv.api.Result;
import raftkv.api.ErrorCode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import raftkv.kv.SessionTable.Decision;
import raftkv.kv.SessionTable.Decision.Verdict;

class SessionTableTest {

  private static final long FP = 1234;
  private static final long OTHER_FP = 5678;

  private final SessionTable table = new SessionTable(1_000, 3, 4);

  @Test
  void seqOneOfAnUnknownClientStartsASession() {
    assertThat(table.decide("a", 1, FP).verdict()).isEqualTo(Verdict.APPLY);
    assertThat(table.size()).as("decide changes nothing").isZero();

    table.record("a", 1, FP, 10, Result.written(7));

    SessionTable.Session s = table.session("a").orElseThrow();
    assertThat(s.lastActive()).isEqualTo(10);
    assertThat(s.highestSeq()).isEqualTo(1);
    assertThat(s.responses()).containsOnlyKeys(1L);
  }

  @Test
  void unknownClientAboveSeqOneHasNoSession() {
    Decision d = table.decide("a", 2, FP);

    assertThat(d.verdict()).isEqualTo(Verdict.REFUSE);
    assertThat(d.result().error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(d.result().message())
        .isEqualTo(
            "client \"a\" has no session: it expired, was evicted, or never started;"
                + " a session starts at seq 1");
    assertThat(table.size()).isZero();
  }

  @Test
  void cachedSeqWithTheSameFingerprintIsADuplicate() {
    table.record("a", 1, FP, 10, Result.value("3", 7));

    Decision d = table.decide("a", 1, FP);

    assertThat(d.verdict()).isEqualTo(Verdict.DUPLICATE);
    assertThat(d.result()).isEqualTo(Result.value("3", 7).asDuplicate());
  }

  @Test
  void cachedSeqWithAnotherFingerprintIsReused() {
    table.record("a", 1, FP, 10, Result.written(7));

    Decision d = table.decide("a", 1, OTHER_FP);

    assertThat(d.verdict()).isEqualTo(Verdict.REFUSE);
    assertThat(d.result().error()).isEqualTo(ErrorCode.SEQ_REUSED);
  }

  @Test
  void uncachedSeqAtOrBelowTheHighestIsStale() {
    table.record("a", 1, FP, 10, Result.written(7));
    table.record("a", 5, FP, 11, Result.written(8)); // seqs 2..4 never arrived

    assertThat(table.decide("a", 3, FP).result().error()).isEqualTo(ErrorCode.STALE_REQUEST);
    assertThat(table.decide("a", 6, FP).verdict()).isEqualTo(Verdict.APPLY);
  }

  @Test
  void responsesPerSessionAreCappedDroppingTheLowestSeq() {
    for (long seq = 1; seq <= 6; seq++) {
      table.record("a", seq, FP, seq, Result.written(seq));
    }

    assertThat(table.session("a").orElseThrow().responses()).containsOnlyKeys(3L, 4L, 5L, 6L);
    assertThat(table.decide("a", 2, FP).result().error()).isEqualTo(ErrorCode.STALE_REQUEST);
    assertThat(table.decide("a", 3, FP).verdict()).isEqualTo(Verdict.DUPLICATE);
  }

  @Test
  void expiryRemovesOnlySessionsIdlePastTheTimeout() {
    table.record("a", 1, FP, 100, Result.written(1));
    table.record("b", 1, FP, 200, Result.written(2));

    assertThat(table.expire(1_100)).as("exactly at the timeout is still alive").isZero();
    assertThat(table.expire(1_101)).isEqualTo(1);
    assertThat(table.session("a")).isEmpty();
    assertThat(table.session("b")).isPresent();
  }

  @Test
  void aFullTableEvictsTheLeastRecentlyActiveTiesByClientId() {
    table.record("c", 1, FP, 5, Result.written(1));
    table.record("b", 1, FP, 5, Result.written(2));
    table.record("a", 1, FP, 9, Result.written(3));

    table.record("d", 1, FP, 9, Result.written(4));

    assertThat(table.size()).isEqualTo(3);
    assertThat(table.session("b")).as("tie at 5 goes to the smaller id").isEmpty();
    assertThat(table.session("c")).isPresent();
  }

  @Test
  void recordRefusesWhatDecideWouldNotApply() {
    table.record("a", 1, FP, 10, Result.written(1));

    assertThatThrownBy(() -> table.record("a", 1, FP, 11, Result.written(2)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> table.record("b", 2, FP, 11, Result.written(2)))
        .isInstanceOf(IllegalStateException.class);
  }
}
