package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import raftkv.api.ErrorCode;
import raftkv.api.Result;

class HttpSessionTest {
  @Test
  void aTwoHundredWithOkIsASuccessCarryingTheValueOrTheIndex() {
    Result put = HttpSession.result(200, "{\"ok\":true,\"index\":42,\"duplicate\":false}");
    assertThat(put.ok()).isTrue();
    assertThat(put.index()).isEqualTo(42);
    Result get = HttpSession.result(200, "{\"ok\":true,\"value\":\"v1\"}");
    assertThat(get.ok()).isTrue();
    assertThat(get.value()).isEqualTo("v1");
  }

  @Test
  void anythingElseIsAnErrorWithTheCodeTheBodyNames() {
    Result noLeader = HttpSession.result(503, "{\"ok\":false,\"error\":\"unavailable\",\"message\":\"no leader\"}");
    assertThat(noLeader.ok()).isFalse();
    assertThat(noLeader.error()).isEqualTo(ErrorCode.UNAVAILABLE);
    Result timeout = HttpSession.result(504, "{\"ok\":false,\"error\":\"timeout\",\"outcome\":\"unknown\"}");
    assertThat(timeout.error()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(HttpSession.result(502, "<html>bad gateway</html>").ok()).isFalse();
    assertThat(HttpSession.result(200, "{\"ok\":false,\"error\":\"nonsense\"}").error()).isEqualTo(ErrorCode.UNAVAILABLE);
  }
}
