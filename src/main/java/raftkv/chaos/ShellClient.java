package raftkv.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One {@code kv_client --json shell} process: a line in, one JSON line out. Its stderr goes to a
 * log file; its PID is written to {@code pidFile} while it runs, for the script's clean-up.
 */
final class ShellClient implements AutoCloseable {

  /** Put on the queue when stdout ends: the process is gone. */
  private static final String EOF = new String("EOF");

  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Path pidFile;
  private boolean ended;

  private ShellClient(Process process, Path pidFile) {
    this.process = process;
    this.pidFile = pidFile;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader =
        new Thread(this::readLines, "shell-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code command} (a kv_client shell), its stderr appended to {@code log}. */
  static ShellClient start(List<String> command, Path log, Path pidFile) {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      Files.writeString(pidFile, p.pid() + "\n");
      return new ShellClient(p, pidFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0), e);
    }
  }

  private void readLines() {
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      // The process went away: same as end of output.
    }
    lines.add(EOF);
  }

  long pid() {
    return process.pid();
  }

  /**
   * Sends one command and waits up to {@code wait} for its result line. Empty: no answer in time,
   * or the process is gone; either way {@link #ended()} is then true. A shell that missed an answer
   * is not asked again: its late answer would be read as the next command's (a chaos run once
   * recorded a client's every answer one command late that way).
   */
  Optional<String> call(String line, Duration wait) {
    if (ended) {
      return Optional.empty();
    }
    try {
      stdin.write(line + "\n");
      stdin.flush();
      String reply = lines.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
      if (reply == null || reply == EOF) {
        ended = true;
        return Optional.empty();
      }
      return Optional.of(reply);
    } catch (IOException e) {
      ended = true;
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * A shell from {@code start} that has answered {@code line} within {@code wait}; each one that
   * did not is killed and another started, {@code attempts} times at most.
   */
  static ShellClient answering(Supplier<ShellClient> start, String line, Duration wait, int attempts) {
    for (int i = 1; ; i++) {
      ShellClient shell = start.get();
      if (shell.call(line, wait).isPresent()) {
        return shell;
      }
      shell.kill();
      if (i >= attempts) {
        throw new IllegalStateException(
            "no client shell answered '" + line + "' within " + wait.toMillis() + " ms, " + attempts + " tries");
      }
    }
  }

  /** The process has exited, closed its output or missed an answer: no further call can succeed. */
  boolean ended() {
    return ended || !process.isAlive();
  }

  /** Ends the shell: end of input, then SIGKILL by PID if it has not exited within 5 s. */
  @Override
  public void close() {
    try {
      stdin.close();
    } catch (IOException e) {
      // Already gone.
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      // The script's clean-up checks the PID before it uses the file.
    }
  }

  /** SIGKILL at once (a shell that stopped answering). */
  void kill() {
    process.destroyForcibly();
    close();
  }
}
