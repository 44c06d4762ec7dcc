package raftkv.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node processes: {@code scripts/kvstore} run in each node's namespace with that namespace's
 * address (the script and {@code ip netns exec} both exec, so the process started is the node's
 * JVM and its PID is the node's). Data in {@code RUN/data/node-N}, output appended to {@code
 * RUN/logs/node-N.log}, PID in {@code RUN/pids/node-N.pid} while it runs. Signals go by PID.
 */
final class Nodes implements AutoCloseable {
  static final int PORT = 9700;

  private final Network network;
  private final Path kvstore;
  private final Path runDir;
  private final int size;
  private final Process[] processes;
  private final boolean[] paused;

  Nodes(Network network, Path kvstore, Path runDir, int size) {
    this.network = network;
    this.kvstore = kvstore;
    this.runDir = runDir;
    this.size = size;
    this.processes = new Process[size + 1];
    this.paused = new boolean[size + 1];
  }

  int size() {
    return size;
  }

  static int port(int node) {
    return PORT + node;
  }

  String endpoint(int node) {
    return network.address(node) + ":" + port(node);
  }

  /** Every node's HOST:PORT, comma-separated. */
  String endpoints() {
    List<String> all = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      all.add(endpoint(i));
    }
    return String.join(",", all);
  }

  /** Every node's HTTP API, HOST:PORT (kvstore's default: the Raft port + 1000), comma-separated. */
  String httpEndpoints() {
    List<String> all = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      all.add(network.address(i) + ":" + (port(i) + 1000));
    }
    return String.join(",", all);
  }

  synchronized void start(int node) {
    List<String> peers = new ArrayList<>();
    for (int other : network.others(node)) {
      peers.add(endpoint(other));
    }
    List<String> command =
        List.of(
            "ip", "netns", "exec", network.nodeNamespace(node),
            kvstore.toString(),
            "--id", String.valueOf(node),
            "--port", String.valueOf(port(node)),
            "--host", network.address(node),
            "--peers", String.join(",", peers),
            "--data-dir", runDir.resolve("data/node-" + node).toString());
    try {
      Path log = runDir.resolve("logs/node-" + node + ".log");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      processes[node] = p;
      paused[node] = false;
      Files.writeString(pidFile(node), p.pid() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + node + ": " + e.getMessage(), e);
    }
  }

  private Path pidFile(int node) {
    return runDir.resolve("pids/node-" + node + ".pid");
  }

  synchronized boolean running(int node) {
    return processes[node] != null && processes[node].isAlive();
  }

  /** {@code kill -9}: the node dies at once, mid-write or not. */
  synchronized void kill(int node) {
    Process p = processes[node];
    if (p == null) {
      return;
    }
    signal(p, "KILL");
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    processes[node] = null;
    deletePidFile(node);
  }

  synchronized void pause(int node) {
    Process p = processes[node];
    if (p != null) {
      signal(p, "STOP");
      paused[node] = true;
    }
  }

  synchronized void resume(int node) {
    Process p = processes[node];
    if (p != null && paused[node]) {
      signal(p, "CONT");
    }
    paused[node] = false;
  }

  /** A node that exited though nobody killed it (for the report), or 0. */
  synchronized int exitedUnexpectedly() {
    for (int i = 1; i <= size; i++) {
      if (processes[i] != null && !processes[i].isAlive()) {
        return i;
      }
    }
    return 0;
  }

  /** SIGCONT and SIGTERM to every node, SIGKILL to any still running 20 s later. */
  @Override
  public synchronized void close() {
    for (int i = 1; i <= size; i++) {
      if (processes[i] != null && processes[i].isAlive()) {
        signal(processes[i], "CONT");
        signal(processes[i], "TERM");
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (int i = 1; i <= size; i++) {
      Process p = processes[i];
      if (p == null) {
        continue;
      }
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
          signal(p, "KILL");
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        signal(p, "KILL");
        Thread.currentThread().interrupt();
      }
      processes[i] = null;
      deletePidFile(i);
    }
  }

  private void deletePidFile(int node) {
    try {
      Files.deleteIfExists(pidFile(node));
    } catch (IOException e) {
      // The script's clean-up checks the PID before it uses the file.
    }
  }

  /** {@code kill -SIG PID}: by PID, never by name. */
  private static void signal(Process p, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
