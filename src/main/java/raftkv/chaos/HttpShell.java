package raftkv.chaos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * A chaos client that speaks the HTTP API: the commands of {@code kv_client --json shell} that the
 * chaos workload uses ({@code get K}, {@code put K V}, {@code delete K}, {@code incr K [D]}, {@code
 * cas K OLD NEW}, {@code cas --absent K NEW}), one per line on stdin, each answered with one JSON
 * line on stdout in the shell's shapes, so that {@link ShellClient} drives it and {@link
 * Workload#completed} reads it unchanged. {@link ChaosRun} runs it in the clients' namespace.
 *
 * <p>One {@link HttpClient} (HTTP/1.1, keep-alive) talks to one node at a time and stays with it
 * while it answers; a refused connection, a timeout or an answer that the node could not serve
 * moves it to the next node. Writes are exactly-once: a session registered before the first write
 * ({@code POST /v1/sessions}, the cluster chooses the id), then every write takes the next seq,
 * and its retries, at any node, carry the same {@code Raftkv-Client-Id} and {@code Raftkv-Seq}.
 * {@link HttpAttempts} decides which attempts end a request and with what line; stderr gets one
 * line per failed attempt.
 *
 * <p>Exit status: 0 at the end of input; 2 a usage error.
 */
@Command(
    name = "http-shell",
    description = "Reads kv_client shell commands on stdin and runs them over the HTTP API.")
public final class HttpShell {

  /** After every round of attempts that no node could serve: an election is usually over by then. */
  static final Duration ROUND_PAUSE = Duration.ofMillis(100);

