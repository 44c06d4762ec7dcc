package raftkv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import raftkv.api.ErrorCode;
import raftkv.api.Result;
import raftkv.kv.SessionTable.Decision;
import raftkv.kv.SessionTable.Decision.Verdict;

class SessionTableTest {

  private static final long FP = 1234;
  private static final long OTHER_FP = 5678;

  private final SessionTable table = new SessionTable(1_000, 3, 4);

  @Test
  void registrationStartsASession() {
    assertThat(table.register("a", 10, 7)).isEqualTo(Result.value("a", 7));

    SessionTable.Session s = table.session("a").orElseThrow();
    assertThat(s.lastActive()).isEqualTo(10);
    assertThat(s.highestSeq()).isZero();
    assertThat(table.decide("a", 1, FP).verdict()).isEqualTo(Verdict.APPLY);
    table.record("a", 1, FP, 11, Result.written(8));
    assertThat(table.session("a").orElseThrow().responses()).containsOnlyKeys(1L);
  }

  @Test
  void aWriteWithoutALiveSessionIsRefusedAtAnySeq() {
    for (long seq : new long[] {1, 2}) {
      Decision d = table.decide("a", seq, FP);

      assertThat(d.verdict()).isEqualTo(Verdict.REFUSE);
      assertThat(d.result().error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
      assertThat(d.result().message())
          .isEqualTo(
              "client \"a\" has no live session: it was never registered, or it ended longer ago"
                  + " than the cluster remembers; a write sent in it before may have been applied;"
                  + " nothing was applied now");
    }
    assertThat(table.size()).isZero();
    // Only a version-1 write (logged before registrations) starts one at seq 1.
    assertThat(table.decideV1("a", 1, FP).verdict()).isEqualTo(Verdict.APPLY);
    assertThat(table.decideV1("a", 2, FP).verdict()).isEqualTo(Verdict.REFUSE);
  }

  @Test
  void aRetryOfSeqOneAfterExpiryIsRefusedNotApplied() {
    table.register("C", 0, 1);
    table.record("C", 1, FP, 0, Result.value("1", 2)); // applied; its reply is lost
    assertThat(table.expire(1_001)).isEqualTo(1);

    Decision retry = table.decide("C", 1, FP);

    assertThat(retry.verdict()).isEqualTo(Verdict.REFUSE);
    assertThat(retry.result().error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(retry.result().message())
        .isEqualTo(
            "session \"C\" ended at seq 1; a write sent in it before may have been applied;"
                + " nothing was applied now");
    assertThat(table.register("C", 1_002, 9).error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(table.session("C")).as("refused registrations start nothing").isEmpty();
    assertThat(table.ended("C")).contains(new SessionTable.Ended(1, 1_001));
  }

  @Test
  void aRetryOfSeqOneAfterEvictionIsRefusedNotApplied() {
    table.register("C", 0, 1);
    table.record("C", 1, FP, 0, Result.value("1", 2));
    table.register("a", 1, 3);
    table.register("b", 2, 4);
    table.register("d", 3, 5); // full: C ends

    assertThat(table.session("C")).isEmpty();
    assertThat(table.decide("C", 1, FP).result().error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(table.register("C", 4, 6).error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(table.ended("C")).contains(new SessionTable.Ended(1, 3));
  }

  @Test
  void endedRecordsAreKeptForTheRetentionThenDropped() {
    SessionTable t = new SessionTable(1_000, 3, 4, 5_000, 10);
    t.register("a", 0, 1);
    t.expire(1_001);
    assertThat(t.ended("a")).contains(new SessionTable.Ended(0, 1_001));

    t.expire(6_001);
    assertThat(t.ended("a")).as("exactly at the retention").isPresent();
    t.expire(6_002);
    assertThat(t.ended("a")).isEmpty();
    assertThat(t.register("a", 6_002, 2).ok()).as("then the id may start again").isTrue();
  }

  @Test
  void endedRecordsAreBoundedOldestFirst() {
    SessionTable t = new SessionTable(1_000, 1, 4, 1_000_000, 2);
    t.register("a", 0, 1);
    t.register("b", 1, 2); // a ends
    t.register("c", 2, 3); // b ends
    t.register("d", 3, 4); // c ends; a is dropped

    assertThat(t.endedCount()).isEqualTo(2);
    assertThat(t.ended("a")).isEmpty();
    assertThat(t.ended("b")).isPresent();
    assertThat(t.ended("c")).isPresent();
  }

  @Test
  void endedAtNeverGoesBackWhenALeadersClockDoes() {
    SessionTable t = new SessionTable(1_000, 1, 4, 10_000, 10);
    t.register("a", 50_000, 1);
    t.register("b", 50_000, 2); // a ends at 50 000
    t.register("c", 40_000, 3); // a new leader's clock is behind: b ends at 50 000 too

    assertThat(t.ended("b")).contains(new SessionTable.Ended(0, 50_000));
    t.expire(60_001);
    assertThat(t.ended("a")).isEmpty();
    assertThat(t.ended("b")).as("dropped with a, not kept until 50 000 + 10 000").isEmpty();
  }

  @Test
  void aClusterChosenLookingIdCannotBeTakenByAClient() {
    Result r = table.register("@4.2", 0, 5);

    assertThat(r.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(table.size()).isZero();
    assertThat(SessionTable.clusterChosenId(4, 2)).isEqualTo("@4.2");
    assertThat(table.registerClusterChosen("@4.2", 0, 4)).isEqualTo(Result.value("@4.2", 4));
    assertThat(table.register("@4.2", 1, 5)).as("live: registers again").isEqualTo(Result.value("@4.2", 5));
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
