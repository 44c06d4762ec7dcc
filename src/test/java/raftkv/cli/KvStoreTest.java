package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.storage.RocksDbStorage;

/** What {@code kvstore} refuses to start with, and how it says so. None of these starts a node. */
class KvStoreTest {

  @TempDir Path tmp;

  /** The exit status and what went to stdout and stderr. */
  record Outcome(int status, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  private static Outcome run(boolean checkPort, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = KvStore.run(args, o, e, checkPort);
    }
    return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Outcome run(String... args) {
    return run(true, args);
  }

  private String[] args(String... more) {
    List<String> all = new ArrayList<>(List.of("--data-dir", tmp.resolve("node").toString()));
    all.addAll(Arrays.asList(more));
    return all.toArray(String[]::new);
  }

  /** A command-line mistake: one line naming it, then the usage, exit 2; nothing created. */
  private void assertUsageError(Outcome o, String line) {
    assertThat(o.status()).isEqualTo(2);
    assertThat(o.errLines().get(0)).isEqualTo(line);
    assertThat(o.errLines().get(1)).startsWith("Usage: kvstore");
    assertThat(o.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(o.out()).isEmpty();
    assertThat(tmp.resolve("node")).doesNotExist();
  }

  /** Any other failure: exactly one line, exit 1. */
  private static void assertFailure(Outcome o, String line) {
    assertThat(o.status()).isEqualTo(1);
    assertThat(o.err()).isEqualTo(line + System.lineSeparator());
    assertThat(o.out()).isEmpty();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void aLogFormatOtherThanTextOrJsonIsRefusedBeforeTheNodeStarts() {
    assertThat(KvStore.logFormatError(null)).isEmpty();
    assertThat(KvStore.logFormatError("text")).isEmpty();
    assertThat(KvStore.logFormatError("json")).isEmpty();
    assertThat(KvStore.logFormatError("JSON")).contains("RAFTKV_LOG_FORMAT is 'JSON': text (the default) or json");
    assertThat(KvStore.logFormatError("")).isPresent();
  }

  @Test
  void refusesItselfAsAPeer() {
    assertUsageError(
        run(args("--id", "1", "--port", "9001", "--peers", "9002,9001")),
        "kvstore: peer 127.0.0.1:9001 is this node itself");
  }

  @Test
  void refusesItselfAsAPeerUnderAnotherName() {
    assertUsageError(
        run(args("--id", "1", "--port", "9001", "--peers", "9002,localhost:9001")),
        "kvstore: peer localhost:9001 is this node itself (127.0.0.1:9001)");
  }

  @Test
  void refusesAPeerListedTwice() {
    assertUsageError(
        run(args("--id", "1", "--port", "9001", "--peers", "9002,9003,127.0.0.1:9002")),
        "kvstore: peer 127.0.0.1:9002 is listed twice");
  }

  @Test
  void refusesAPortThatIsNotANumber() {
    assertUsageError(
        run(args("--id", "1", "--port", "abc")),
        "kvstore: Invalid value for option '--port': 'abc' is not an int");
  }

  @Test
  void refusesAPortOutOfRange() {
    assertUsageError(
        run(args("--id", "1", "--port", "70000")), "kvstore: --port 70000 is outside 1-65535");
  }

  @Test
  void refusesAnIdThatIsNotPositive() {
    assertUsageError(
        run(args("--id", "0", "--port", "9001")), "kvstore: --id must be a positive integer, not 0");
  }

  @Test
  void refusesAPeerThatIsNotAnEndpoint() {
    assertUsageError(
        run(args("--id", "1", "--port", "9001", "--peers", "9002,nine")),
        "kvstore: --peers: 'nine' is not a port or host:port");
  }

  @Test
  void refusesAWildcardHost() {
    assertUsageError(
        run(args("--id", "1", "--port", "9001", "--host", "0.0.0.0")),
        "kvstore: --host 0.0.0.0 is a wildcard address; give the address peers reach this node at");
  }

  @Test
  void requiresAnId() {
    assertUsageError(run(args("--port", "9001")), "kvstore: Missing required option: '--id=ID'");
  }

  @Test
  void printsHelp() {
    Outcome o = run("--help");
    assertThat(o.status()).isZero();
    assertThat(o.out()).startsWith("Usage: kvstore").contains("--peers", "--data-dir", "--http-port");
    assertThat(o.err()).isEmpty();
  }

  @Test
  void refusesAPortInUseBeforeTouchingTheDataDirectory() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      assertFailure(
          run(args("--id", "1", "--port", String.valueOf(port), "--peers", "9002,9003")),
          "kvstore: port " + port + " on 127.0.0.1 is already in use");
    }
    assertThat(tmp.resolve("node")).doesNotExist();
  }

  @Test
  void refusesAnHttpPortInUseBeforeTouchingTheDataDirectory() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int http = taken.getLocalPort();
      assertFailure(
          run(args("--id", "1", "--port", String.valueOf(freePort()), "--http-port", String.valueOf(http),
              "--peers", "9002,9003")),
          "kvstore: HTTP port " + http + " on 127.0.0.1 is already in use (--http-port)");
    }
    assertThat(tmp.resolve("node")).doesNotExist();
  }

  @Test
  void refusesAnHttpPortOutOfRange() {
    assertUsageError(
        run(args("--id", "1", "--port", "9001", "--http-port", "70000")),
        "kvstore: --http-port 70000 is outside 0-65535");
    assertUsageError(
        run(args("--id", "1", "--port", "65000")),
        "kvstore: --port 65000 + 1000 is above 65535: give --http-port (0: no HTTP API)");
  }

  /** The port taken between the check and Akka's bind: Akka's failure becomes the same line. */
  @Test
  void turnsAkkasBindFailureIntoTheSameLine() throws IOException {
    Path dir = tmp.resolve("node");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      assertFailure(
          run(false, args("--id", "1", "--port", String.valueOf(port), "--peers", "9002,9003")),
          "kvstore: port " + port + " on 127.0.0.1 is already in use");
    }
    // The store was opened, then closed again: it is not locked.
    RocksDbStorage.open(dir, 1).close();
  }

  @Test
  void refusesTheDataDirectoryOfAnotherNodeAndLeavesItAlone() throws IOException {
    Path dir = tmp.resolve("node");
    RocksDbStorage.open(dir, 2).close();
    Map<String, byte[]> before = contents(dir);

    assertFailure(
        run(args("--id", "1", "--port", String.valueOf(freePort()), "--peers", "9002,9003")),
        "kvstore: " + dir + " belongs to node 2, not node 1");

    Map<String, byte[]> after = contents(dir);
    assertThat(after.keySet()).isEqualTo(before.keySet());
    before.forEach((name, bytes) -> assertThat(after.get(name)).as(name).isEqualTo(bytes));
  }

  private static Map<String, byte[]> contents(Path dir) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return files;
  }
}
