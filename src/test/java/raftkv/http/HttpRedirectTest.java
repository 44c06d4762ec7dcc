package raftkv.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import raftkv.testkit.HttpCalls;
import raftkv.testkit.HttpCalls.Answer;
import raftkv.testkit.HttpCluster;

/**
 * {@code raftkv.http.follower-writes = redirect} on a real three-node cluster in one JVM: a
 * follower answers writes and registrations with 307 and the same target at the leader's API, the
 * leader serves them, and reads are served where they arrive.
 */
class HttpRedirectTest {

  private static HttpCluster cluster;

  @BeforeAll
  static void start() {
    cluster = HttpCluster.start(3, 11, ConfigFactory.parseString("raftkv.http.follower-writes = redirect"));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static int leader() {
    return cluster.leader();
  }

  @Test
  void aFollowerRedirectsAWriteToTheSameTargetAtTheLeaderWhichServesIt() {
    int leader = leader();
    int follower = (leader + 1) % 3;
    Map<String, String> session = Map.of(HttpApi.CLIENT_ID_HEADER, "redirected", HttpApi.SEQ_HEADER, "1");
    Answer registered = HttpCalls.send(cluster.httpPort(follower), "POST", "/v1/sessions", (String) null,
        Map.of(HttpApi.CLIENT_ID_HEADER, "redirected"));
    assertThat(registered.status()).as(registered.toString()).isEqualTo(307);
    String sessions = registered.raw().headers().firstValue("Location").orElseThrow();
    assertThat(sessions).isEqualTo("http://127.0.0.1:" + cluster.httpPort(leader) + "/v1/sessions");
    assertThat(HttpCalls.send(cluster.httpPort(leader), "POST", "/v1/sessions", (String) null,
        Map.of(HttpApi.CLIENT_ID_HEADER, "redirected")).status()).isEqualTo(200);

    Answer put = HttpCalls.send(cluster.httpPort(follower), "PUT", "/v1/kv/a%2Fb?x=1", "v1", session);
    assertThat(put.status()).as(put.toString()).isEqualTo(307);
    assertThat(put.json().get("error").asText()).isEqualTo("not_leader");
    URI location = URI.create(put.raw().headers().firstValue("Location").orElseThrow());
    assertThat(location.getPort()).isEqualTo(cluster.httpPort(leader));
    assertThat(location.getRawPath() + "?" + location.getRawQuery()).isEqualTo("/v1/kv/a%2Fb?x=1");
    // Nothing was written by the redirect.
    Answer before = HttpCalls.get(cluster.httpPort(leader), "/v1/kv/a%2Fb");
    assertThat(before.json().get("value").isNull()).as(before.toString()).isTrue();

    // Following it, as curl -L does, writes once.
    Answer followed = HttpCalls.send(cluster.httpPort(leader), "PUT", "/v1/kv/a%2Fb?x=1", "v1", session);
    assertThat(followed.status()).as(followed.toString()).isEqualTo(200);
    assertThat(followed.json().get("duplicate").asBoolean()).isFalse();

    // Reads stay where they arrive; a write to the leader is served by it.
    Answer read = HttpCalls.get(cluster.httpPort(follower), "/v1/kv/a%2Fb");
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.json().get("value").asText()).isEqualTo("v1");
    Answer incr = HttpCalls.send(cluster.httpPort((leader + 2) % 3), "POST", "/v1/kv/a%2Fb/incr", (String) null, Map.of());
    assertThat(incr.status()).isEqualTo(307);
  }

  @Test
  void settingsRefuseAnUnknownMode() {
    assertThat(HttpSettings.fromConfig(ConfigFactory.parseString("raftkv.http.follower-writes = forward")
            .withFallback(ConfigFactory.defaultReference())).redirectWrites()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpSettings.fromConfig(
            ConfigFactory.parseString("raftkv.http.follower-writes = bounce").withFallback(ConfigFactory.defaultReference())))
        .hasMessage("raftkv.http.follower-writes is 'bounce': forward or redirect");
  }
}
