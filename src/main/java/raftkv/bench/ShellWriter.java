package raftkv.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import raftkv.common.Endpoint;

/**
 * A sequential writer as scripts and other languages use the store: one {@code kv_client --json
 * shell} process with the default client settings a user gets, fed one put per line, each sent
 * {@link #PAUSE_MS} after the last one was answered. Every answer is kept with when its line was
 * sent and when its answer was read, so that failover is measured as that client sees it.
 */
final class ShellWriter {
  /** One command line: sent, answered, and whether the answer was {@code "ok":true}. */
  record Answer(long sentNanos, long answeredNanos, boolean ok) {}

  /**
   * The pause after each answer. Five shells writing back to back loaded this 2-core machine
   * until its elections took up to 1.3 s and restarted nodes 10 s to start (load average 15); at
   * a 20 ms pause their five JVMs still took 50-70% of a core. A line sent within 100 ms of the
   * kill still meets the dead leader, so the pause costs the measure little.
   */
  static final long PAUSE_MS = 100;

  private final Process process;
  private final Thread thread;
  private final List<Answer> answers = new ArrayList<>();
  private volatile boolean running = true;

  ShellWriter(Path cli, List<Endpoint> nodes, String keyPrefix, Path stderr) throws IOException {
    String peers = nodes.stream().map(e -> e.host() + ":" + e.port()).collect(Collectors.joining(","));
    process = new ProcessBuilder(cli.toString(), "--json", "--peers", peers, "shell")
        .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
        .start();
    thread = new Thread(() -> run(keyPrefix), "shell-writer-" + keyPrefix);
    thread.setDaemon(true);
    thread.start();
  }

  private void run(String keyPrefix) {
    try (PrintWriter in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (long i = 0; running; i++) {
        long sent = System.nanoTime();
        in.println("put " + keyPrefix + "-" + (i % Workload.KEYSPACE) + " " + Workload.VALUE);
        in.flush();
        String line = out.readLine();
        if (line == null) {
          return; // the process ended
        }
        Answer a = new Answer(sent, System.nanoTime(), line.contains("\"ok\":true"));
        synchronized (answers) {
          answers.add(a);
        }
        Thread.sleep(PAUSE_MS);
      }
    } catch (IOException e) {
      // The process was stopped: its pipes closed.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether this client has had a write acknowledged at all (it is up and connected). */
  boolean acknowledgedAny() {
    synchronized (answers) {
      return answers.stream().anyMatch(Answer::ok);
    }
  }

  /**
   * Kill -> the acknowledgement of the first line this client sent after {@code killNanos}, in ms
   * (NaN if none yet). A line sent before the kill and answered after it is left out: its answer
   * may have left the old leader before it died. So the figure is, at most, one write's round trip
   * later than the first acknowledgement the client saw.
   */
  double firstWriteMs(long killNanos) {
    synchronized (answers) {
      return answers.stream()
          .filter(a -> a.ok() && a.sentNanos() - killNanos >= 0)
          .mapToLong(Answer::answeredNanos)
          .min()
          .stream()
          .mapToDouble(t -> (t - killNanos) / 1e6)
          .findFirst()
          .orElse(Double.NaN);
    }
  }

  /** Acknowledged writes and errors so far. */
  long[] counts() {
    synchronized (answers) {
      long ok = answers.stream().filter(Answer::ok).count();
      return new long[] {ok, answers.size() - ok};
    }
  }

  /** Ends the shell (end of input), then kills it by its PID if it has not exited within 5 s. */
  void close() throws InterruptedException {
    running = false;
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // Already gone.
    }
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    thread.join(TimeUnit.SECONDS.toMillis(5));
  }
}
