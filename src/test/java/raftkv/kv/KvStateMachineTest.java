package raftkv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Op;
import raftkv.api.Result;

class KvStateMachineTest {

  private static final long TIMEOUT = 1_000;

  private final KvStateMachine sm = new KvStateMachine(TIMEOUT, 100);
  private long index;

  private final java.util.Set<String> registered = new java.util.HashSet<>();

  /** A write; a client's first one is preceded by its registration (one index before). */
  private Result apply(String client, long seq, long time, Op op) {
    if (registered.add(client)) {
      register(client, time);
    }
    return sm.apply(++index, new KvCommand(client, seq, time, op));
  }

  private Result register(String client, long time) {
    registered.add(client);
    return sm.apply(++index, 1, KvCommand.register(client, time));
  }

  private Result apply(long seq, Op op) {
    return apply("c", seq, 0, op);
  }

  @Test
  void putWritesAtItsIndex() {
    Result r = apply(1, new Op.Put("k", "v"));

    assertThat(r).isEqualTo(Result.written(2));
    assertThat(sm.get("k")).isEqualTo("v");
    assertThat(sm.keyCount()).isEqualTo(1);
    assertThat(sm.lastAppliedIndex()).isEqualTo(2);
  }

  @Test
  void deleteRemovesAndAnAbsentKeyIsFine() {
    apply(1, new Op.Put("k", "v"));

    assertThat(apply(2, new Op.Delete("k"))).isEqualTo(Result.written(3));
    assertThat(apply(3, new Op.Delete("k"))).isEqualTo(Result.written(4));
    assertThat(sm.get("k")).isNull();
    assertThat(sm.keyCount()).isZero();
  }

  @Test
  void casWritesWhenTheValueIsTheExpectedOne() {
    apply(1, new Op.Put("k", "old"));

    assertThat(apply(2, new Op.Cas("k", "old", "new"))).isEqualTo(Result.written(3));
    assertThat(sm.get("k")).isEqualTo("new");
  }

  @Test
  void casMismatchReportsTheActualValueAndChangesNothing() {
    apply(1, new Op.Put("k", "old"));

    assertThat(apply(2, new Op.Cas("k", "other", "new")))
        .isEqualTo(Result.casMismatch("old", 3));
    assertThat(sm.get("k")).isEqualTo("old");
  }

  @Test
  void casExpectedNullMeansAbsentAndDiffersFromEmpty() {
    assertThat(apply(1, new Op.Cas("k", "", "v"))).isEqualTo(Result.casMismatch(null, 2));
    assertThat(sm.get("k")).isNull();

    assertThat(apply(2, new Op.Cas("k", null, "v"))).isEqualTo(Result.written(3));
    assertThat(apply(3, new Op.Cas("k", null, "w"))).isEqualTo(Result.casMismatch("v", 4));
    assertThat(sm.get("k")).isEqualTo("v");
  }

  @Test
  void incrOnAnAbsentKeyStartsAtZero() {
    assertThat(apply(1, new Op.Incr("n", 5))).isEqualTo(Result.value("5", 2));
    assertThat(sm.get("n")).isEqualTo("5");
  }

  @Test
  void incrTakesANegativeDelta() {
    apply(1, new Op.Put("n", "3"));

    assertThat(apply(2, new Op.Incr("n", -10))).isEqualTo(Result.value("-7", 3));
    assertThat(apply(3, new Op.Incr("n", -1))).isEqualTo(Result.value("-8", 4));
  }

  @Test
  void incrOnANonNumberFailsQuotingAtMost40Chars() {
    apply(1, new Op.Put("n", "y".repeat(100)));

    Result r = apply(2, new Op.Incr("n", 1));

    assertThat(r.error()).isEqualTo(ErrorCode.NOT_A_NUMBER);
    assertThat(r.message())
        .isEqualTo(
            "incr needs a base-10 signed 64-bit integer; the key holds \"" + "y".repeat(40)
                + "\"...");
    assertThat(sm.get("n")).isEqualTo("y".repeat(100));
  }

