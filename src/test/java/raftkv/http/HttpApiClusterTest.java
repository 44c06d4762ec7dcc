package raftkv.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import raftkv.it.NodeProcesses;
import raftkv.testkit.HttpCalls;
import raftkv.testkit.HttpCalls.Answer;
import raftkv.testkit.HttpCluster;
import raftkv.testkit.PromText;

/**
 * The HTTP API of a real three-node cluster in one JVM (Artery on 127.0.0.1, in-memory storage):
 * forwarding from followers, exactly-once retries under the session headers, every error code the
 * API can produce, {@code /metrics}, {@code /health} and {@code /ready}. The tests that cut nodes
 * off run last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HttpApiClusterTest {

  private static HttpCluster cluster;

  @BeforeAll
  static void start() {
    cluster =
        HttpCluster.start(
            3, 7, ConfigFactory.parseString("raftkv.http.request-timeout = 1500ms\nakka.loglevel = INFO"));
    leader(); // waits for one
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  /** The index of the node that says it leads, once every node knows it. */
  static int leader() {
    return cluster.leader();
  }

  static int follower() {
    return (leader() + 1) % cluster.size();
  }

  static int otherFollower() {
    return (leader() + 2) % cluster.size();
  }

  static Answer put(int node, String key, String value, Map<String, String> headers) {
    return HttpCalls.send(cluster.httpPort(node), "PUT", "/v1/kv/" + key, value, headers);
  }

  static Answer get(int node, String key) {
    return HttpCalls.get(cluster.httpPort(node), "/v1/kv/" + key);
  }

  static Answer post(int node, String path, String body, Map<String, String> headers) {
    return HttpCalls.send(cluster.httpPort(node), "POST", path, body, headers);
  }

  static Map<String, String> session(String clientId, long seq) {
    return Map.of(HttpApi.CLIENT_ID_HEADER, clientId, HttpApi.SEQ_HEADER, Long.toString(seq));
  }

  static String register(int node) {
    Answer a = post(node, "/v1/sessions", null, Map.of());
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    return a.json().get("clientId").asText();
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void aFollowerForwardsWritesToTheLeaderAndServesLinearizableReads() {
    int f = follower();
    Answer put = put(f, "greeting", "hello", Map.of());
    assertThat(put.status()).as(put.toString()).isEqualTo(200);
    assertThat(put.json().get("ok").asBoolean()).isTrue();
    assertThat(put.json().get("index").asLong()).isPositive();

    Answer got = get(otherFollower(), "greeting");
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.body()).isEqualTo("{\"ok\":true,\"value\":\"hello\"}");
    Answer stale = HttpCalls.get(cluster.httpPort(leader()), "/v1/kv/greeting?stale=true");
    assertThat(stale.json().get("value").asText()).isEqualTo("hello");
  }

  @Test
  @Order(2)
  void aRetriedWriteWithTheSameSessionAppliesOnce() {
    int f = follower();
    // Without headers: a fresh session, seq 1, named in the answer's headers.
    Answer first = post(f, "/v1/kv/counter/incr", null, Map.of());
    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    assertThat(first.json().get("value").asText()).isEqualTo("1");
    assertThat(first.json().get("duplicate").asBoolean()).isFalse();
    String clientId = first.header(HttpApi.CLIENT_ID_HEADER).orElseThrow();
    assertThat(first.header(HttpApi.SEQ_HEADER)).contains("1");

    // The same request again, at another node, with the session it named: applied once.
    Answer retry = post(otherFollower(), "/v1/kv/counter/incr", null, session(clientId, 1));
    assertThat(retry.status()).isEqualTo(200);
    assertThat(retry.json().get("value").asText()).isEqualTo("1");
    assertThat(retry.json().get("duplicate").asBoolean()).isTrue();
    assertThat(retry.json().get("index").asLong()).isEqualTo(first.json().get("index").asLong());
    assertThat(get(leader(), "counter").json().get("value").asText()).isEqualTo("1");

    // A registered session: a PUT retried is a duplicate with the first index.
    String id = register(f);
    Answer p1 = put(f, "k", "v", session(id, 1));
    Answer p2 = put(leader(), "k", "v", session(id, 1));
    assertThat(p1.status()).isEqualTo(200);
    assertThat(p2.json().get("duplicate").asBoolean()).isTrue();
    assertThat(p2.json().get("index").asLong()).isEqualTo(p1.json().get("index").asLong());
    assertThat(p2.header(HttpApi.CLIENT_ID_HEADER)).contains(id);
  }

  @Test
  @Order(3)
  void keysArePercentEncodedPathSegments() {
    int n = follower();
    String encoded = "a%2Fb%20c+%C3%BC";
    assertThat(put(n, encoded, "x", Map.of()).status()).isEqualTo(200);
    assertThat(get(n, encoded).json().get("value").asText()).isEqualTo("x");
    // The value is read back by the key itself, not by another encoding of it.
    assertThat(get(n, "a%2Fb%20c%2B%C3%BC").json().get("value").asText()).isEqualTo("x");
    assertThat(get(n, "a%2Fb%20c%2B%C3%BC").status()).isEqualTo(200);
    Answer notUtf8 = get(n, "%FF");
    assertThat(notUtf8.status()).isEqualTo(400);
    assertThat(notUtf8.json().get("error").asText()).isEqualTo("invalid_request");
  }

  @Test
  @Order(4)
  void casAndIncr() {
    int n = follower();
    Answer created = post(n, "/v1/kv/lock/cas", "{\"expected\":null,\"value\":\"mine\"}", Map.of());
    assertThat(created.status()).as(created.toString()).isEqualTo(200);
    Answer mismatch = post(n, "/v1/kv/lock/cas", "{\"expected\":null,\"value\":\"yours\"}", Map.of());
    assertThat(mismatch.status()).isEqualTo(409);
    assertThat(mismatch.body()).isEqualTo("{\"ok\":false,\"error\":\"cas_mismatch\",\"value\":\"mine\"}");
    Answer swapped = post(n, "/v1/kv/lock/cas", "{\"expected\":\"mine\",\"value\":\"yours\"}", Map.of());
    assertThat(swapped.status()).isEqualTo(200);
    Answer plus5 = post(n, "/v1/kv/n/incr?delta=5", null, Map.of());
    assertThat(plus5.json().get("value").asText()).isEqualTo("5");
  }

  @Test
  @Order(5)
  void everyErrorHasItsCodeAndStatus() {
    int n = follower();
    expect(get(n, "absent"), 404, null);
    assertThat(get(n, "absent").body()).isEqualTo("{\"ok\":true,\"value\":null}");

    put(n, "text", "abc", Map.of());
    expect(post(n, "/v1/kv/text/incr", null, Map.of()), 409, "not_a_number");
    post(n, "/v1/kv/big/incr?delta=" + Long.MAX_VALUE, null, Map.of());
    expect(post(n, "/v1/kv/big/incr", null, Map.of()), 409, "overflow");

    expect(put(n, "large", "x".repeat(1 << 20) + "x", Map.of()), 413, "too_large");
    expect(put(n, "k".repeat(1025), "v", Map.of()), 413, "too_large");
    Answer binary = HttpCalls.send(cluster.httpPort(n), "PUT", "/v1/kv/bin", new byte[] {(byte) 0xff, 0}, Map.of());
    expect(binary, 415, "invalid_request");
    Answer latin1 = HttpCalls.send(cluster.httpPort(n), "PUT", "/v1/kv/l1", "x",
        Map.of("Content-Type", "text/plain; charset=ISO-8859-1"));
    expect(latin1, 415, "invalid_request");

    expect(put(n, "k", "v", Map.of(HttpApi.CLIENT_ID_HEADER, "c")), 400, "invalid_request");
    expect(put(n, "k", "v", session("c", 0)), 400, "invalid_request");
    expect(put(n, "k", "v", Map.of(HttpApi.CLIENT_ID_HEADER, "c", HttpApi.SEQ_HEADER, "one")), 400, "invalid_request");
    expect(post(n, "/v1/kv/k/cas", "{\"value\":\"v\"}", Map.of()), 400, "invalid_request");
    expect(post(n, "/v1/kv/k/cas", "not json", Map.of()), 400, "invalid_request");
    expect(post(n, "/v1/kv/k/incr?delta=x", null, Map.of()), 400, "invalid_request");
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv/k?stale=maybe"), 400, "invalid_request");
    HttpCalls.RawAnswer malformed = HttpCalls.raw(cluster.httpPort(n), "GET /v1/kv/k%zz HTTP/1.1");
    assertThat(malformed.status()).as(malformed.toString()).isEqualTo(400);
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv/k/other"), 404, "invalid_request");
    expect(HttpCalls.get(cluster.httpPort(n), "/nothing"), 404, "invalid_request");
    expect(post(n, "/v1/kv/k", "v", Map.of()), 405, "invalid_request");
    expect(post(n, "/health", null, Map.of()), 405, "invalid_request");

    Answer unregistered = put(n, "k", "v", session("never-registered", 1));
    expect(unregistered, 410, "session_expired");
    assertThat(unregistered.json().get("outcome").asText()).isEqualTo("unknown");

    String id = register(n);
    assertThat(put(n, "k", "a", session(id, 1)).status()).isEqualTo(200);
    expect(put(n, "k", "b", session(id, 1)), 409, "seq_reused");
    for (int seq = 2; seq <= 17; seq++) {
      assertThat(put(n, "k", "a" + seq, session(id, seq)).status()).isEqualTo(200);
    }
    Answer stale = put(n, "k", "a", session(id, 1)); // seq 1's result is no longer kept
    expect(stale, 409, "stale_request");
    assertThat(stale.json().get("outcome").asText()).isEqualTo("unknown");
  }

  @Test
  @Order(6)
  void statusIsTheNodesOwnView() {
    int l = leader();
    JsonNode s = HttpCalls.get(cluster.httpPort(l), "/v1/status").json();
    assertThat(s.get("id").asInt()).isEqualTo(l + 1);
    assertThat(s.get("role").asText()).isEqualTo("leader");
    assertThat(s.get("address").asText()).isEqualTo(cluster.endpoints().get(l).toString());
    assertThat(s.get("commitIndex").asLong()).isPositive();
    assertThat(s.get("peers")).hasSize(2);
    JsonNode f = HttpCalls.get(cluster.httpPort(follower()), "/v1/status").json();
    assertThat(f.get("role").asText()).isEqualTo("follower");
    assertThat(f.get("leader").asInt()).isEqualTo(l + 1);
  }

  @Test
  @Order(7)
  void metricsAreInThePrometheusTextFormat() {
    int l = leader();
    assertThat(get(l, "greeting").status()).isEqualTo(200); // a linearizable read on the leader
    Answer a = HttpCalls.get(cluster.httpPort(l), "/metrics");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.header("Content-Type").orElseThrow()).startsWith("text/plain");
    Map<String, PromText.Family> m = PromText.parse(a.body());
    assertThat(m.get("raftkv_role").value("raftkv_role", Map.of("role", "leader"))).contains(1.0);
    assertThat(m.get("raftkv_role").value("raftkv_role", Map.of("role", "follower"))).contains(0.0);
    assertThat(value(m, "raftkv_term", "gauge")).isPositive();
    assertThat(value(m, "raftkv_leader_id", "gauge")).isEqualTo(l + 1);
    assertThat(value(m, "raftkv_commit_index", "gauge")).isPositive();
    assertThat(value(m, "raftkv_applied_index", "gauge")).isPositive();
    assertThat(value(m, "raftkv_elections_started", "counter")).isGreaterThanOrEqualTo(1);
    assertThat(value(m, "raftkv_elections_won", "counter")).isGreaterThanOrEqualTo(1);
    assertThat(value(m, "raftkv_election_timeouts", "counter")).isGreaterThanOrEqualTo(1);
    assertThat(value(m, "raftkv_leader_changes", "counter")).isGreaterThanOrEqualTo(1);
    assertThat(value(m, "raftkv_proposals_committed", "counter")).isGreaterThan(20);
    assertThat(m.get("raftkv_proposals_failed_total").type()).isEqualTo("counter");
    PromText.Family lag = m.get("raftkv_follower_match_lag");
    assertThat(lag.samples()).hasSize(2);
    assertThat(lag.samples()).allSatisfy(s -> assertThat(s.labels()).containsKey("peer"));
    assertThat(count(m, "raftkv_log_append_seconds", Map.of("synced", "false"))).isPositive();
    assertThat(count(m, "raftkv_log_sync_seconds", Map.of())).isPositive();
    assertThat(count(m, "raftkv_read_index_seconds", Map.of())).isPositive();
    assertThat(m).containsKeys("jvm_memory_used_bytes", "jvm_threads_current", "raftkv_http_requests_total");

    Map<String, PromText.Family> f = PromText.parse(HttpCalls.get(cluster.httpPort(follower()), "/metrics").body());
    assertThat(count(f, "raftkv_log_append_seconds", Map.of("synced", "true"))).isPositive();
    PromText.Family followerLag = f.get("raftkv_follower_match_lag"); // no samples: may be left out
    assertThat(followerLag == null ? java.util.List.of() : followerLag.samples()).isEmpty();
  }

  /** Every page of {@code GET /v1/kv?QUERY} at {@code node}, following the continuations. */
  static List<JsonNode> pages(int node, String query) {
    List<JsonNode> pages = new ArrayList<>();
    String after = null;
    do {
      String path = "/v1/kv?" + query + (after == null ? "" : "&after=" + after);
      Answer a = HttpCalls.get(cluster.httpPort(node), path);
      assertThat(a.status()).as(a.toString()).isEqualTo(200);
      assertThat(a.json().get("ok").asBoolean()).isTrue();
      pages.add(a.json());
      after = a.json().get("continuation").isNull() ? null : a.json().get("continuation").asText();
    } while (after != null && pages.size() < 100);
    return pages;
  }

  static List<String> keys(List<JsonNode> pages) {
    List<String> keys = new ArrayList<>();
    for (JsonNode p : pages) {
      p.get("entries").forEach(e -> keys.add(e.get("key").asText()));
    }
    return keys;
  }

  @Test
  @Order(8)
  void aScanPagesThroughThePrefixAndSeesTheWritesJustAcknowledged() {
    int f = follower();
    List<String> written = new ArrayList<>();
    for (String k : List.of("hs%2F1", "hs%2F2", "hs%2F3", "hs%2F4", "hs%2F5", "hs0", "ht")) {
      assertThat(put(leader(), k, "v-" + k, Map.of()).status()).isEqualTo(200);
      if (k.startsWith("hs%2F")) {
        written.add(k.replace("%2F", "/"));
      }
      // Linearizable through a follower: each write the leader acknowledged is there at once.
      List<JsonNode> pages = pages(f, "prefix=hs%2F&limit=2");
      assertThat(keys(pages)).as("after %s", k).isEqualTo(written);
      assertThat(pages).allSatisfy(p -> assertThat(p.get("entries").size()).isLessThanOrEqualTo(2));
    }
    List<JsonNode> pages = pages(f, "prefix=hs%2F&limit=2");
    assertThat(pages).hasSize(3);
    assertThat(pages.get(0).toString())
        .isEqualTo("{\"ok\":true,\"entries\":[{\"key\":\"hs/1\",\"value\":\"v-hs%2F1\"},"
            + "{\"key\":\"hs/2\",\"value\":\"v-hs%2F2\"}],\"continuation\":\""
            + pages.get(0).get("continuation").asText() + "\"}");
    assertThat(pages.get(2).get("continuation").isNull()).isTrue();
    // A prefix matches only keys that start with it: "hs" takes hs0, not ht.
    assertThat(keys(pages(f, "prefix=hs"))).containsExactly("hs/1", "hs/2", "hs/3", "hs/4", "hs/5", "hs0");
    assertThat(keys(pages(f, "prefix=nothing-here"))).isEmpty();
    // Keys only: no value fields.
    JsonNode keysOnly = pages(f, "prefix=hs%2F&keys_only=true").get(0);
    assertThat(keysOnly.get("entries").get(0).toString()).isEqualTo("{\"key\":\"hs/1\"}");
    // No prefix: every key, in byte order, the ones written here among them.
    List<String> all = keys(pages(f, ""));
    assertThat(all).containsSubsequence("hs/1", "hs/5", "hs0", "ht");
    assertThat(all).isSortedAccordingTo(
        (a, b) -> java.util.Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));

    // Stale: from the follower's own state, which catches up with the next heartbeat.
    assertThat(put(leader(), "hs%2F6", "v", Map.of()).status()).isEqualTo(200);
    NodeProcesses.await("a stale scan that shows hs/6", Duration.ofSeconds(5), () -> {
      Answer stale = HttpCalls.get(cluster.httpPort(f), "/v1/kv?prefix=hs%2F&stale=true&keys_only");
      return keys(List.of(stale.json())).contains("hs/6") ? Optional.of(true) : Optional.empty();
    });

    // Bad input: one JSON error each, nothing scanned.
    int n = f;
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv?limit=0"), 400, "invalid_request");
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv?limit=10001"), 400, "invalid_request");
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv?limit=ten"), 400, "invalid_request");
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv?after=***"), 400, "invalid_request");
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv?keys_only=maybe"), 400, "invalid_request");
    expect(HttpCalls.get(cluster.httpPort(n), "/v1/kv?prefix=" + "k".repeat(1025)), 413, "too_large");
    expect(post(n, "/v1/kv", null, Map.of()), 405, "invalid_request");
  }

  @Test
  @Order(9)
  void healthAndReadinessWithALeader() {
    for (int i = 0; i < cluster.size(); i++) {
      Answer h = HttpCalls.get(cluster.httpPort(i), "/health");
      assertThat(h.status()).as(h.toString()).isEqualTo(200);
      assertThat(h.json().get("ok").asBoolean()).isTrue();
      assertThat(HttpCalls.get(cluster.httpPort(i), "/ready").status()).isEqualTo(200);
    }
  }

  @Test
  @Order(10)
  void healthIs503WhileAFollowerIsCutOffFromTheLeader() {
    int l = leader();
    int f = follower();
    cluster.isolate(f);
    try {
      Answer sick = NodeProcesses.await("503 from the cut-off follower", Duration.ofSeconds(10), () -> {
        Answer a = HttpCalls.get(cluster.httpPort(f), "/health");
        return a.status() == 503 ? Optional.of(a) : Optional.empty();
      });
      assertThat(sick.json().get("ok").asBoolean()).isFalse();
      assertThat(sick.json().get("reason").asText()).startsWith("no leader known in term");
      assertThat(HttpCalls.get(cluster.httpPort(f), "/ready").status()).isEqualTo(200);
      assertThat(HttpCalls.get(cluster.httpPort(l), "/health").status()).isEqualTo(200);
    } finally {
      cluster.heal();
    }
    NodeProcesses.await("200 once healed", Duration.ofSeconds(10), () ->
        HttpCalls.get(cluster.httpPort(f), "/health").status() == 200 ? Optional.of(true) : Optional.empty());
  }

  @Test
  @Order(11)
  void withoutALeaderWritesTimeOutAndReadsAreUnavailable() {
    String id = register(leader());
    for (int i = 0; i < cluster.size(); i++) {
      cluster.isolate(i);
    }
    try {
      NodeProcesses.await("no node knows a leader", Duration.ofSeconds(10), () -> {
        for (int i = 0; i < cluster.size(); i++) {
          if (HttpCalls.get(cluster.httpPort(i), "/health").status() != 503) {
            return Optional.empty();
          }
        }
        return Optional.of(true);
      });
      Answer write = put(0, "k", "v", session(id, 1));
      expect(write, 504, "timeout");
      assertThat(write.json().get("outcome").asText()).isEqualTo("unknown");
      assertThat(write.json().get("message").asText()).contains(HttpApi.SEQ_HEADER + ": 1");
      expect(put(0, "k", "v", Map.of()), 503, "unavailable");
      expect(get(0, "k"), 503, "unavailable");
    } finally {
      cluster.heal();
    }
    leader();
  }

  // ---------------------------------------------------------------------------------------------

  private static void expect(Answer a, int status, String code) {
    assertThat(a.status()).as(a.toString()).isEqualTo(status);
    assertThat(a.header("Content-Type").orElse("")).as(a.toString()).startsWith("application/json");
    JsonNode j = a.json();
    if (code == null) {
      return;
    }
    assertThat(j.get("ok").asBoolean()).isFalse();
    assertThat(j.get("error").asText()).as(a.toString()).isEqualTo(code);
    assertThat(a.body()).doesNotContain("\tat ").doesNotContain("Exception");
  }

  private static double value(Map<String, PromText.Family> m, String family, String type) {
    // The text format names a counter's family with its _total, as its sample.
    PromText.Family f = m.get(type.equals("counter") ? family + "_total" : family);
    assertThat(f).as(family).isNotNull();
    assertThat(f.type()).isEqualTo(type);
    String sample = type.equals("counter") ? family + "_total" : family;
    return f.value(sample, Map.of()).orElseThrow();
  }

  private static double count(Map<String, PromText.Family> m, String family, Map<String, String> labels) {
    PromText.Family f = m.get(family);
    assertThat(f).as(family).isNotNull();
    assertThat(f.type()).isEqualTo("histogram");
    return f.value(family + "_count", new HashMap<>(labels)).orElseThrow();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
