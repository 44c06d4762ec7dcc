package raftkv.chaos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.Set;

/**
 * One request of {@link HttpShell}, attempt by attempt: which attempts end it, and the {@code
 * kv_client --json shell} line it ends with, so that {@link Workload#completed} reads an HTTP
 * client's results exactly as a shell client's. Pure: the shell does the sending and the clock.
 * Not thread-safe.
 *
 * <p>The rules, the same as {@code RetryPolicy}'s for the CLI:
 *
 * <ul>
 *   <li>An answer ends the request unless its code is {@code not_leader}, {@code unavailable},
 *       {@code timeout} or {@code unknown}; then the next attempt goes to another node, a write
 *       under the same (clientId, seq), so the cluster applies it at most once and a later answer
 *       tells the first outcome.
 *   <li>A write attempt that may have reached a node and got no answer that proves otherwise (a
 *       timeout, a connection dropped after the request went out, a {@code timeout} or {@code
 *       unknown} answer, an {@code unavailable} one with any status but 503, a body that is not a
 *       result) leaves the write <em>maybe applied</em>.
 *       From then on only an answer of the state machine (ok, {@code cas_mismatch}, {@code
 *       not_a_number}, {@code overflow}) or one already marked outcome-unknown ends it as it
 *       says; any other refusal, and the deadline, end it as {@code timeout} with {@code
 *       "outcome":"unknown"}, never as failed.
 *   <li>An attempt that was never sent (the connection could not be opened) proves nothing was
 *       applied. A write whose attempts all proved that ends, at the deadline, as the last refusal
 *       said ({@code unavailable}: failed), or as {@code unavailable} if no node was reachable.
 *   <li>A read changes nothing: at the deadline it ends as the last refusal said, or as {@code
 *       timeout} if no node answered.
 * </ul>
 */
final class HttpAttempts {

  /** What one attempt came to. */
  sealed interface Attempt permits Answered, NotSent, Lost {}

  /** An HTTP response: its status and body. */
  record Answered(int status, String body) implements Attempt {}

  /** The request never left: the connection was refused or could not be opened in time. */
  record NotSent(String why) implements Attempt {}

  /** The request may have been sent, and no response came: a timeout, a dropped connection. */
  record Lost(String why) implements Attempt {}

  /** Answers that a node gives when it did not run the request: try another node. */
  private static final Set<String> RETRIED = Set.of("not_leader", "unavailable", "timeout", "unknown");

  /** Answers that leave a write's outcome unknown: it may have been applied. */
  private static final Set<String> MAYBE_APPLIED = Set.of("timeout", "unknown");

  /** The state machine ran the command: its answer stands whatever came before. */
  private static final Set<String> RAN = Set.of("cas_mismatch", "not_a_number", "overflow");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final boolean write;
  private final String what;
  private boolean maybeApplied;
  private String lastRefusal;
  private String lastProblem = "no attempt was made";

  /**
   * @param write whether the request changes anything (put, delete, cas, incr, a registration)
   * @param what how the request is named in a give-up message ("put k1 5 as @7.2 seq 3")
   */
  HttpAttempts(boolean write, String what) {
    this.write = write;
    this.what = what;
  }

  /** Whether an attempt of this write may have been applied without an answer saying so. */
  boolean maybeApplied() {
    return maybeApplied;
  }

  /**
   * The line the request ends with after {@code a}, or empty if the next attempt should go to
   * another node.
   */
  Optional<String> after(Attempt a) {
    if (a instanceof NotSent n) {
      lastProblem = n.why();
      return Optional.empty();
    }
    if (a instanceof Lost l) {
      lastProblem = l.why();
      maybeApplied |= write;
      return Optional.empty();
    }
    Answered answer = (Answered) a;
    Optional<JsonNode> result = result(answer.body());
    if (result.isEmpty()) {
      lastProblem = "HTTP " + answer.status() + " without a result: " + clip(answer.body());
      maybeApplied |= write;
      return Optional.empty();
    }
    JsonNode n = result.get();
    String line = oneLine(n);
    if (n.get("ok").asBoolean()) {
      return Optional.of(line);
    }
    String error = n.path("error").asText("");
    if (RETRIED.contains(error)) {
      lastProblem = "HTTP " + answer.status() + " " + error;
      lastRefusal = line;
      // A 503 proves the node sent nothing on (no leader, or no session); a 500 is an exception
      // in the route, at a point this client cannot know.
      maybeApplied |= write && (MAYBE_APPLIED.contains(error) || answer.status() != 503);
      return Optional.empty();
    }
    if (maybeApplied && !RAN.contains(error) && !"unknown".equals(n.path("outcome").asText())) {
      // This attempt was refused, but an earlier one may have been applied.
      return Optional.of(
          unknown(
              "outcome unknown: " + what + " was refused (" + error + ") after an attempt that"
                  + " got no answer; that one may have been applied"));
    }
    return Optional.of(line);
  }

  /** The line the request ends with when its deadline passed. */
  String giveUp(String within) {
    if (maybeApplied) {
      return unknown(
          "outcome unknown: no definitive answer within " + within + " (last: " + lastProblem
              + "); " + what + " may or may not have been applied");
    }
    if (lastRefusal != null) {
      return lastRefusal;
    }
    if (write) {
      return failure(
          "unavailable",
          "no node could be reached within " + within + " (last: " + lastProblem + "); "
              + what + " was not sent");
    }
    return unknown("no answer within " + within + " (last: " + lastProblem + ")");
  }

  /** {@code {"ok":false,"error":"timeout","message":...,"outcome":"unknown"}}. */
  static String unknown(String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("ok", false);
    n.put("error", "timeout");
    n.put("message", message);
    n.put("outcome", "unknown");
    return oneLine(n);
  }

  /** {@code {"ok":false,"error":CODE,"message":...}}: a refusal that proves nothing was applied. */
  static String failure(String code, String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("ok", false);
    n.put("error", code);
    n.put("message", message);
    return oneLine(n);
  }

  /** The body as a result object ({@code "ok"} true or false), or empty if it is not one. */
  static Optional<JsonNode> result(String body) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    if (n == null || !n.isObject() || !n.path("ok").isBoolean()) {
      return Optional.empty();
    }
    if (!n.get("ok").asBoolean() && !n.path("error").isTextual()) {
      return Optional.empty();
    }
    return Optional.of(n);
  }

  private static String oneLine(JsonNode n) {
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
  }

  private static String clip(String s) {
    String flat = s.replaceAll("\\s+", " ").strip();
    return flat.length() <= 80 ? flat : flat.substring(0, 80) + "...";
  }
}