  private static final Pattern DURATION = Pattern.compile("([0-9]{1,6})(ms|s)");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--nodes", required = true, split = ",",
      description = "The nodes' HTTP endpoints, HOST:PORT, comma-separated.")
  List<String> nodes;

  @Option(names = "--timeout", defaultValue = "3s",
      description = "One request, retries included (e.g. 3s, 500ms).")
  String timeoutText;

  @Option(names = "--attempt-timeout", defaultValue = "1s",
      description = "One attempt at one node before the next one is tried.")
  String attemptText;

  @Option(names = "--first", defaultValue = "0", description = "The index of the first node to try.")
  int first;

  /** A shell command as an HTTP request; {@code path} is below the node's root. */
  record Request(String method, String path, String body, String contentType, boolean write, String line) {}

  private Duration timeout;
  private Duration attemptTimeout;
  private List<URI> bases;
  private int current;
  private HttpClient http;
  private PrintStream log;
  private String clientId;
  private long nextSeq = 1;

  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    HttpShell shell = null;
    try {
      shell = create(args, err);
    } catch (ParameterException | IllegalArgumentException e) {
      err.println("http-shell: " + e.getMessage());
      System.exit(2);
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.isBlank()) {
          out.println(shell.run(line.strip()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read stdin", e);
    }
    System.exit(0);
  }

  /**
   * A shell for the command line {@code args}, logging failed attempts to {@code log}.
   *
   * @throws ParameterException or IllegalArgumentException, with a one-line message, on bad input
   */
  static HttpShell create(String[] args, PrintStream log) {
    HttpShell shell = new HttpShell();
    new CommandLine(shell).parseArgs(args);
    shell.configure();
    shell.log = log;
    shell.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(shell.attemptTimeout)
            .build();
    return shell;
  }

  private void configure() {
    timeout = duration("--timeout", timeoutText);
    attemptTimeout = duration("--attempt-timeout", attemptText);
    bases = new ArrayList<>();
    for (String node : nodes) {
      bases.add(base(node));
    }
    if (first < 0 || first >= bases.size()) {
      throw new IllegalArgumentException(
          "--first must be from 0 to " + (bases.size() - 1) + ", not " + first);
    }
    current = first;
  }

  /** {@code 3s} or {@code 500ms}, positive. */
  static Duration duration(String option, String text) {
    Matcher m = DURATION.matcher(text);
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new IllegalArgumentException(
          option + " must be a positive whole number of s or ms (3s, 500ms), not '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2).equals("s") ? Duration.ofSeconds(n) : Duration.ofMillis(n);
  }

  /** {@code http://HOST:PORT}. */
  static URI base(String node) {
    int colon = node.lastIndexOf(':');
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(node.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (port < 1 || port > 65535 || !node.substring(0, colon).matches("[A-Za-z0-9.-]+")) {
      throw new IllegalArgumentException("--nodes takes HOST:PORT, comma-separated, not '" + node + "'");
    }
    return URI.create("http://" + node);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  /**
   * The HTTP request of a shell command.
   *
   * @throws IllegalArgumentException with the usage message if it is not one of the commands
   */
  static Request parse(String line) {
    String[] w = line.strip().split("\\s+");
    String usage =
        "commands: get K, put K V, delete K, incr K [DELTA], cas K OLD NEW, cas --absent K NEW";
    switch (w[0]) {
      case "get" -> {
        if (w.length == 2) {
          return new Request("GET", keyPath(w[1]), null, null, false, line);
        }
      }
      case "put" -> {
        if (w.length == 3) {
          return new Request("PUT", keyPath(w[1]), w[2], "text/plain; charset=utf-8", true, line);
        }
      }
      case "delete" -> {
        if (w.length == 2) {
          return new Request("DELETE", keyPath(w[1]), null, null, true, line);
        }
      }
      case "incr" -> {
        if (w.length == 2 || w.length == 3) {
          long delta = 1;
          if (w.length == 3) {
            try {
              delta = Long.parseLong(w[2]);
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException("incr: DELTA must be a 64-bit decimal integer, not " + w[2]);
            }
          }
          return new Request("POST", keyPath(w[1]) + "/incr?delta=" + delta, null, null, true, line);
        }
      }
      case "cas" -> {
        boolean absent = w.length == 4 && w[1].equals("--absent");
        if (absent || w.length == 4) {
          String key = absent ? w[2] : w[1];
          ObjectNode body = JSON.createObjectNode();
          if (absent) {
            body.putNull("expected");
          } else {
            body.put("expected", w[2]);
          }
          body.put("value", w[3]);
          return new Request("POST", keyPath(key) + "/cas", write(body), "application/json", true, line);
        }
      }
      default -> throw new IllegalArgumentException("unknown command '" + w[0] + "'; " + usage);
    }
    throw new IllegalArgumentException("wrong arguments to " + w[0] + "; " + usage);
  }

  /** {@code /v1/kv/KEY}, the key one percent-encoded path segment (UTF-8). */
  static String keyPath(String key) {
    StringBuilder b = new StringBuilder("/v1/kv/");
    for (byte x : key.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format(Locale.ROOT, "%02X", c));
      }
    }
    return b.toString();
  }

  /** Runs one command line: its result line, or the shell's usage line. */
  String run(String line) {
    Request r;
    try {
      r = parse(line);
    } catch (IllegalArgumentException e) {
      ObjectNode n = JSON.createObjectNode();
      n.put("ok", false);
      n.put("error", "usage");
      n.put("message", e.getMessage());
      return write(n);
    }
    if (!r.write()) {
      return send(new HttpAttempts(false, r.line()), (node, wait) -> request(node, wait, r, null, 0));
    }
    if (clientId == null) {
      Optional<String> failed = register();
      if (failed.isPresent()) {
        return failed.get();
      }
    }
    long seq = nextSeq++;
    String id = clientId;
    return send(
        new HttpAttempts(true, "'" + r.line() + "' (" + id + ", seq " + seq + ")"),
        (node, wait) -> request(node, wait, r, id, seq));
  }

  /**
   * Registers a session whose id the cluster chooses; empty when it is registered, else the line
   * for the write, which was not sent (as {@code kv_client} answers: a definite refusal as it is;
   * no definitive answer, or no node that could serve it, is {@code unavailable}: a session nobody
   * writes under expires by itself).
   */
  private Optional<String> register() {
    String line =
        send(
            new HttpAttempts(true, "registering a session"),
            (node, wait) ->
                HttpRequest.newBuilder(node.resolve("/v1/sessions"))
                    .timeout(wait)
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
    JsonNode n = HttpAttempts.result(line).orElseThrow();
    if (n.get("ok").asBoolean() && n.path("clientId").isTextual()) {
      clientId = n.get("clientId").asText();
      return Optional.empty();
    }
    String error = n.path("error").asText("unknown");
    boolean noAnswer = "unknown".equals(n.path("outcome").asText()) && !"session_expired".equals(error);
    if (noAnswer || "unavailable".equals(error)) {
      return Optional.of(
          HttpAttempts.failure(
              "unavailable",
              "no session could be registered (" + error + ": " + n.path("message").asText()
                  + "); the write was not sent"));
    }
    return Optional.of(line);
  }

  private static HttpRequest request(URI node, Duration wait, Request r, String id, long seq) {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.resolve(r.path())).timeout(wait);
    if (r.body() != null) {
      b.header("Content-Type", r.contentType());
    }
    if (id != null) {
      b.header("Raftkv-Client-Id", id).header("Raftkv-Seq", Long.toString(seq));
    }
    HttpRequest.BodyPublisher body =
        r.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(r.body(), StandardCharsets.UTF_8);
    return b.method(r.method(), body).build();
  }

  /**
   * Sends attempt after attempt until one ends the request or its deadline passes; each attempt's
   * timeout is the attempt timeout, or what is left of the deadline if that is less.
   */
  private String send(HttpAttempts attempts, BiFunction<URI, Duration, HttpRequest> build) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int refused = 0;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return attempts.giveUp(format(timeout));
      }
      URI node = bases.get(current);
      HttpRequest request =
          build.apply(node, Duration.ofNanos(Math.min(attemptTimeout.toNanos(), left)));
      HttpAttempts.Attempt a = attempt(request);
      Optional<String> end = attempts.after(a);
      if (end.isPresent()) {
        return end.get();
      }
      log.printf(Locale.ROOT, "%s %s %s: %s%n", Instant.now(), request.method(), request.uri(), a);
      current = (current + 1) % bases.size();
      refused++;
      if (refused % bases.size() == 0) {
        long pause = Math.min(ROUND_PAUSE.toNanos(), deadline - System.nanoTime());
        if (pause > 0) {
          sleep(pause);
        }
      }
    }
  }

  private HttpAttempts.Attempt attempt(HttpRequest request) {
    try {
      HttpResponse<String> response =
          http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new HttpAttempts.Answered(response.statusCode(), response.body());
    } catch (HttpConnectTimeoutException e) {
      return new HttpAttempts.NotSent("no connection within " + format(attemptTimeout));
    } catch (HttpTimeoutException e) {
      return new HttpAttempts.Lost("no response within " + format(request.timeout().orElse(attemptTimeout)));
    } catch (IOException e) {
      return refusedConnection(e)
          ? new HttpAttempts.NotSent("connection refused")
          : new HttpAttempts.Lost(e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  /** Whether {@code e} is, or was caused by, a connection that could not be opened. */
  static boolean refusedConnection(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static void sleep(long nanos) {
    try {
      Thread.sleep(Duration.ofNanos(nanos).toMillis() + 1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static String write(JsonNode n) {
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
  }
}
