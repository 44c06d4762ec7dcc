package raftkv.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import raftkv.bench.LogTimes;
import raftkv.bench.NodeCluster;
import raftkv.common.Endpoint;

/**
 * Real node processes on 127.0.0.1 for the tests: a {@link NodeCluster} (started as {@code
 * scripts/kvstore} starts nodes, each stopped by its PID) on free ports, from the jar {@code mvn
 * package} built, indexed from 0, plus what only tests do to nodes: pause, resume, read their logs.
 */
public final class NodeProcesses implements AutoCloseable {
  private final NodeCluster cluster;

  public NodeProcesses(int size, Path dir) throws IOException {
    this.cluster = new NodeCluster(dir, shadedJar(), freeBasePort(size), size, List.of());
  }

  /** The jar {@code mvn package} built: integration tests run after it. */
  static Path shadedJar() throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(Paths.get("target"), "raftkv-*-all.jar")) {
      for (Path p : s) {
        return p.toAbsolutePath();
      }
    }
    throw new IllegalStateException("no target/raftkv-*-all.jar: run the integration tests with mvn verify");
  }

  /** A base port whose next {@code size} ports are free on the loopback address. */
  static int freeBasePort(int size) throws IOException {
    Random r = new Random();
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 20_000 + r.nextInt(10_000);
      boolean free = true;
      for (int i = 1; i <= size && free; i++) {
        free = isFree(base + i) && isFree(base + 1000 + i); // Raft and HTTP
      }
      if (free) {
        return base;
      }
    }
    throw new IOException("no " + size + " consecutive free ports found");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return s.isBound();
    } catch (IOException taken) {
      return false;
    }
  }

  public Endpoint endpoint(int i) {
    return cluster.endpoint(i + 1);
  }

  /** Node {@code i}'s HTTP API port. */
  public int httpPort(int i) {
    return cluster.httpPort(i + 1);
  }

  /** Starts node {@code i}, with the same command line on every (re)start. */
  public void start(int i) throws IOException {
    cluster.start(i + 1);
  }

  /** {@code kill -9}: no shutdown hook, no flush, nothing. */
  public void kill9(int i) {
    cluster.kill(i + 1);
  }

  public void pause(int i) throws IOException, InterruptedException {
    signal(i, "STOP");
  }

  public void resume(int i) throws IOException, InterruptedException {
    signal(i, "CONT");
  }

  private void signal(int i, String sig) throws IOException, InterruptedException {
    long pid = cluster.pid(i + 1);
    // bash's own kill: no dependency on a kill binary being installed.
    Process kill = new ProcessBuilder("bash", "-c", "kill -" + sig + " " + pid).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + sig + " " + pid + " failed");
    }
  }

  public List<String> logLines(int i) throws IOException {
    Path log = cluster.log(i + 1);
    return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
  }

  /** The time stamp of the first line at or after {@code from} that contains {@code text}. */
  public Optional<Instant> firstLogTime(int i, int from, String text) throws IOException {
    List<String> lines = logLines(i);
    for (int n = from; n < lines.size(); n++) {
      Instant t = LogTimes.timeOf(lines.get(n));
      if (t != null && lines.get(n).contains(text)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** Polls {@code probe} until it yields a value, or fails after {@code max}. */
  public static <T> T await(String what, Duration max, Supplier<Optional<T>> probe) {
    long deadline = System.nanoTime() + max.toNanos();
    while (true) {
      Optional<T> v = probe.get();
      if (v.isPresent()) {
        return v.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + max + " waiting for " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  /** Kills every node still running, by PID (SIGKILL ends a stopped process too). */
  @Override
  public void close() {
    cluster.close();
  }
}
