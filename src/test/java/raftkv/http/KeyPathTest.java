package raftkv.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyPathTest {

  @Test
  void aKeyIsOnePercentDecodedSegment() throws Exception {
    assertThat(KeyPath.parse("/v1/kv/greeting")).isEqualTo(new KeyPath("greeting", KeyPath.Action.KEY));
    assertThat(KeyPath.parse("/v1/kv/a%2Fb%20c+%C3%BC?stale=true").key()).isEqualTo("a/b c+ü");
    assertThat(KeyPath.parse("/v1/kv/%2F%2f").key()).isEqualTo("//");
    assertThat(KeyPath.parse("http://127.0.0.1:10001/v1/kv/k").key()).isEqualTo("k");
  }

  @Test
  void casAndIncrFollowTheKey() throws Exception {
    assertThat(KeyPath.parse("/v1/kv/k/cas")).isEqualTo(new KeyPath("k", KeyPath.Action.CAS));
    assertThat(KeyPath.parse("/v1/kv/k/incr?delta=2")).isEqualTo(new KeyPath("k", KeyPath.Action.INCR));
    assertThat(KeyPath.parse("/v1/kv/cas").key()).isEqualTo("cas");
  }

  @Test
  void otherPathsAreNotFound() {
    for (String p : new String[] {"/v1/kv/a/b", "/v1/kv/k/cas/x", "/v1/kvx/k", "/v2/kv/k", "/v1/kv/k/"}) {
      assertThatThrownBy(() -> KeyPath.parse(p))
          .as(p)
          .isInstanceOfSatisfying(KeyPath.Invalid.class, e -> assertThat(e.notFound).isTrue());
    }
  }

  @Test
  void badKeysAreRefusedNeverReplaced() {
    for (String p : new String[] {"/v1/kv/", "/v1/kv/%FF", "/v1/kv/%C3", "/v1/kv/%ED%A0%80", "/v1/kv/k%zz", "/v1/kv/k%2"}) {
      assertThatThrownBy(() -> KeyPath.parse(p))
          .as(p)
          .isInstanceOfSatisfying(KeyPath.Invalid.class, e -> assertThat(e.notFound).isFalse());
    }
  }
}