  @Test
  void incrAcceptsOnlyAPlainBase10Long() {
    List<String> notNumbers =
        List.of("+1", " 1", "1 ", "", "-", "1.0", "0x10", "1e3", "١٢", "9223372036854775808");
    long seq = 1;
    for (String v : notNumbers) {
      apply(seq++, new Op.Put("n", v));
      assertThat(apply(seq++, new Op.Incr("n", 1)).error()).as(v).isEqualTo(ErrorCode.NOT_A_NUMBER);
      assertThat(sm.get("n")).isEqualTo(v);
    }
    apply(seq++, new Op.Put("n", "-9223372036854775808"));
    assertThat(apply(seq++, new Op.Incr("n", 1)).value()).isEqualTo("-9223372036854775807");
    apply(seq++, new Op.Put("n", "007"));
    assertThat(apply(seq, new Op.Incr("n", 1)).value()).isEqualTo("8");
  }

  @Test
  void incrPastTheLongRangeOverflowsAndChangesNothing() {
    apply(1, new Op.Put("n", Long.toString(Long.MAX_VALUE)));
    apply(2, new Op.Put("m", Long.toString(Long.MIN_VALUE)));

    Result up = apply(3, new Op.Incr("n", 1));
    Result down = apply(4, new Op.Incr("m", -1));

    assertThat(up.error()).isEqualTo(ErrorCode.OVERFLOW);
    assertThat(up.index()).isEqualTo(4);
    assertThat(down.error()).isEqualTo(ErrorCode.OVERFLOW);
    assertThat(sm.get("n")).isEqualTo(Long.toString(Long.MAX_VALUE));
    assertThat(sm.get("m")).isEqualTo(Long.toString(Long.MIN_VALUE));
  }

  @Test
  void aFailedIncrIsRecordedSoItsRetryGetsTheSameFailure() {
    apply("a", 1, 0, new Op.Put("n", "abc"));
    Result first = apply("b", 1, 0, new Op.Incr("n", 1));
    apply("a", 2, 0, new Op.Put("n", "5"));

    Result retry = apply("b", 1, 0, new Op.Incr("n", 1));

    assertThat(first.error()).isEqualTo(ErrorCode.NOT_A_NUMBER);
    assertThat(retry).isEqualTo(first.asDuplicate());
    assertThat(sm.get("n")).isEqualTo("5");
  }

  @Test
  void aDuplicateReturnsTheFirstResultAndIsNotReapplied() {
    Result first = apply(1, new Op.Incr("n", 1));
    Result retry = apply(1, new Op.Incr("n", 1));

    assertThat(first).isEqualTo(Result.value("1", 2));
    assertThat(retry).isEqualTo(Result.value("1", 2).asDuplicate());
    assertThat(retry.duplicate()).isTrue();
    assertThat(sm.get("n")).isEqualTo("1");
  }

  @Test
  void aSeqReusedForAnotherOpIsRefusedAndNothingApplied() {
    apply(1, new Op.Put("k", "v"));

    Result r = apply(1, new Op.Put("k", "w"));

    assertThat(r.error()).isEqualTo(ErrorCode.SEQ_REUSED);
    assertThat(sm.get("k")).isEqualTo("v");
  }

  @Test
  void aStaleSeqIsRefused() {
    KvStateMachine small = new KvStateMachine(TIMEOUT, 10, 2);
    small.apply(1, KvCommand.register("c", 0));
    for (long seq = 1; seq <= 4; seq++) {
      small.apply(seq + 1, new KvCommand("c", seq, 0, new Op.Incr("n", 1)));
    }

    Result r = small.apply(6, new KvCommand("c", 1, 0, new Op.Incr("n", 1)));

    assertThat(r.error()).isEqualTo(ErrorCode.STALE_REQUEST);
    assertThat(r.error().outcomeUnknown()).isTrue();
    assertThat(small.get("n")).isEqualTo("4");
  }

  @Test
  void responsesPerSessionAreCapped() {
    for (long seq = 1; seq <= 20; seq++) {
      apply(seq, new Op.Incr("n", 1));
    }

    assertThat(sm.sessions().session("c").orElseThrow().responses())
        .hasSize(SessionTable.DEFAULT_RESPONSES_PER_SESSION)
        .containsKeys(5L, 20L)
        .doesNotContainKey(4L);
    assertThat(apply(4, new Op.Incr("n", 1)).error()).isEqualTo(ErrorCode.STALE_REQUEST);
    assertThat(apply(5, new Op.Incr("n", 1)).duplicate()).isTrue();
    assertThat(sm.get("n")).isEqualTo("20");
  }

