package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.api.ErrorCode;
import raftkv.api.Result;
import raftkv.client.RetryPolicy.Decision;
import raftkv.client.RetryPolicy.Finish;
import raftkv.client.RetryPolicy.Kind;
import raftkv.client.RetryPolicy.Request;
import raftkv.client.RetryPolicy.Send;
import raftkv.common.Endpoint;

/** The one client retry policy, decision by decision, in made-up nanoseconds. */
class RetryPolicyTest {

  private static final Endpoint N1 = new Endpoint("127.0.0.1", 9001);
  private static final Endpoint N2 = new Endpoint("127.0.0.1", 9002);
  private static final Endpoint N3 = new Endpoint("127.0.0.1", 9003);
  private static final List<Endpoint> NODES = List.of(N1, N2, N3);
  private static final long MS = 1_000_000;

  private static final Result NOT_LEADER = Result.error(ErrorCode.NOT_LEADER, "not the leader");
  private static final Result UNKNOWN = Result.error(ErrorCode.UNKNOWN, "stored, then lost");

  private static final Request WRITE =
      new Request(Kind.WRITE, "retry with --client-id c --seq 3", Duration.ofSeconds(2));
  private static final Request READ = new Request(Kind.READ, "retry it", Duration.ofSeconds(2));

  private static Send send(Endpoint node, Duration pause) {
    return new Send(node, pause);
  }

  @Test
  void onlyRefusalsThatMayHaveAppendedAreNotFinal() {
    for (ErrorCode code : ErrorCode.values()) {
      boolean retried =
          code == ErrorCode.NOT_LEADER
              || code == ErrorCode.UNAVAILABLE
              || code == ErrorCode.TIMEOUT
              || code == ErrorCode.UNKNOWN;
      assertThat(RetryPolicy.isFinal(Result.error(code, "m"))).as("%s", code).isEqualTo(!retried);
    }
    assertThat(RetryPolicy.isFinal(Result.written(3))).isTrue();
    // session_expired and stale_request end a write: retrying cannot change them.
    assertThat(RetryPolicy.isFinal(Result.error(ErrorCode.SESSION_EXPIRED, "ended"))).isTrue();
  }

  @Test
  void aHintSendsTheNextAttemptToTheLeaderAtOnce() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    assertThat(p.begin(WRITE, 0)).isEqualTo(send(N1, Duration.ZERO));

    Decision d = p.onReply(N1, NOT_LEADER, N3, MS);

