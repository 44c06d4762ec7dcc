package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

/** {@link HttpShell}'s commands, and its attempts against stand-in nodes on 127.0.0.1. */
class HttpShellTest {

  /** One request a stand-in node got. */
  record Seen(String node, String method, String path, String clientId, String seq, String body) {}

  /** What a stand-in node answers: status and body, or null to hang until the client gives up. */
  record Reply(int status, String body) {}

  private final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<HttpServer> servers = new ArrayList<>();
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(0));
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  @Test
  void theWorkloadsCommandsBecomeRequests() {
    assertThat(HttpShell.parse("get k1"))
        .isEqualTo(new HttpShell.Request("GET", "/v1/kv/k1", null, null, false, "get k1"));
    assertThat(HttpShell.parse("put k1 5"))
        .isEqualTo(
            new HttpShell.Request("PUT", "/v1/kv/k1", "5", "text/plain; charset=utf-8", true, "put k1 5"));
    assertThat(HttpShell.parse("delete k2").method()).isEqualTo("DELETE");
    assertThat(HttpShell.parse("incr k3 4").path()).isEqualTo("/v1/kv/k3/incr?delta=4");
    assertThat(HttpShell.parse("incr k3").path()).isEqualTo("/v1/kv/k3/incr?delta=1");
    HttpShell.Request cas = HttpShell.parse("cas k4 5 9");
    assertThat(cas.path()).isEqualTo("/v1/kv/k4/cas");
    assertThat(cas.body()).isEqualTo("{\"expected\":\"5\",\"value\":\"9\"}");
    assertThat(HttpShell.parse("cas --absent k4 9").body()).isEqualTo("{\"expected\":null,\"value\":\"9\"}");
    assertThat(HttpShell.parse("cas --absent k4 9").write()).isTrue();
  }

  @Test
  void theWorkloadsOwnLinesAllParse() {
    Workload w = new Workload(10, new java.util.Random(7));
    for (int i = 0; i < 500; i++) {
      Workload.Request r = w.next();
      HttpShell.Request h = HttpShell.parse(r.line());
      assertThat(h.write()).as(r.line()).isEqualTo(r.kind() != Kind.GET);
    }
  }

  @Test
  void keysArePercentEncodedAsOnePathSegment() {
    assertThat(HttpShell.keyPath("a/b c+é")).isEqualTo("/v1/kv/a%2Fb%20c%2B%C3%A9");
  }

  @Test
  void anythingElseIsAUsageLine() {
    HttpShell shell = shell(List.of("127.0.0.1:1"));
    assertThat(shell.run("status")).startsWith("{\"ok\":false,\"error\":\"usage\",\"message\":\"unknown command 'status'");
    assertThat(shell.run("put k1")).contains("\"error\":\"usage\"").contains("wrong arguments to put");
    assertThat(shell.run("incr k1 x")).contains("\"error\":\"usage\"");
    assertThat(seen).isEmpty();
  }

  @Test
  void badOptionsAreRefusedInOneLine() {
    assertThatThrownBy(() -> HttpShell.create(new String[] {"--nodes", "nohost"}, new PrintStream(log)))
        .hasMessage("--nodes takes HOST:PORT, comma-separated, not 'nohost'");
    assertThatThrownBy(
            () -> HttpShell.create(new String[] {"--nodes", "h:1", "--timeout", "3"}, new PrintStream(log)))
        .hasMessageContaining("--timeout must be a positive whole number of s or ms");
    assertThatThrownBy(
            () -> HttpShell.create(new String[] {"--nodes", "h:1", "--first", "1"}, new PrintStream(log)))
        .hasMessage("--first must be from 0 to 0, not 1");
    assertThat(HttpShell.duration("--timeout", "250ms")).isEqualTo(Duration.ofMillis(250));
  }

  // ---------------------------------------------------------------------------------------------
  // Against stand-in nodes

  @Test
  void aWriteRegistersASessionThenNumbersItsWrites() throws IOException {
    String node = node("n1", ok());
    HttpShell shell = shell(List.of(node));
    assertThat(shell.run("put k1 5")).isEqualTo("{\"ok\":true,\"index\":9,\"duplicate\":false}");
    assertThat(shell.run("incr k1 2")).isEqualTo("{\"ok\":true,\"index\":9,\"duplicate\":false}");
    assertThat(shell.run("get k1")).isEqualTo("{\"ok\":true,\"value\":\"7\"}");
    assertThat(seen)
        .containsExactly(
            new Seen("n1", "POST", "/v1/sessions", null, null, ""),
            new Seen("n1", "PUT", "/v1/kv/k1", "@4.1", "1", "5"),
            new Seen("n1", "POST", "/v1/kv/k1/incr?delta=2", "@4.1", "2", ""),
            new Seen("n1", "GET", "/v1/kv/k1", null, null, ""));
  }

  @Test
  void aRefusedConnectionMovesOnToTheNextNode() throws IOException {
    String dead = closedPort();
    String live = node("n2", ok());
    HttpShell shell = shell(List.of(dead, live));
    assertThat(Workload.completed(PUT, 1, 0, shell.run("put k1 5"), 1, 2).outcome()).isEqualTo(Outcome.OK);
    assertThat(seen).extracting(Seen::node).containsExactly("n2", "n2");
  }

  @Test
  void aTimedOutWriteIsRetriedElsewhereUnderTheSameSessionAndSeq() throws IOException {
    String hangs = node("n1", hangsButRegisters());
    String answers = node("n2", (method, path) -> new Reply(200, "{\"ok\":true,\"index\":9,\"duplicate\":true}"));
    HttpShell shell = shell(List.of(hangs, answers));
    String line = shell.run("put k1 5");
    assertThat(Workload.completed(PUT, 1, 0, line, 1, 2).outcome()).isEqualTo(Outcome.OK);
    List<Seen> writes = seen.stream().filter(s -> s.method().equals("PUT")).toList();
    assertThat(writes).extracting(Seen::node).containsExactly("n1", "n2");
    assertThat(writes).extracting(Seen::clientId).containsOnly("@4.1");
    assertThat(writes).extracting(Seen::seq).containsOnly("1");
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("Lost[why=no response within");
  }

  @Test
  void aWriteNoNodeAnswersIsUnknownAndTheNextTakesTheNextSeq() throws IOException {
    String hangs = node("n1", hangsButRegisters());
    HttpShell shell = shell(List.of(hangs));
    String line = shell.run("put k1 5");
    assertThat(line).contains("\"error\":\"timeout\"").contains("\"outcome\":\"unknown\"");
    assertThat(Workload.completed(PUT, 1, 0, line, 1, 2).outcome()).isEqualTo(Outcome.UNKNOWN);
    shell.run("delete k1");
    assertThat(seen.stream().filter(s -> s.clientId() != null).map(Seen::seq).distinct().toList())
        .containsExactly("1", "2");
  }

  @Test
  void aWriteNoNodeCouldBeReachedForFailed() throws IOException {
    HttpShell shell = shell(List.of(closedPort(), closedPort()));
    String line = shell.run("put k1 5");
    assertThat(line).contains("\"error\":\"unavailable\"").contains("the write was not sent");
    assertThat(Workload.completed(PUT, 1, 0, line, 1, 2).outcome()).isEqualTo(Outcome.FAIL);
  }

  // ---------------------------------------------------------------------------------------------

  private static final Workload.Request PUT =
      new Workload.Request(Kind.PUT, "k1", "5", null, "put k1 5");

  private static final Reply REGISTERED = new Reply(200, "{\"ok\":true,\"clientId\":\"@4.1\",\"index\":4}");
  private static final Reply WRITTEN = new Reply(200, "{\"ok\":true,\"index\":9,\"duplicate\":false}");

  /** A node that registers sessions, answers every get with 7, and writes every write. */
  private static BiFunction<String, String, Reply> ok() {
    return (method, path) ->
        path.equals("/v1/sessions")
            ? REGISTERED
            : method.equals("GET") ? new Reply(200, "{\"ok\":true,\"value\":\"7\"}") : WRITTEN;
  }

  /** A node that registers sessions and never answers anything else. */
  private static BiFunction<String, String, Reply> hangsButRegisters() {
    return (method, path) -> path.equals("/v1/sessions") ? REGISTERED : null;
  }

  private HttpShell shell(List<String> nodes) {
    return HttpShell.create(
        new String[] {
          "--nodes", String.join(",", nodes), "--timeout", "1500ms", "--attempt-timeout", "400ms"
        },
        new PrintStream(log, true, StandardCharsets.UTF_8));
  }

  /** A port on 127.0.0.1 that nothing listens on. */
  private static String closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  /**
   * A stand-in node on 127.0.0.1: {@code answer} of the request's method and path (with the
   * query); null hangs for 3 s, longer than any client timeout here.
   */
  private String node(String name, BiFunction<String, String, Reply> answer) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> handle(name, answer, exchange));
    server.start();
    servers.add(server);
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(String name, BiFunction<String, String, Reply> answer, HttpExchange exchange)
      throws IOException {
    String query = exchange.getRequestURI().getRawQuery();
    String path = exchange.getRequestURI().getRawPath() + (query == null ? "" : "?" + query);
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String method = exchange.getRequestMethod();
    seen.add(
        new Seen(
            name, method, path,
            exchange.getRequestHeaders().getFirst("Raftkv-Client-Id"),
            exchange.getRequestHeaders().getFirst("Raftkv-Seq"),
            body));
    Reply r = answer.apply(method, path);
    if (r == null) {
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
      return;
    }
    byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(r.status(), bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
