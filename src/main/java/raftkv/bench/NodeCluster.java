package raftkv.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import raftkv.common.Endpoint;

/**
 * Node processes on this machine, started as {@code scripts/kvstore} starts them: the benchmark's,
 * and the real-process tests'. Node N (1-based) listens on 127.0.0.1:basePort+N and runs
 * from the benchmark's own jar with the flags {@code scripts/kvstore} uses, its store under {@code
 * DIR/data/node-N}, its output appended to {@code DIR/logs/node-N.log}. Each PID is also written to
 * {@code DIR/pids/node-N.pid} while the process runs (for {@code scripts/bench.sh} to clean up after
 * a benchmark JVM that was killed). Every process is stopped by its PID, never by name.
 */
public final class NodeCluster implements AutoCloseable {
  public static final String HOST = "127.0.0.1";

  private final Path dir;
  private final Path jar;
  private final int basePort;
  private final int size;
  private final List<String> extraJvmOptions;
  private final Process[] processes;
  private final int heapMib;

  /** scripts/kvstore's -Xmx. */
  static final int DEFAULT_HEAP_MIB = 512;

  public NodeCluster(Path dir, Path jar, int basePort, int size, List<String> extraJvmOptions) {
    this(dir, jar, basePort, size, extraJvmOptions, DEFAULT_HEAP_MIB);
  }

  /** The same with a maximum heap of {@code heapMib} (scripts/kvstore's is 512 MiB). */
  public NodeCluster(
      Path dir, Path jar, int basePort, int size, List<String> extraJvmOptions, int heapMib) {
    this.heapMib = heapMib;
    this.dir = dir;
    this.jar = jar;
    this.basePort = basePort;
    this.size = size;
    this.extraJvmOptions = List.copyOf(extraJvmOptions);
    this.processes = new Process[size + 1];
  }

  int size() {
    return size;
  }

  List<Integer> ids() {
    return IntStream.rangeClosed(1, size).boxed().toList();
  }

  public Endpoint endpoint(int id) {
    return new Endpoint(HOST, basePort + id);
  }

  /** Node {@code id}'s HTTP API port: kvstore's default, its Raft port + 1000. */
  public int httpPort(int id) {
    return endpoint(id).port() + 1000;
  }

  public List<Endpoint> endpoints() {
    return ids().stream().map(this::endpoint).toList();
  }

  /** The node id listening at {@code e}, or 0 if none of ours does. */
  int idOf(Endpoint e) {
    for (int id : ids()) {
      if (endpoint(id).equals(e)) {
        return id;
      }
    }
    return 0;
  }

  public Path log(int id) {
    return dir.resolve("logs").resolve("node-" + id + ".log");
  }

  private Path pidFile(int id) {
    return dir.resolve("pids").resolve("node-" + id + ".pid");
  }

  /** Fails, naming the port, if any node's port is taken (a cluster of the user's, say). */
  void checkPortsFree() {
    for (int id : ids()) {
      checkPortFree(endpoint(id));
      checkPortFree(new Endpoint(HOST, httpPort(id)));
    }
  }

