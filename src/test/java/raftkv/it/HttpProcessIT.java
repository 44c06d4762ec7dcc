package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.HttpCalls;
import raftkv.testkit.HttpCalls.Answer;
import raftkv.testkit.PromText;

/**
 * The HTTP API of three real node processes (the jar, as {@code scripts/kvstore} runs it, each
 * with its default HTTP port, the Raft port + 1000): writes through a follower, a retried PUT
 * applied once, the error JSON, {@code /metrics} with the RocksDB and JVM figures, and {@code
 * /health} turning 503 on a node cut off from the leader (the two others frozen with SIGSTOP), then
 * 200 again.
 */
class HttpProcessIT {
  @TempDir static Path dir;
  static NodeProcesses nodes;

  @BeforeAll
  static void startCluster() throws Exception {
    nodes = new NodeProcesses(3, dir);
    for (int i = 0; i < 3; i++) {
      nodes.start(i);
    }
  }

  @AfterAll
  static void stopCluster() {
    if (nodes != null) {
      nodes.close();
    }
  }

  private static Optional<JsonNode> status(int i) {
    try {
      Answer a = HttpCalls.get(nodes.httpPort(i), "/v1/status");
      return a.status() == 200 ? Optional.of(a.json()) : Optional.empty();
    } catch (RuntimeException notUpYet) {
      return Optional.empty();
    }
  }

  /** The leader's index, once all three nodes follow it. */
  private static int leader() {
    return NodeProcesses.await("a leader all nodes follow", Duration.ofSeconds(60), () -> {
      Integer leader = null;
      for (int i = 0; i < 3; i++) {
        Optional<JsonNode> s = status(i);
        if (s.isEmpty() || s.get().get("leader").isNull()) {
          return Optional.empty();
        }
        int id = s.get().get("leader").asInt();
        if (leader != null && leader != id) {
          return Optional.empty();
        }
        leader = id;
      }
      return Optional.of(leader - 1);
    });
  }

  @Test
  void theHttpApiOfRealNodes() throws Exception {
    int l = leader();
    int f = (l + 1) % 3;
    int g = (l + 2) % 3;

    // A PUT through a follower, without a session: forwarded to the leader, seq 1 of a new one.
    Answer put = HttpCalls.send(nodes.httpPort(f), "PUT", "/v1/kv/greeting", "hello", Map.of());
    assertThat(put.status()).as(put.toString()).isEqualTo(200);
    String clientId = put.header("Raftkv-Client-Id").orElseThrow();
    long index = put.json().get("index").asLong();

    // Its retry, at the other follower with the same session: the first outcome, applied once.
    Answer retry = HttpCalls.send(nodes.httpPort(g), "PUT", "/v1/kv/greeting", "hello",
        Map.of("Raftkv-Client-Id", clientId, "Raftkv-Seq", "1"));
    assertThat(retry.status()).isEqualTo(200);
    assertThat(retry.json().get("duplicate").asBoolean()).isTrue();
    assertThat(retry.json().get("index").asLong()).isEqualTo(index);
    assertThat(HttpCalls.get(nodes.httpPort(g), "/v1/kv/greeting").body())
        .isEqualTo("{\"ok\":true,\"value\":\"hello\"}");

    Answer mismatch = HttpCalls.send(nodes.httpPort(f), "POST", "/v1/kv/greeting/cas",
        "{\"expected\":\"bye\",\"value\":\"x\"}", Map.of());
    assertThat(mismatch.status()).isEqualTo(409);
    assertThat(mismatch.body()).isEqualTo("{\"ok\":false,\"error\":\"cas_mismatch\",\"value\":\"hello\"}");

    Map<String, PromText.Family> m = PromText.parse(HttpCalls.get(nodes.httpPort(l), "/metrics").body());
    assertThat(m.get("raftkv_role").value("raftkv_role", Map.of("role", "leader"))).contains(1.0);
    assertThat(m).containsKeys("raftkv_rocksdb_sst_files_bytes", "raftkv_rocksdb_memtable_bytes",
        "raftkv_rocksdb_live_data_bytes", "jvm_memory_used_bytes", "raftkv_log_sync_seconds");
    assertThat(m.get("raftkv_rocksdb_memtable_bytes").samples().get(0).value()).isPositive();

    // Node f cut off from the leader: the two others frozen.
    assertThat(HttpCalls.get(nodes.httpPort(f), "/health").status()).isEqualTo(200);
    nodes.pause(l);
    nodes.pause(g);
    try {
      Answer sick = NodeProcesses.await("503 from the cut-off node", Duration.ofSeconds(15), () -> {
        Answer a = HttpCalls.get(nodes.httpPort(f), "/health");
        return a.status() == 503 ? Optional.of(a) : Optional.empty();
      });
      assertThat(sick.json().get("reason").asText()).startsWith("no leader known in term");
    } finally {
      nodes.resume(l);
      nodes.resume(g);
    }
    NodeProcesses.await("200 again", Duration.ofSeconds(30), () ->
        HttpCalls.get(nodes.httpPort(f), "/health").status() == 200 ? Optional.of(true) : Optional.empty());
    assertThat(nodes.logLines(f)).anyMatch(line -> line.contains("HTTP API listening on 127.0.0.1:" + nodes.httpPort(f)));
  }
}
