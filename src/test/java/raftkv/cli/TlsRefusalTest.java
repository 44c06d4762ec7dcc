package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.DevCerts;

/**
 * Bad TLS settings stop kvstore and kv_client before anything starts, in one line with a non-zero
 * exit, never a stack trace: a missing store, a wrong password, a --tls-dir that is not one.
 */
class TlsRefusalTest {
  private static final String PASSWORD = "tls-refusal-test";

  @TempDir static Path tmp;
  static Path certs;

  @BeforeAll
  static void makeCerts() throws Exception {
    certs = DevCerts.make(tmp.resolve("certs"), 1, PASSWORD);
  }

  record Outcome(int status, String out, String err) {}

  private static Outcome kvstore(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = KvStore.run(args, o, e);
    }
    return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** kv_client as its main() runs it, with the real cluster client. */
  private static Outcome kvClient(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status =
          KvClient.run(
              args,
              InputStream.nullInputStream(),
              o,
              e,
              s -> new AkkaClusterClient(s.nodes(), s.timeout(), s.tls()));
    }
    return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private Outcome startNode(Path tlsDir, Path data) throws IOException {
    return kvstore(
        "--id", "1", "--port", String.valueOf(freePort()), "--http-port", "0", "--peers", "",
        "--data-dir", data.toString(), "--tls-dir", tlsDir.toString());
  }

  /** Exactly one line on stderr, exit 1, nothing on stdout. */
  private static void assertOneLine(Outcome o, String line) {
    assertThat(o.err()).isEqualTo(line + System.lineSeparator());
    assertThat(o.status()).isEqualTo(1);
    assertThat(o.out()).isEmpty();
  }

  private static Path copyOf(String name, String password, String... files) throws IOException {
    return DevCerts.copyOf(certs, tmp.resolve(name), password, files);
  }

  @Test
  void kvstoreRefusesAMissingKeyStoreBeforeTouchingTheDataDirectory() throws IOException {
    Path dir = copyOf("no-node-key", PASSWORD, "truststore.p12");
    Path data = tmp.resolve("data-missing");
    assertOneLine(startNode(dir, data), "kvstore: TLS key store " + dir.resolve("node-1.p12") + " does not exist");
    assertThat(data).doesNotExist();
  }

  @Test
  void kvstoreRefusesAWrongPassword() throws IOException {
    Path dir = copyOf("wrong-password", "wrong", "node-1.p12", "truststore.p12");
    Path data = tmp.resolve("data-wrong");
    assertOneLine(startNode(dir, data), "kvstore: cannot open TLS key store " + dir.resolve("node-1.p12") + ": wrong password");
    assertThat(data).doesNotExist();
  }

  @Test
  void kvstoreRefusesAMissingPasswordFile() throws IOException {
    Path dir = copyOf("no-password", PASSWORD, "node-1.p12", "truststore.p12");
    Files.delete(dir.resolve("password"));
    assertOneLine(
        startNode(dir, tmp.resolve("data-no-password")),
        "kvstore: configuration: TLS password file " + dir.resolve("password") + " does not exist");
  }

  @Test
  void kvstoreRefusesATlsDirThatIsNotADirectory() throws IOException {
    Path missing = tmp.resolve("nowhere");
    assertOneLine(
        startNode(missing, tmp.resolve("data-nowhere")),
        "kvstore: --tls-dir " + missing + " is not a directory (scripts/dev-certs.sh DIR makes one)");
  }

  @Test
  void kvClientRefusesAWrongPasswordBeforeSendingAnything() throws IOException {
    Path dir = copyOf("client-wrong-password", "wrong", "client.p12", "truststore.p12");
    Outcome o = kvClient("--port", String.valueOf(freePort()), "--tls-dir", dir.toString(), "get", "k");
    assertOneLine(
        o,
        "error: unavailable: the client could not run: cannot open TLS key store " + dir.resolve("client.p12")
            + ": wrong password");
  }

  @Test
  void kvClientRefusesAMissingKeyStore() throws IOException {
    Path dir = copyOf("client-no-key", PASSWORD, "truststore.p12");
    Outcome o = kvClient("--port", String.valueOf(freePort()), "--tls-dir", dir.toString(), "put", "k", "v");
    assertThat(o.status()).isEqualTo(1);
    assertThat(o.err().lines()).hasSize(1);
    assertThat(o.err()).contains("TLS key store " + dir.resolve("client.p12") + " does not exist");
  }
}