  private static void checkPortFree(Endpoint e) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(e.host()), e.port()));
    } catch (IOException ex) {
      throw new IllegalStateException(
          "port " + e.port() + " on " + e.host() + " is not free (" + ex.getMessage()
              + "); choose other ports with --base-port");
    }
  }

  /** The command line of node {@code id}: the same for its first start and every restart. */
  public List<String> command(int id) {
    String peers =
        ids().stream()
            .filter(p -> p != id)
            .map(p -> String.valueOf(endpoint(p).port()))
            .collect(Collectors.joining(","));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions());
    cmd.addAll(
        List.of(
            "-jar", jar.toString(),
            "--id", String.valueOf(id),
            "--port", String.valueOf(endpoint(id).port()),
            "--peers", peers,
            "--data-dir", dir.resolve("data").resolve("node-" + id).toString()));
    return cmd;
  }

  /**
   * The nodes' JVM flags: as scripts/kvstore, the serial collector, a bounded heap, and an
   * out-of-memory error ends the process; then the extra ones (a later -Xmx wins).
   */
  public List<String> jvmOptions() {
    List<String> opts =
        new ArrayList<>(
            List.of("-XX:+UseSerialGC", "-Xms" + Math.min(64, heapMib) + "m", "-Xmx" + heapMib + "m",
                "-XX:+ExitOnOutOfMemoryError"));
    opts.addAll(extraJvmOptions);
    return opts;
  }

  public void start(int id) throws IOException {
    if (isAlive(id)) {
      throw new IllegalStateException("node " + id + " is already running");
    }
    Files.createDirectories(log(id).getParent());
    Files.createDirectories(pidFile(id).getParent());
    ProcessBuilder builder =
        new ProcessBuilder(command(id))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // Plain TCP, like the clients that talk to it: an exported RAFTKV_TLS_DIR would turn TLS on.
    builder.environment().remove("RAFTKV_TLS_DIR");
    Process p = builder.start();
    processes[id] = p;
    Files.writeString(pidFile(id), p.pid() + "\n");
  }

  public boolean isAlive(int id) {
    Process p = processes[id];
    return p != null && p.isAlive();
  }

  public long pid(int id) {
    return processes[id].pid();
  }

  /**
   * {@code kill -9} ({@link ProcessHandle#destroyForcibly} sends SIGKILL on Linux): no shutdown
   * hook, no flush. Returns once the process is gone.
   */
  public void kill(int id) {
    Process p = processes[id];
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("node " + id + " (pid " + p.pid() + ") survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    processes[id] = null;
    try {
      Files.deleteIfExists(pidFile(id));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** CPU time (user + system) used so far by the running nodes, in milliseconds. */
  long cpuMillis() {
    long total = 0;
    for (int id : ids()) {
      Process p = processes[id];
      if (p != null) {
        total += ProcStat.cpuMillis(p.pid());
      }
    }
    return total;
  }

  /**
   * Resets each running node's peak resident memory to its current one, so that {@link
   * #peakRssMib} covers what follows (see {@link ProcStat#resetPeak}).
   */
  void resetPeakRss() {
    for (int id : ids()) {
      Process p = processes[id];
      if (p != null) {
        ProcStat.resetPeak(p.pid());
      }
    }
  }

  /** Each node's peak resident memory (VmHWM) in MiB, in node order; NaN for one not running. */
  List<Double> peakRssMib() {
    List<Double> out = new ArrayList<>();
    for (int id : ids()) {
      Process p = processes[id];
      OptionalLong kib = p == null ? OptionalLong.empty() : ProcStat.peakRssKib(p.pid());
      out.add(kib.isPresent() ? kib.getAsLong() / 1024.0 : Double.NaN);
    }
    return out;
  }

  /** The ids of nodes that were started and have exited since, without being killed by us. */
  List<Integer> exited() {
    return ids().stream()
        .filter(id -> processes[id] != null && !processes[id].isAlive())
        .toList();
  }

  /**
   * The last line of node {@code id}'s log (its last 64 KiB) matching {@code regex}, trimmed to
   * 200 characters: why a node exited.
   */
  Optional<String> lastLogLineMatching(int id, String regex) {
    Pattern p = Pattern.compile(regex);
    try (RandomAccessFile f = new RandomAccessFile(log(id).toFile(), "r")) {
      long from = Math.max(0, f.length() - 65536);
      byte[] b = new byte[(int) (f.length() - from)];
      f.seek(from);
      f.readFully(b);
      String[] lines = new String(b, StandardCharsets.UTF_8).split("\n");
      for (int i = lines.length - 1; i >= 0; i--) {
        if (p.matcher(lines[i]).find()) {
          String l = lines[i].strip();
          return Optional.of(l.length() > 200 ? l.substring(0, 200) + "..." : l);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** The exit status of node {@code id}, which has exited. */
  int exitValue(int id) {
    return processes[id].exitValue();
  }

  /** Kills every node still running, by PID; safe to call more than once, from any thread. */
  @Override
  public synchronized void close() {
    for (int id : ids()) {
      Process p = processes[id];
      if (p != null && p.isAlive()) {
        kill(id);
      } else if (p != null) {
        processes[id] = null;
      }
    }
  }
}
