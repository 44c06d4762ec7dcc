package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution {@code mvn package} built (target/raftkv-VERSION.tar.gz), unpacked into a
 * temporary directory and run from there, away from the source tree: its {@code bin/kvstore} starts
 * a one-node cluster that uses the overrides in its {@code conf/application.conf}, its {@code
 * bin/kv_client} puts and gets, and both print the build's version.
 */
class DistributionIT {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @TempDir Path dir;
  private Process node;

  @AfterEach
  void stopNode() throws InterruptedException {
    if (node != null && node.isAlive()) {
      node.destroy(); // SIGTERM to its PID: bin/kvstore execs the JVM
      if (!node.waitFor(10, TimeUnit.SECONDS)) {
        node.destroyForcibly();
        node.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void unpackedTarballRunsANodeWithItsConfAndAClientPutsAndGets() throws Exception {
    Path tarball = tarball();
    Matcher m = Pattern.compile("raftkv-(.+)\\.tar\\.gz").matcher(tarball.getFileName().toString());
    assertThat(m.matches()).isTrue();
    String version = m.group(1);
    assertThat(run(List.of("tar", "-xzf", tarball.toString(), "-C", dir.toString())).code).isZero();
    Path home = dir.resolve("raftkv-" + version);
    assertThat(home.resolve("docs/raftkv@.service")).isRegularFile();

    // The shipped file holds only comments; an operator's override must take effect.
    Path conf = home.resolve("conf/application.conf");
    Files.writeString(
        conf,
        Files.readString(conf)
            + "\nraftkv {\n  election-timeout-min = 310ms\n  election-timeout-max = 620ms\n}\n");

    String versionLine = "raftkv " + version + " (tag ";
    assertThat(run(List.of(home.resolve("bin/kvstore").toString(), "--version")).out)
        .startsWith(versionLine)
        .contains(", commit ");
    assertThat(run(List.of(home.resolve("bin/kv_client").toString(), "--version")).out)
        .startsWith(versionLine)
        .contains(", commit ");

    int port = NodeProcesses.freeBasePort(1) + 1;
    Path log = dir.resolve("node.log");
    node =
        builder(
                List.of(
                    home.resolve("bin/kvstore").toString(),
                    "--id", "1",
                    "--port", String.valueOf(port),
                    "--http-port", "0",
                    "--data-dir", dir.resolve("data").toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    String won = awaitLine(log, "Won election");
    assertThat(won).as("the node's log").isNotNull();
    assertThat(Files.readString(log)).contains("election timeout [310..620) ms");

    String client = home.resolve("bin/kv_client").toString();
    Result put = run(List.of(client, "--port", String.valueOf(port), "put", "dist:key", "from the tarball"));
    assertThat(put.code).as(put.out).isZero();
    assertThat(put.out).startsWith("OK");
    Result get = run(List.of(client, "--port", String.valueOf(port), "get", "dist:key"));
    assertThat(get.code).as(get.out).isZero();
    assertThat(get.out.strip()).isEqualTo("from the tarball");
  }

  /** target/raftkv-VERSION.tar.gz: integration tests run after mvn package. */
  private static Path tarball() throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(Paths.get("target"), "raftkv-*.tar.gz")) {
      for (Path p : s) {
        return p.toAbsolutePath();
      }
    }
    throw new IllegalStateException("no target/raftkv-*.tar.gz: run the integration tests with mvn verify");
  }

  /** Polls the log for a line containing {@code text} until the deadline, or the node exits. */
  private String awaitLine(Path log, String text) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
          if (line.contains(text)) {
            return line;
          }
        }
      }
      if (!node.isAlive()) {
        throw new AssertionError("the node exited (" + node.exitValue() + "): " + Files.readString(log));
      }
      node.waitFor(100, TimeUnit.MILLISECONDS); // returns at once if the node exits
    }
    return null;
  }

  /** A command run from the temporary directory, without the source tree's environment. */
  private ProcessBuilder builder(List<String> command) {
    ProcessBuilder b = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile());
    b.environment().keySet().removeIf(k -> k.startsWith("RAFTKV_"));
    return b;
  }

  private record Result(int code, String out) {}

  private Result run(List<String> command) throws IOException, InterruptedException {
    Process p = builder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
