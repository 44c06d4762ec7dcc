package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import raftkv.common.TlsSettings;
import raftkv.testkit.DevCerts;

/**
 * TLS with real processes: three nodes started with {@code --tls-dir} (certificates from {@code
 * scripts/dev-certs.sh}) elect a leader over Artery {@code tls-tcp} and serve kv_client with the
 * client certificate, and HTTPS {@code /health} with it; a kv_client whose certificate another CA
 * signed, or one without TLS, is refused in one line and writes nothing; and a node whose
 * certificate another CA signed, restarted in node 3's place, never joins: it never hears from the
 * leader, and its log shows the refused handshakes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsProcessIT {
  private static final String PASSWORD = "tls-process-it";
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  /** kv_client's --timeout for requests that must succeed: generous, for a busy machine. */
  private static final String PATIENT = "20s";
  private static final int SIZE = 3;

  @TempDir static Path dir;
  static Path jar;
  static int basePort;
  static Path good;
  /** The foreign CA's client certificate, with the cluster's trust store: only the certificate is wrong. */
  static Path foreignClient;
  /**
   * The foreign CA's certificate as node-3.p12 (dev-certs.sh certificates may serve and connect
   * alike), with the cluster's trust store.
   */
  static Path foreignNode;
  static final Process[] nodes = new Process[SIZE + 1];
  /** HTTPS with the cluster's client certificate. */
  static HttpClient trusted;

  @BeforeAll
  static void startCluster() throws Exception {
    jar = NodeProcesses.shadedJar();
    basePort = NodeProcesses.freeBasePort(SIZE);
    // Two CAs: keytool is a JVM start per step, so both are made side by side.
    CompletableFuture<Path> foreign =
        CompletableFuture.supplyAsync(() -> devCerts(dir.resolve("foreign-ca"), 0));
    good = devCerts(dir.resolve("cluster-ca"), SIZE);
    Path other = foreign.join();
    foreignClient = mixed("foreign-client", other.resolve("client.p12"), "client.p12");
    foreignNode = mixed("foreign-node", other.resolve("client.p12"), "node-3.p12");
    for (int id = 1; id <= SIZE; id++) {
      start(id, good, "node-" + id);
    }
    trusted = httpClient(clientContext());
  }

  private static Path devCerts(Path d, int n) {
    try {
      return DevCerts.make(d, n, PASSWORD);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A --tls-dir holding {@code keyStore} (as {@code name}) and the cluster's trust store and password. */
  private static Path mixed(String dirName, Path keyStore, String name) throws IOException {
    Path d = Files.createDirectory(dir.resolve(dirName));
    Files.copy(keyStore, d.resolve(name));
    Files.copy(good.resolve("truststore.p12"), d.resolve("truststore.p12"));
    Files.copy(good.resolve("password"), d.resolve("password"));
    return d;
  }

  @AfterAll
  static void stopCluster() {
    for (int id = 1; id <= SIZE; id++) {
      stop(id);
    }
  }

  private static int port(int id) {
    return basePort + id;
  }

  private static int httpPort(int id) {
    return basePort + 1000 + id;
  }

  private static Path log(String name) {
    return dir.resolve(name + ".log");
  }

  /** Starts node {@code id} as scripts/kvstore does, with {@code tlsDir}; its output goes to {@code name}.log. */
  private static void start(int id, Path tlsDir, String name) throws IOException {
    List<String> peers = new ArrayList<>();
    for (int p = 1; p <= SIZE; p++) {
      if (p != id) {
        peers.add(String.valueOf(port(p)));
      }
    }
    List<String> cmd =
        List.of(
            java(), "-XX:+UseSerialGC", "-Xmx256m", "-jar", jar.toString(),
            "--id", String.valueOf(id),
            "--port", String.valueOf(port(id)),
            "--peers", String.join(",", peers),
            "--data-dir", dir.resolve("data-" + name).toString(),
            "--tls-dir", tlsDir.toString());
    nodes[id] =
        builder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(log(name).toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
  }

  /** SIGKILL by PID (the Process handle), and wait for it to be gone. */
  private static void stop(int id) {
    Process p = nodes[id];
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    nodes[id] = null;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static ProcessBuilder builder(List<String> command) {
    ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile());
    b.environment().keySet().removeIf(k -> k.startsWith("RAFTKV_")); // no RAFTKV_TLS_DIR from outside
    return b;
  }

  record Run(int code, String out, String err) {}

  /** kv_client as its own process (the client's ActorSystem, its own TLS), against all three nodes. */
  private static Run kvClient(Optional<Path> tlsDir, String timeout, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", jar.toString(),
                "raftkv.cli.KvClient", "--peers", port(1) + "," + port(2) + "," + port(3), "--timeout", timeout));
    tlsDir.ifPresent(d -> cmd.addAll(List.of("--tls-dir", d.toString())));
    cmd.addAll(List.of(args));
    Process p = builder(cmd).start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    String out = read(p.getInputStream());
    if (!p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kv_client timed out: " + cmd);
    }
    return new Run(p.exitValue(), out, err.join());
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static SSLContext clientContext() {
    return new TlsSettings(good.resolve("client.p12"), good.resolve("truststore.p12"), PASSWORD, false).sslContext();
  }

  /** Trusts the cluster's CA, but shows no certificate of its own. */
  private static SSLContext noCertificate() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(good.resolve("truststore.p12"))) {
      trust.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext c = SSLContext.getInstance("TLSv1.3");
    c.init(null, tmf.getTrustManagers(), null);
    return c;
  }

  private static HttpClient httpClient(SSLContext context) {
    return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");

  /** The leader node {@code id} knows of, over HTTPS with the client certificate. */
  private static Optional<Integer> leaderSeenBy(int id) {
    try {
      HttpResponse<String> r = get(trusted, "https://127.0.0.1:" + httpPort(id) + "/v1/status");
      Matcher m = LEADER.matcher(r.body());
      return r.statusCode() == 200 && m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (Exception notUpYet) {
      return Optional.empty();
    }
  }

  /**
   * One of {@code ids} that all of {@code ids} follow. A node that was just stopped is not an
   * answer, though the others may still name it until their election timeouts fire.
   */
  private static int leaderOf(int... ids) throws IOException {
    try {
      return NodeProcesses.await("a leader among nodes " + Arrays.toString(ids) + " that they all follow", DEADLINE, () -> {
        Integer leader = null;
        for (int id : ids) {
          Optional<Integer> l = leaderSeenBy(id);
          if (l.isEmpty() || (leader != null && !leader.equals(l.get()))) {
            return Optional.empty();
          }
          leader = l.get();
        }
        Integer agreed = leader;
        return Arrays.stream(ids).anyMatch(id -> agreed != null && id == agreed) ? Optional.of(agreed) : Optional.empty();
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the ends of the logs:\n" + logTails(), e);
    }
  }

  /** The last lines of every node log, for a failure's message. */
  private static String logTails() throws IOException {
    StringBuilder b = new StringBuilder();
    try (var logs = Files.newDirectoryStream(dir, "*.log")) {
      for (Path log : logs) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        b.append("== ").append(log.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> b.append(l).append('\n'));
      }
    }
    return b.toString();
  }

  private static long count(String logName, String text) throws IOException {
    Path log = log(logName);
    if (!Files.exists(log)) {
      return 0;
    }
    return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.contains(text)).count();
  }

  @Test
  @Order(1)
  void aClientWithTheClusterCertificateIsServed() throws Exception {
    leaderOf(1, 2, 3);
    assertThat(Files.readString(log("node-1"))).contains("Remoting started with transport [Artery tls-tcp]");

    Run put = kvClient(Optional.of(good), PATIENT, "put", "tls:key", "secret value");
    assertThat(put.code()).as(put + "\n" + logTails()).isZero();
    assertThat(put.out()).startsWith("OK");
    Run read = kvClient(Optional.of(good), PATIENT, "get", "tls:key");
    assertThat(read.code()).as(read.toString()).isZero();
    assertThat(read.out().strip()).isEqualTo("secret value");
  }

  @Test
  @Order(2)
  void httpsNeedsTheClientCertificate() throws Exception {
    int leader = leaderOf(1, 2, 3);
    HttpResponse<String> health = get(trusted, "https://127.0.0.1:" + httpPort(leader) + "/health");
    assertThat(health.statusCode()).as(health.body()).isEqualTo(200);

    // The CA is trusted, but no certificate is shown: the node ends the handshake.
    assertThatThrownBy(() -> get(httpClient(noCertificate()), "https://127.0.0.1:" + httpPort(leader) + "/health"))
        .isInstanceOf(IOException.class);
    // Plain HTTP on the HTTPS port gets no answer.
    assertThatThrownBy(() -> get(trusted, "http://127.0.0.1:" + httpPort(leader) + "/health"))
        .isInstanceOf(IOException.class);
  }

  @Test
  @Order(3)
  void aClientWithAForeignCertificateOrNoneIsRefusedAndWritesNothing() throws Exception {
    leaderOf(1, 2, 3);
    Run foreign = kvClient(Optional.of(foreignClient), "3s", "put", "tls:intruder", "foreign");
    assertThat(foreign.code()).as(foreign.toString()).isEqualTo(1);
    assertThat(foreign.out()).isEmpty();
    assertThat(foreign.err().lines()).as(foreign.err()).hasSize(1);
    assertThat(foreign.err()).contains("refused this client's certificate").contains("nothing was sent");

    Run status = kvClient(Optional.of(foreignClient), "3s", "status");
    assertThat(status.code()).as(status.toString()).isEqualTo(3); // no node reachable
    assertThat(status.out()).contains("unreachable");
    assertThat(status.err().lines()).as(status.err()).hasSize(1);
    assertThat(status.err()).startsWith("error: TLS: ").contains("refused this client's certificate");

    Run plain = kvClient(Optional.empty(), "3s", "put", "tls:intruder", "plain");
    assertThat(plain.code()).as(plain.toString()).isEqualTo(1);
    assertThat(plain.err().lines()).as(plain.err()).hasSize(1);
    assertThat(plain.err()).contains("the nodes require TLS and this client has none");

    Run read = kvClient(Optional.of(good), PATIENT, "get", "tls:intruder");
    assertThat(read.code()).as(read.toString()).isZero();
    assertThat(read.out().strip()).isEqualTo("(nil)");
  }

  @Test
  @Order(4)
  void aNodeWithAForeignCertificateCannotJoin() throws Exception {
    stop(3);
    start(3, foreignNode, "foreign-node-3");
    int leader = leaderOf(1, 2);

    // Nodes 1 and 2 go on serving: a majority of three.
    Run put = kvClient(Optional.of(good), PATIENT, "put", "tls:after", "two of three");
    assertThat(put.code()).as(put + "\n" + logTails()).isZero();

    // The foreign node runs (its election timeouts keep firing) but hears from no leader, and its
    // log shows why: the handshakes the others refuse.
    NodeProcesses.await("the foreign node's refused handshakes and election timeouts", DEADLINE, () -> {
      try {
        return count("foreign-node-3", "SSLHandshakeException") >= 1
                && count("foreign-node-3", "Election timeout") >= 5
            ? Optional.of(true)
            : Optional.empty();
      } catch (IOException e) {
        return Optional.empty();
      }
    });
    assertThat(nodes[3].isAlive()).isTrue();
    String foreignLog = Files.readString(log("foreign-node-3"));
    assertThat(foreignLog).doesNotContain("Following leader").doesNotContain("AppendEntries from");
    assertThat(leaderOf(1, 2)).isEqualTo(leader);
  }
}
