package raftkv.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ErrorCode;
import raftkv.api.Result;
import raftkv.api.ResultJson.Kind;
import raftkv.common.Endpoint;

class ResponsesTest {

  @Test
  void everyErrorCodeHasAStatusThatFits() {
    Map<ErrorCode, Integer> expected = new EnumMap<>(ErrorCode.class);
    expected.put(ErrorCode.NOT_LEADER, 503);
    expected.put(ErrorCode.UNAVAILABLE, 503);
    expected.put(ErrorCode.TIMEOUT, 504);
    expected.put(ErrorCode.UNKNOWN, 504);
    expected.put(ErrorCode.CAS_MISMATCH, 409);
    expected.put(ErrorCode.NOT_A_NUMBER, 409);
    expected.put(ErrorCode.OVERFLOW, 409);
    expected.put(ErrorCode.SEQ_REUSED, 409);
    expected.put(ErrorCode.STALE_REQUEST, 409);
    expected.put(ErrorCode.SESSION_EXPIRED, 410);
    expected.put(ErrorCode.TOO_LARGE, 413);
    expected.put(ErrorCode.INVALID_REQUEST, 400);
    assertThat(expected.keySet()).containsExactlyInAnyOrder(ErrorCode.values());
    expected.forEach((code, status) ->
        assertThat(Responses.status(Kind.WRITE, Result.error(code, "m"))).as(code.code()).isEqualTo(status));
  }

  @Test
  void anAbsentKeyIs404AndEverySuccess200() {
    assertThat(Responses.status(Kind.GET, Result.value(null, 0))).isEqualTo(404);
    assertThat(Responses.status(Kind.GET, Result.value("", 0))).isEqualTo(200);
    assertThat(Responses.status(Kind.WRITE, Result.written(3))).isEqualTo(200);
    assertThat(Responses.status(Kind.INCR, Result.value("4", 3))).isEqualTo(200);
  }

  @Test
  void bodiesMustBeUtf8() {
    assertThat(Responses.utf8("hé €".getBytes(java.nio.charset.StandardCharsets.UTF_8))).contains("hé €");
    assertThat(Responses.utf8(new byte[] {(byte) 0xc3})).isEmpty();
    assertThat(Responses.utf8(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})).isEmpty(); // a surrogate
    assertThat(Responses.utf8(new byte[0])).contains("");
  }

  @Test
  void healthNeedsALeaderAndAnAppliedIndexNearTheCommitIndex() {
    assertThat(Responses.notHealthy(status(2, 100, 100), 10)).isEmpty();
    assertThat(Responses.notHealthy(status(null, 100, 100), 10)).hasValueSatisfying(
        r -> assertThat(r).isEqualTo("no leader known in term 5 (role follower)"));
    assertThat(Responses.notHealthy(status(2, 100, 90), 10)).isEmpty();
    assertThat(Responses.notHealthy(status(2, 100, 89), 10)).hasValueSatisfying(
        r -> assertThat(r).contains("applied index 89 is 11 behind commit index 100"));
  }

  @Test
  void readinessNeedsNoLeader() {
    assertThat(Responses.notReady(status(null, 100, 100), 10)).isEmpty();
    assertThat(Responses.notReady(status(null, 100, 50), 10)).isPresent();
  }

  private static NodeStatus status(Integer leader, long commit, long applied) {
    Endpoint e = new Endpoint("127.0.0.1", 9001);
    return new NodeStatus(1, e, "follower", 5, leader, leader == null ? null : e, commit, applied,
        commit, 5, 10L, List.of(), 0, 1, 0, 0);
  }
}
