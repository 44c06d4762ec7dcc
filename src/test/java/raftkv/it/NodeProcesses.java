package raftkv.it;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import raftkv.common.Endpoint;

/**
 * Real node processes on 127.0.0.1, started from the shaded jar exactly as {@code scripts/kvstore}
 * does, each with its own data directory and log file. Every process is stopped by its PID.
 */
public final class NodeProcesses implements AutoCloseable {
  private final Path jar;
  private final Path dir;
  private final List<Endpoint> endpoints;
  private final List<Process> processes = new ArrayList<>();

  public NodeProcesses(int size, Path dir) throws IOException {
    this.jar = shadedJar();
    this.dir = dir;
    this.endpoints = freePorts(size).stream().map(p -> new Endpoint("127.0.0.1", p)).toList();
    for (int i = 0; i < size; i++) {
      processes.add(null);
    }
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

  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        held.add(new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
      }
      return held.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  public Endpoint endpoint(int i) {
    return endpoints.get(i);
  }

  public Path log(int i) {
    return dir.resolve("node-" + (i + 1) + ".log");
  }

  /** The command line of node {@code i}: the same for its first start and every restart. */
  public List<String> command(int i) {
    String peers =
        IntStream.range(0, endpoints.size())
            .filter(j -> j != i)
            .mapToObj(j -> String.valueOf(endpoints.get(j).port()))
            .collect(Collectors.joining(","));
    return List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC",
        "-Xmx256m",
        "-jar",
        jar.toString(),
        "--id",
        String.valueOf(i + 1),
        "--port",
        String.valueOf(endpoints.get(i).port()),
        "--peers",
        peers,
        "--data-dir",
        dir.resolve("data-" + (i + 1)).toString());
  }

  public void start(int i) throws IOException {
    File logFile = log(i).toFile();
    Process p =
        new ProcessBuilder(command(i))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile))
            .start();
    processes.set(i, p);
  }

  public boolean isAlive(int i) {
    Process p = processes.get(i);
    return p != null && p.isAlive();
  }

  public long pid(int i) {
    return processes.get(i).pid();
  }

  /** {@code kill -9}: no shutdown hook, no flush, nothing. */
  public void kill9(int i) throws InterruptedException {
    Process p = processes.get(i);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  public void pause(int i) throws IOException, InterruptedException {
    signal(i, "STOP");
  }

  public void resume(int i) throws IOException, InterruptedException {
    signal(i, "CONT");
  }

  private void signal(int i, String sig) throws IOException, InterruptedException {
    // bash's own kill: no dependency on a kill binary being installed.
    Process kill =
        new ProcessBuilder("bash", "-c", "kill -" + sig + " " + pid(i)).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + sig + " " + pid(i) + " failed");
    }
  }

  public List<String> logLines(int i) throws IOException {
    return Files.exists(log(i)) ? Files.readAllLines(log(i), StandardCharsets.UTF_8) : List.of();
  }

  private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");

  /** The time stamp of the first line at or after {@code from} that contains {@code text}. */
  public Optional<LocalTime> firstLogTime(int i, int from, String text) throws IOException {
    List<String> lines = logLines(i);
    for (int n = from; n < lines.size(); n++) {
      Matcher m = TIME.matcher(lines.get(n));
      if (lines.get(n).contains(text) && m.find()) {
        return Optional.of(LocalTime.parse(m.group(1)));
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

  /** Kills every node still running, by PID. */
  @Override
  public void close() {
    for (int i = 0; i < processes.size(); i++) {
      Process p = processes.get(i);
      if (p != null && p.isAlive()) {
        p.destroyForcibly(); // SIGKILL ends a stopped process too
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
