package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftkv.chaos.HttpAttempts.Answered;
import raftkv.chaos.HttpAttempts.Lost;
import raftkv.chaos.HttpAttempts.NotSent;
import raftkv.check.Operation;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

/**
 * HTTP answers and failed attempts, read into the line an {@link HttpShell} prints and then, as
 * the chaos run reads it, into an {@link Operation}: the outcome the checker sees.
 */
class HttpAttemptsTest {

  private static final Workload.Request PUT =
      new Workload.Request(Kind.PUT, "k1", "5", null, "put k1 5");
  private static final Workload.Request GET =
      new Workload.Request(Kind.GET, "k1", null, null, "get k1");
  private static final Workload.Request CAS =
      new Workload.Request(Kind.CAS, "k1", "9", "5", "cas k1 5 9");
  private static final Workload.Request INCR =
      new Workload.Request(Kind.INCR, "k1", "2", null, "incr k1 2");

  private static final Answered WRITTEN = new Answered(200, "{\"ok\":true,\"index\":7,\"duplicate\":false}");
  private static final Answered TIMEOUT_504 =
      new Answered(504, "{\"ok\":false,\"error\":\"timeout\",\"message\":\"m\",\"outcome\":\"unknown\"}");
  private static final Answered UNAVAILABLE_503 =
      new Answered(503, "{\"ok\":false,\"error\":\"unavailable\",\"message\":\"no leader\"}");
  private static final Lost LOST = new Lost("no response within 1 s");
  private static final NotSent REFUSED = new NotSent("connection refused");

  private static Operation read(Workload.Request r, String line) {
    return Workload.completed(r, 1, 0, line, 10, 20);
  }

  private static HttpAttempts write() {
    return new HttpAttempts(true, "'put k1 5' (@1.1, seq 3)");
  }

  @Test
  void anAnsweredWriteIsOkAsTheNodeSaidIt() {
    Optional<String> line = write().after(WRITTEN);
    assertThat(line).contains("{\"ok\":true,\"index\":7,\"duplicate\":false}");
    assertThat(read(PUT, line.get()).outcome()).isEqualTo(Outcome.OK);
  }

  @Test
  void aGetOfAnAbsentKeyIs404AndOkWithNull() {
    Optional<String> line =
        new HttpAttempts(false, "get k1").after(new Answered(404, "{\"ok\":true,\"value\":null}"));
    Operation op = read(GET, line.orElseThrow());
    assertThat(op.outcome()).isEqualTo(Outcome.OK);
    assertThat(op.output()).isNull();
  }

  @Test
  void aCasMismatchIs409AndRanWithTheActualValue() {
    Optional<String> line =
        new HttpAttempts(true, "cas")
            .after(new Answered(409, "{\"ok\":false,\"error\":\"cas_mismatch\",\"value\":\"6\"}"));
    Operation op = read(CAS, line.orElseThrow());
    assertThat(op.outcome()).isEqualTo(Outcome.OK);
    assertThat(op.error()).isEqualTo("cas_mismatch");
    assertThat(op.output()).isEqualTo("6");
  }

  @Test
  void notANumberRanAndChangedNothing() {
    Optional<String> line =
        new HttpAttempts(true, "incr")
            .after(new Answered(409, "{\"ok\":false,\"error\":\"not_a_number\",\"message\":\"m\"}"));
    Operation op = read(INCR, line.orElseThrow());
    assertThat(op.outcome()).isEqualTo(Outcome.OK);
    assertThat(op.error()).isEqualTo("not_a_number");
  }