  @Test
  void aWriteOfAnUnregisteredClientIsRefusedEvenAtSeqOne() {
    Result first = sm.apply(++index, new KvCommand("ghost", 1, 0, new Op.Put("k", "v")));
    Result later = sm.apply(++index, new KvCommand("ghost", 7, 0, new Op.Put("k", "v")));

    assertThat(first.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(first.message()).contains("has no live session").contains("nothing was applied now");
    assertThat(later.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(sm.get("k")).isNull();
    assertThat(sm.sessions().size()).isZero();
  }

  @Test
  void registrationStartsASessionAndIsIdempotentWhileItLives() {
    Result first = register("c", 0);
    apply("c", 1, 5, new Op.Incr("n", 1));
    Result again = register("c", 10);

    assertThat(first).isEqualTo(Result.value("c", 1));
    assertThat(again).isEqualTo(Result.value("c", 3));
    SessionTable.Session c = sm.sessions().session("c").orElseThrow();
    assertThat(c.highestSeq()).as("registering again keeps the session").isEqualTo(1);
    assertThat(c.lastActive()).as("and counts as activity").isEqualTo(10);
    assertThat(apply("c", 1, 11, new Op.Incr("n", 1)).duplicate()).isTrue();
    assertThat(sm.get("n")).isEqualTo("1");
  }

  @Test
  void aClusterChosenIdComesFromTheRegistrationsIndexAndTerm() {
    Result a = sm.apply(4, 2, KvCommand.register(null, 0));
    Result b = sm.apply(5, 2, KvCommand.register(null, 0));
    Result c = sm.apply(9, 3, KvCommand.register(null, 0));

    assertThat(a).isEqualTo(Result.value("@4.2", 4));
    assertThat(List.of(a.value(), b.value(), c.value())).containsExactly("@4.2", "@5.2", "@9.3");
    assertThat(sm.sessions().session("@5.2")).isPresent();
    assertThat(sm.apply(10, new KvCommand("@5.2", 1, 0, new Op.Put("k", "v"))).ok()).isTrue();
    // A client cannot take such an id for itself: the cluster may give it later.
    Result taken = sm.apply(11, KvCommand.register("@12.3", 0));
    assertThat(taken.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(sm.sessions().session("@12.3")).isEmpty();
    // ...but registers a live one of them again (a retry names the id its error gave).
    assertThat(sm.apply(12, KvCommand.register("@5.2", 0))).isEqualTo(Result.value("@5.2", 12));
  }

  @Test
  void aRetriedFirstWriteAfterExpiryIsNotAppliedAgain() {
    // Anomaly 3: (C, 1) applied, its reply lost; the session expires; the retry must not apply.
    register("C", 0);
    assertThat(apply("C", 1, 0, new Op.Incr("ctr", 1)).value()).isEqualTo("1");
    apply("other", 1, 3 * TIMEOUT, new Op.Put("x", "1")); // the session expires here

    Result again = register("C", 3 * TIMEOUT + 1);
    Result retry = apply("C", 1, 3 * TIMEOUT + 2, new Op.Incr("ctr", 1));

    assertThat(again.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(again.message())
        .isEqualTo(
            "session \"C\" ended at seq 1 and cannot start again; a write sent in it before may"
                + " have been applied; nothing was applied now");
    assertThat(retry.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(retry.message()).startsWith("session \"C\" ended at seq 1;");
    assertThat(sm.get("ctr")).isEqualTo("1");
    assertThat(sm.sessions().ended("C")).contains(new SessionTable.Ended(1, 3 * TIMEOUT));
  }

  @Test
  void aRetriedFirstWriteAfterEvictionIsNotAppliedAgain() {
    KvStateMachine two = new KvStateMachine(TIMEOUT, 2);
    two.apply(1, KvCommand.register("C", 1));
    assertThat(two.apply(2, new KvCommand("C", 1, 1, new Op.Incr("ctr", 1))).value()).isEqualTo("1");
    two.apply(3, KvCommand.register("a", 2));
    two.apply(4, KvCommand.register("b", 3)); // the table is full: C, least recently active, ends

    Result again = two.apply(5, KvCommand.register("C", 4));
    Result retry = two.apply(6, new KvCommand("C", 1, 4, new Op.Incr("ctr", 1)));

    assertThat(two.sessions().session("C")).isEmpty();
    assertThat(again.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(retry.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(two.get("ctr")).isEqualTo("1");
  }

  @Test
  void endedRecordsAreBoundedOldestFirst() {
    KvStateMachine m = new KvStateMachine(TIMEOUT, 10, 10 * TIMEOUT, 2);
    m.apply(1, KvCommand.register("a", 0));
    m.apply(2, KvCommand.register("b", 0));
    m.apply(3, KvCommand.register("c", 0));
    m.apply(4, KvCommand.register("x", 2 * TIMEOUT)); // a, b, c end

    assertThat(m.sessions().endedCount()).isEqualTo(2);
    assertThat(m.sessions().ended("a")).as("the oldest is dropped first").isEmpty();
    assertThat(m.apply(5, new KvCommand("a", 1, 2 * TIMEOUT, new Op.Put("k", "v"))).message())
        .contains("has no live session");
    assertThat(m.apply(6, KvCommand.register("b", 2 * TIMEOUT)).error())
        .isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(m.apply(7, KvCommand.register("a", 2 * TIMEOUT)).ok())
        .as("beyond the record, an id starts afresh (the documented limit)")
        .isTrue();
  }

  @Test
  void endedRecordsExpireByLoggedTime() {
    KvStateMachine m = new KvStateMachine(TIMEOUT, 10, 10 * TIMEOUT, 10);
    m.apply(1, KvCommand.register("a", 0));
    m.apply(2, KvCommand.register("y", 2 * TIMEOUT)); // a ends at 2 * TIMEOUT

    m.apply(3, KvCommand.register("z", 12 * TIMEOUT));
    assertThat(m.sessions().ended("a")).as("exactly at the retention: kept").isPresent();
    m.apply(4, KvCommand.register("w", 12 * TIMEOUT + 1));
    assertThat(m.sessions().ended("a")).isEmpty();
    assertThat(m.apply(5, KvCommand.register("a", 12 * TIMEOUT + 1)).ok()).isTrue();
  }

  @Test
  void aVersion1WriteStillStartsASessionAtSeqOne() {
    // A log written before registrations replays to the state it had.
    KvCommand v1 = new KvCommand(KvCommand.Kind.V1_WRITE, "old", 1, 0, new Op.Incr("n", 1));
    assertThat(sm.apply(1, v1)).isEqualTo(Result.value("1", 1));
    assertThat(sm.apply(2, v1).duplicate()).isTrue();
    assertThat(
            sm.apply(3, new KvCommand(KvCommand.Kind.V1_WRITE, "other", 2, 0, new Op.Incr("n", 1)))
                .error())
        .isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(sm.get("n")).isEqualTo("1");
  }

  @Test
  void aSessionIdlePastTheTimeoutExpiresByLoggedTime() {
    apply("a", 1, 0, new Op.Incr("n", 1));
    apply("a", 2, 10, new Op.Incr("n", 1));
    apply("b", 1, 10 + TIMEOUT, new Op.Put("x", "1"));
    assertThat(sm.sessions().session("a")).as("exactly at the timeout").isPresent();

    apply("b", 2, 11 + TIMEOUT, new Op.Put("x", "2"));

    assertThat(sm.sessions().session("a")).isEmpty();
    Result retry = apply("a", 2, 12 + TIMEOUT, new Op.Incr("n", 1));
    Result next = apply("a", 3, 12 + TIMEOUT, new Op.Incr("n", 1));
    assertThat(retry.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(next.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    assertThat(sm.get("n")).isEqualTo("2");
  }

  @Test
  void aRefusalIsNotCachedAndLeavesTheSessionAlone() {
    apply("a", 1, 0, new Op.Put("k", "v"));
    Result tooLarge = apply("a", 2, 500, new Op.Put("k", "v".repeat(Limits.MAX_VALUE_BYTES + 1)));
    Result expired = sm.apply(++index, new KvCommand("b", 9, 600, new Op.Put("k", "w")));

    assertThat(tooLarge.error()).isEqualTo(ErrorCode.TOO_LARGE);
    assertThat(expired.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
    SessionTable.Session a = sm.sessions().session("a").orElseThrow();
    assertThat(a.lastActive()).isZero();
    assertThat(a.highestSeq()).isEqualTo(1);
    assertThat(apply("a", 2, 700, new Op.Put("k", "x")).ok()).isTrue();
    assertThat(sm.get("k")).isEqualTo("x");
  }

  @Test
  void evictionAtMaxSessionsDropsTheLeastRecentlyActive() {
    KvStateMachine two = new KvStateMachine(TIMEOUT, 2);
    two.apply(1, KvCommand.register("a", 1));
    two.apply(2, KvCommand.register("b", 2));
    two.apply(3, new KvCommand("a", 1, 3, new Op.Put("k", "3")));

    two.apply(4, KvCommand.register("c", 4));

    assertThat(two.sessions().size()).isEqualTo(2);
    assertThat(two.sessions().session("b")).isEmpty();
    assertThat(two.sessions().ended("b")).contains(new SessionTable.Ended(0, 4));
    assertThat(two.sessions().session("a")).isPresent();
    assertThat(two.apply(5, new KvCommand("b", 1, 5, new Op.Put("k", "5"))).error())
        .isEqualTo(ErrorCode.SESSION_EXPIRED);
  }

  @Test
  void evictionBreaksActivityTiesByClientId() {
    KvStateMachine two = new KvStateMachine(TIMEOUT, 2);
    two.apply(1, KvCommand.register("y", 1));
    two.apply(2, KvCommand.register("x", 1));

    two.apply(3, KvCommand.register("z", 1));

    assertThat(two.sessions().session("x")).isEmpty();
    assertThat(two.sessions().session("y")).isPresent();
    assertThat(two.sessions().session("z")).isPresent();
  }

  @Test
  void entriesApplyInIndexOrderOnce() {
    sm.apply(4, KvCommand.register("c", 0));
    sm.apply(5, new KvCommand("c", 1, 0, new Op.Incr("n", 1)));

    assertThatThrownBy(() -> sm.apply(5, new KvCommand("c", 2, 0, new Op.Incr("n", 1))))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> sm.apply(4, new KvCommand("c", 2, 0, new Op.Incr("n", 1))))
        .isInstanceOf(IllegalStateException.class);
    assertThat(sm.get("n")).isEqualTo("1");
    assertThat(sm.apply(9, new KvCommand("c", 2, 0, new Op.Incr("n", 1))).index()).isEqualTo(9);
  }

  @Test
  void replicasFedTheSameCommandsEndIdentical() {
    List<KvCommand> log = randomLog(new Random(42), 20_000);
    KvStateMachine a = new KvStateMachine(TIMEOUT, 8, 4, 5 * TIMEOUT, 6);
    KvStateMachine b = new KvStateMachine(TIMEOUT, 8, 4, 5 * TIMEOUT, 6);
    Map<ErrorCode, Integer> errors = new EnumMap<>(ErrorCode.class);
    int duplicates = 0;
    int expiries = 0;
    int evictions = 0;
    int endedRefusals = 0;

    for (int i = 0; i < log.size(); i++) {
      int sizeBefore = a.sessions().size();
      boolean known = a.sessions().session(log.get(i).clientId()).isPresent();
      boolean registration = log.get(i).kind() == KvCommand.Kind.REGISTER;
      // Terms change now and then: a cluster-chosen id takes its registration's term.
      long term = 1 + i / 5000;
      Result ra = a.apply(i + 1, term, log.get(i));
      // b takes the log path: the bytes a follower stores and decodes
      Result rb = b.apply(i + 1, term, CommandCodec.decode(CommandCodec.encode(log.get(i))));
      assertThat(rb).as("result at %d", i + 1).isEqualTo(ra);
      if (ra.error() != null) {
        errors.merge(ra.error(), 1, Integer::sum);
        endedRefusals += ra.message().contains(" ended at seq ") ? 1 : 0;
      }
      duplicates += ra.duplicate() ? 1 : 0;
      expiries += a.sessions().size() < sizeBefore ? 1 : 0;
      evictions += sizeBefore == 8 && !known && registration && ra.ok() ? 1 : 0;
      if (i % 1000 == 999) {
        assertThat(b.digest()).isEqualTo(a.digest());
      }
    }

    assertThat(b.digest()).isEqualTo(a.digest());
    assertThat(b.sessions().digest()).isEqualTo(a.sessions().digest());
    // The workload reached every rule, expiry, eviction and the ended records included.
    assertThat(errors)
        .containsKeys(
            ErrorCode.SESSION_EXPIRED,
            ErrorCode.STALE_REQUEST,
            ErrorCode.SEQ_REUSED,
            ErrorCode.CAS_MISMATCH,
            ErrorCode.NOT_A_NUMBER);
    assertThat(duplicates).isPositive();
    assertThat(expiries).isPositive();
    assertThat(evictions).isPositive();
    assertThat(endedRefusals).isPositive();
    assertThat(a.sessions().endedCount()).isPositive();

    b.apply(log.size() + 1, KvCommand.register("late", Long.MAX_VALUE));
    assertThat(b.digest()).isNotEqualTo(a.digest());
  }

  @Test
  void digestSeesEveryPartOfTheState() {
    KvStateMachine a = machineWith("c", 0, new Op.Put("k", "v"));
    KvStateMachine b = machineWith("c", 0, new Op.Put("k", "w"));
    assertThat(a.digest()).isNotEqualTo(b.digest());

    KvStateMachine c = machineWith("d", 0, new Op.Put("k", "v"));
    assertThat(a.digest()).as("another client").isNotEqualTo(c.digest());

    KvStateMachine d = machineWith("c", 1, new Op.Put("k", "v"));
    assertThat(a.digest()).as("another lastActive").isNotEqualTo(d.digest());

    // Two replicas whose live sessions and map agree but whose ended records differ.
    KvStateMachine e = new KvStateMachine(TIMEOUT, 1);
    KvStateMachine f = new KvStateMachine(TIMEOUT, 1);
    e.apply(1, KvCommand.register("x", 0));
    f.apply(1, KvCommand.register("y", 0));
    e.apply(2, KvCommand.register("z", 0));
    f.apply(2, KvCommand.register("z", 0));
    assertThat(e.sessions().session("z")).isPresent();
    assertThat(f.sessions().session("z")).isPresent();
    assertThat(e.digest()).as("another ended record").isNotEqualTo(f.digest());
  }

  private static KvStateMachine machineWith(String client, long time, Op op) {
    KvStateMachine m = new KvStateMachine(TIMEOUT, 8);
    m.apply(1, KvCommand.register(client, time));
    m.apply(2, new KvCommand(client, 1, time, op));
    return m;
  }

  /**
   * Clients that register, retry, reuse and skip seqs, go idle past the timeout and register again
   * (refused while their ended record is kept), over more clients than the table holds, and
   * cluster-chosen registrations; the logged time mostly advances and sometimes jumps.
   */
  static List<KvCommand> randomLog(Random random, int size) {
    List<KvCommand> log = new ArrayList<>();
    Map<String, Long> nextSeq = new HashMap<>();
    Map<String, Op> lastOp = new HashMap<>();
    long time = 1_000_000;
    for (int i = 0; i < size; i++) {
      time += random.nextInt(20) == 0 ? random.nextInt(3 * (int) TIMEOUT) : random.nextInt(50);
      String client = "client-" + random.nextInt(12);
      if (!nextSeq.containsKey(client) || random.nextInt(100) < 4) {
        // a client (re)starting: registers, and numbers from 1 if that is new to it
        nextSeq.putIfAbsent(client, 1L);
        log.add(KvCommand.register(client, time));
        continue;
      }
      if (random.nextInt(200) == 0) {
        log.add(KvCommand.register(null, time));
        continue;
      }
      long seq = nextSeq.get(client);
      Op op = randomOp(random);
      int roll = random.nextInt(100);
      if (roll < 8 && lastOp.containsKey(client)) {
        seq -= 1; // a retry
        op = lastOp.get(client);
      } else if (roll < 11 && seq > 1) {
        seq -= 1; // a seq reused for another op
      } else if (roll < 14 && seq > 6) {
        seq -= 6; // a very old seq
      } else if (roll < 16) {
        seq = 1; // a first write retried late
      } else {
        seq += roll < 20 ? 3 : 0; // a skip, else the next seq
        nextSeq.put(client, seq + 1);
        lastOp.put(client, op);
      }
      log.add(new KvCommand(client, seq, time, op));
    }
    return log;
  }

  private static Op randomOp(Random random) {
    String key = "k" + random.nextInt(5);
    switch (random.nextInt(5)) {
      case 0:
        String value = random.nextBoolean() ? "v" + random.nextInt(3) : "" + random.nextInt(9);
        return new Op.Put(key, value);
      case 1:
        return new Op.Delete(key);
      case 2:
        return new Op.Cas(key, random.nextBoolean() ? null : "" + random.nextInt(3), "v");
      default:
        return new Op.Incr(key, random.nextInt(11) - 5);
    }
  }
}
