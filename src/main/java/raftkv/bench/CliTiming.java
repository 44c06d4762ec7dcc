package raftkv.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import raftkv.common.Endpoint;

/**
 * The command-line client's start-to-exit time: {@code kv_client --port P get k} run as a user
 * would, wall clock from the process start to its exit. One untimed run first, which also makes the
 * class-data archive if the jar has none yet.
 */
final class CliTiming implements AutoCloseable {
  private final Path cli;
  private final Path log;
  private final Consumer<String> progress;
  private volatile Process current;
  private volatile boolean closed;

  CliTiming(Path cli, Path log, Consumer<String> progress) {
    this.cli = cli;
    this.log = log;
    this.progress = progress;
  }

  /** The wall-clock times of {@code runs} runs, in milliseconds, after one warm-up run. */
  List<Double> run(Endpoint node, int runs) throws IOException, InterruptedException {
    List<String> command =
        List.of(cli.toString(), "--port", String.valueOf(node.port()), "get", "k");
    progress.accept("cli: warm-up run of " + String.join(" ", command));
    once(command, 600);
    List<Double> times = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      double ms = once(command, 120);
      times.add(ms);
      progress.accept(String.format(java.util.Locale.ROOT, "cli %d/%d: %.0f ms", i, runs, ms));
    }
    return times;
  }

  private synchronized double once(List<String> command, long timeoutSeconds)
      throws IOException, InterruptedException {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    long start = System.nanoTime();
    Process p = pb.start();
    current = p;
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            String.join(" ", command) + " did not exit within " + timeoutSeconds + " s");
      }
      double ms = (System.nanoTime() - start) / 1e6;
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited with " + p.exitValue() + "; see " + log);
      }
      return ms;
    } finally {
      kill(p);
      current = null;
    }
  }

  /** The process and anything it started (a training run of the archive), by PID. */
  private static void kill(Process p) {
    if (p == null) {
      return;
    }
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    if (p.isAlive()) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Kills a run in progress; safe from a shutdown hook. */
  @Override
  public void close() {
    closed = true;
    kill(current);
  }
}