    assertThat(d).isEqualTo(send(N3, Duration.ZERO));
    assertThat(p.target()).isEqualTo(N3);
  }

  @Test
  void aFinalAnswerEndsTheRequest() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    assertThat(p.onReply(N1, Result.written(7), null, MS))
        .isEqualTo(new Finish(Result.written(7), false));
  }

  @Test
  void anUnknownAnswerIsRetriedWithItsHint() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    assertThat(p.onReply(N1, UNKNOWN, N2, MS)).isEqualTo(send(N2, Duration.ZERO));
  }

  @Test
  void interactiveClientsPauseAfterEachFullRoundOfRefusals() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    assertThat(p.onReply(N1, NOT_LEADER, null, MS)).isEqualTo(send(N2, Duration.ZERO));
    assertThat(p.onReply(N2, NOT_LEADER, null, 2 * MS)).isEqualTo(send(N3, Duration.ZERO));
    assertThat(p.onReply(N3, NOT_LEADER, null, 3 * MS))
        .as("third refusal of three nodes")
        .isEqualTo(send(N1, Duration.ofMillis(25)));
    assertThat(p.resume(28 * MS)).isEqualTo(send(N1, Duration.ZERO));
  }

  @Test
  void aRoundPauseAlsoBreaksALoopOfHints() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    p.onReply(N1, NOT_LEADER, N2, MS);
    p.onReply(N2, NOT_LEADER, N1, 2 * MS);
    assertThat(p.onReply(N1, NOT_LEADER, N2, 3 * MS)).isEqualTo(send(N2, Duration.ofMillis(25)));
  }

  @Test
  void aRefusalNamingNoLeaderPausesByTheSettings() {
    RetryPolicy p =
        new RetryPolicy(
            NODES, new RetryPolicy.Settings(Duration.ofMillis(20), Duration.ZERO, Duration.ZERO));
    p.begin(WRITE, 0);
    assertThat(p.onReply(N1, NOT_LEADER, null, MS)).isEqualTo(send(N2, Duration.ofMillis(20)));
    assertThat(p.onReply(N2, NOT_LEADER, N2, 2 * MS))
        .as("a node naming itself is no usable hint")
        .isEqualTo(send(N3, Duration.ofMillis(20)));
  }

  @Test
  void noAnswerMovesOnAtOnceAndTheNodeIsSuspectForAWhile() {
    RetryPolicy p =
        new RetryPolicy(
            NODES, N1, new RetryPolicy.Settings(Duration.ofMillis(2), Duration.ZERO, Duration.ofSeconds(1)));
    p.begin(WRITE, 0);
    assertThat(p.onNoAnswer(N1, 400 * MS)).isEqualTo(send(N2, Duration.ZERO));
    // N2 names the silent N1: not usable while it is suspect; the next one that is not, N3.
    assertThat(p.onReply(N2, NOT_LEADER, N1, 401 * MS)).isEqualTo(send(N3, Duration.ofMillis(2)));
    // A second later N1 is no longer avoided.
    p.begin(WRITE, 1500 * MS);
    assertThat(p.onReply(N3, NOT_LEADER, N1, 1500 * MS)).isEqualTo(send(N1, Duration.ZERO));
  }

  @Test
  void interactiveClientsDoNotGoBackToAKilledLeaderThatTheFollowersStillName() {
    RetryPolicy p = new RetryPolicy(NODES, N1, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    assertThat(p.onNoAnswer(N1, 200 * MS)).isEqualTo(send(N2, Duration.ZERO));
    assertThat(p.onReply(N2, NOT_LEADER, N1, 201 * MS)).isEqualTo(send(N3, Duration.ZERO));
    assertThat(p.onReply(N3, NOT_LEADER, N1, 202 * MS)).isEqualTo(send(N2, Duration.ZERO));
    // N3 won the election: N2 names it, and the write goes there.
    assertThat(p.onReply(N2, NOT_LEADER, N3, 203 * MS)).isEqualTo(send(N3, Duration.ofMillis(25)));
  }

  @Test
  void aNodeThatAnswersIsNoLongerSuspect() {
    RetryPolicy p =
        new RetryPolicy(
            NODES, N1, new RetryPolicy.Settings(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1)));
    p.begin(WRITE, 0);
    p.onNoAnswer(N1, MS);
    p.heardFrom(N1);
    assertThat(p.onReply(N2, NOT_LEADER, N1, 2 * MS)).isEqualTo(send(N1, Duration.ZERO));
  }

  @Test
  void aLeaderOutsideTheConfiguredNodesIsAdded() {
    Endpoint other = new Endpoint("127.0.0.1", 9009);
    RetryPolicy p = new RetryPolicy(List.of(N1), RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    assertThat(p.onReply(N1, NOT_LEADER, other, MS)).isEqualTo(send(other, Duration.ZERO));
    assertThat(p.nodes()).containsExactly(N1, other);
  }

  @Test
  void theTargetSurvivesRequests() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    p.onReply(N1, NOT_LEADER, N3, MS);
    assertThat(p.begin(READ, 2 * MS)).isEqualTo(send(N3, Duration.ZERO));
  }

  @Test
  void aWriteGivesUpAsTimeoutWithItsOutcomeUnknown() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    Decision d = p.onNoAnswer(N1, 2000 * MS);
    assertThat(d).isInstanceOf(Finish.class);
    Finish f = (Finish) d;
    assertThat(f.gaveUp()).isTrue();
    assertThat(f.result().error()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(f.result().error().outcomeUnknown()).isTrue();
    assertThat(f.result().message())
        .isEqualTo(
            "outcome unknown: no definitive answer within 2 s; the write may or may not have been"
                + " applied; retry with --client-id c --seq 3");
  }

  @Test
  void aPauseNeverRunsPastTheDeadline() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(WRITE, 0);
    p.onReply(N1, NOT_LEADER, null, MS);
    p.onReply(N2, NOT_LEADER, null, 2 * MS);
    assertThat(p.onReply(N3, NOT_LEADER, null, 1990 * MS)).isEqualTo(send(N1, Duration.ofMillis(10)));
    assertThat(p.resume(2000 * MS)).isInstanceOf(Finish.class);
  }

  @Test
  void aReadEveryNodeSaysHasNoLeaderGivesUpAsUnavailable() {
    RetryPolicy p = new RetryPolicy(NODES, RetryPolicy.INTERACTIVE);
    p.begin(READ, 0);
    p.onReply(N1, NOT_LEADER, null, MS);
    p.onReply(N2, NOT_LEADER, null, 2 * MS);
    p.onReply(N3, NOT_LEADER, null, 3 * MS);
    Finish f = (Finish) p.resume(2000 * MS);
    assertThat(f.result().error()).isEqualTo(ErrorCode.UNAVAILABLE);

    p.begin(READ, 3000 * MS);
    p.onReply(N1, NOT_LEADER, null, 3001 * MS);
    Finish g = (Finish) p.onNoAnswer(N2, 5000 * MS);
    assertThat(g.result().error()).as("a node said nothing").isEqualTo(ErrorCode.TIMEOUT);
  }
}