  @Test
  void a504IsRetriedAndAtTheDeadlineIsUnknownNeverFailed() {
    HttpAttempts a = write();
    assertThat(a.after(TIMEOUT_504)).isEmpty();
    assertThat(a.maybeApplied()).isTrue();
    String line = a.giveUp("3 s");
    assertThat(line).contains("\"outcome\":\"unknown\"");
    Operation op = read(PUT, line);
    assertThat(op.outcome()).isEqualTo(Outcome.UNKNOWN);
    assertThat(op.completeNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aWriteThatTimedOutIsUnknownEvenIfLaterNodesSay503() {
    HttpAttempts a = write();
    assertThat(a.after(LOST)).isEmpty();
    assertThat(a.after(UNAVAILABLE_503)).isEmpty();
    assertThat(a.after(REFUSED)).isEmpty();
    assertThat(read(PUT, a.giveUp("3 s")).outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aWriteThatTimedOutAndIsThenRefusedOutrightIsStillUnknown() {
    HttpAttempts a = write();
    a.after(LOST);
    Optional<String> line =
        a.after(new Answered(400, "{\"ok\":false,\"error\":\"invalid_request\",\"message\":\"m\"}"));
    assertThat(read(PUT, line.orElseThrow()).outcome()).isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void aRetryAfterALostAttemptTellsTheFirstOutcome() {
    HttpAttempts a = write();
    a.after(LOST);
    Optional<String> line = a.after(new Answered(200, "{\"ok\":true,\"index\":7,\"duplicate\":true}"));
    assertThat(read(PUT, line.orElseThrow()).outcome()).isEqualTo(Outcome.OK);

    HttpAttempts cas = write();
    cas.after(TIMEOUT_504);
    Optional<String> mismatch =
        cas.after(new Answered(409, "{\"ok\":false,\"error\":\"cas_mismatch\",\"value\":null}"));
    assertThat(read(CAS, mismatch.orElseThrow()).outcome()).isEqualTo(Outcome.OK);
  }

  @Test
  void aSessionExpiredOrStaleAnswerStaysUnknown() {
    for (String body :
        new String[] {
          "{\"ok\":false,\"error\":\"session_expired\",\"message\":\"m\",\"outcome\":\"unknown\"}",
          "{\"ok\":false,\"error\":\"stale_request\",\"message\":\"m\",\"outcome\":\"unknown\"}"
        }) {
      HttpAttempts a = write();
      a.after(LOST);
      assertThat(read(PUT, a.after(new Answered(410, body)).orElseThrow()).outcome())
          .isEqualTo(Outcome.UNKNOWN);
      assertThat(read(PUT, write().after(new Answered(410, body)).orElseThrow()).outcome())
          .isEqualTo(Outcome.UNKNOWN);
    }
  }

  @Test
  void aDroppedConnectionOrABodyThatIsNoResultLeavesAWriteMaybeApplied() {
    HttpAttempts dropped = write();
    dropped.after(new Lost("java.io.IOException: connection reset"));
    assertThat(dropped.maybeApplied()).isTrue();

    HttpAttempts html = write();
    assertThat(html.after(new Answered(502, "<html>bad gateway</html>"))).isEmpty();
    assertThat(html.maybeApplied()).isTrue();
    assertThat(read(PUT, html.giveUp("3 s")).outcome()).isEqualTo(Outcome.UNKNOWN);

    HttpAttempts internal = write();
    internal.after(new Answered(500, "{\"ok\":false,\"error\":\"unavailable\",\"message\":\"internal error\"}"));
    assertThat(internal.maybeApplied()).isTrue();
  }

  @Test
  void aWriteNeverSentOrOnlyRefusedWith503Failed() {
    HttpAttempts refused = write();
    assertThat(refused.after(REFUSED)).isEmpty();
    assertThat(refused.after(REFUSED)).isEmpty();
    assertThat(refused.maybeApplied()).isFalse();
    Operation op = read(PUT, refused.giveUp("3 s"));
    assertThat(op.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(op.error()).isEqualTo("unavailable");

    HttpAttempts noLeader = write();
    assertThat(noLeader.after(UNAVAILABLE_503)).isEmpty();
    assertThat(noLeader.after(REFUSED)).isEmpty();
    assertThat(read(PUT, noLeader.giveUp("3 s")).outcome()).isEqualTo(Outcome.FAIL);
  }

  @Test
  void aNotLeaderAnswerIsRetriedAndMapsAsTheCliCode() {
    HttpAttempts a = write();
    assertThat(a.after(new Answered(503, "{\"ok\":false,\"error\":\"not_leader\",\"message\":\"m\"}")))
        .isEmpty();
    Operation op = read(PUT, a.giveUp("3 s"));
    assertThat(op.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(op.error()).isEqualTo("not_leader");
  }

  @Test
  void aReadRetriesAndEndsAsItsLastRefusalOrUnknown() {
    HttpAttempts lost = new HttpAttempts(false, "get k1");
    assertThat(lost.after(LOST)).isEmpty();
    assertThat(lost.maybeApplied()).isFalse();
    assertThat(read(GET, lost.giveUp("3 s")).outcome()).isEqualTo(Outcome.UNKNOWN);

    HttpAttempts noLeader = new HttpAttempts(false, "get k1");
    noLeader.after(LOST);
    noLeader.after(UNAVAILABLE_503);
    assertThat(read(GET, noLeader.giveUp("3 s")).outcome()).isEqualTo(Outcome.FAIL);

    HttpAttempts retried = new HttpAttempts(false, "get k1");
    retried.after(TIMEOUT_504);
    Optional<String> line = retried.after(new Answered(200, "{\"ok\":true,\"value\":\"4\"}"));
    assertThat(read(GET, line.orElseThrow()).output()).isEqualTo("4");
  }

  @Test
  void resultsAreObjectsWithABooleanOkAndFailuresACode() {
    assertThat(HttpAttempts.result("{\"ok\":true}")).isPresent();
    assertThat(HttpAttempts.result("{\"ok\":false,\"error\":\"timeout\"}")).isPresent();
    assertThat(HttpAttempts.result("{\"ok\":false}")).isEmpty();
    assertThat(HttpAttempts.result("{\"ok\":\"yes\"}")).isEmpty();
    assertThat(HttpAttempts.result("[1]")).isEmpty();
    assertThat(HttpAttempts.result("")).isEmpty();
    assertThat(HttpAttempts.result("not json")).isEmpty();
  }
}
