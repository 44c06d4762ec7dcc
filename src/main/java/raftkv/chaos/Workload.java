package raftkv.chaos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import raftkv.check.Operation;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

/**
 * One client's operations: a seeded mix of linearizable get, put, cas, incr and delete over a few
 * keys shared by every client, so that the checker sees real contention; and the reading of {@code
 * kv_client --json shell} replies into {@link Operation}s.
 *
 * <p>Every value is a decimal number, so an {@code incr} always applies. A cas expects the value
 * this client last saw of the key (often stale by then: both outcomes happen), or absence.
 */
final class Workload {

  /** One shell line and what it asks, before its reply. */
  record Request(Kind kind, String key, String value, String expected, String line) {}

  /** Errors with which the state machine ran the command and changed nothing. */
  private static final Set<String> RAN_AND_REFUSED = Set.of("cas_mismatch", "not_a_number", "overflow");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final int keys;
  private final Random random;
  /** The value this client last saw of each key; absent: none seen, or the key was absent. */
  private final Map<String, String> lastSeen = new HashMap<>();

  Workload(int keys, Random random) {
    this.keys = keys;
    this.random = random;
  }

  static String key(int i) {
    return "k" + i;
  }

  /** The next operation: 35% get, 25% put, 20% cas, 15% incr, 5% delete. */
  Request next() {
    String key = key(random.nextInt(keys));
    int dice = random.nextInt(100);
    if (dice < 35) {
      return new Request(Kind.GET, key, null, null, "get " + key);
    }
    if (dice < 60) {
      String v = freshValue();
      return new Request(Kind.PUT, key, v, null, "put " + key + " " + v);
    }
    if (dice < 80) {
      String v = freshValue();
      String expected = lastSeen.get(key);
      String line =
          expected == null ? "cas --absent " + key + " " + v : "cas " + key + " " + expected + " " + v;
      return new Request(Kind.CAS, key, v, expected, line);
    }
    if (dice < 95) {
      String delta = String.valueOf(1 + random.nextInt(5));
      return new Request(Kind.INCR, key, delta, null, "incr " + key + " " + delta);
    }
    return new Request(Kind.DELETE, key, null, null, "delete " + key);
  }

  private String freshValue() {
    return String.valueOf(random.nextInt(1_000_000));
  }

  /** Remembers what a completed operation showed of its key, for later cas. */
  void observe(Operation op) {
    if (op.outcome() != Outcome.OK) {
      return;
    }
    String seen;
    switch (op.kind()) {
      case GET, INCR -> seen = op.output();
      case PUT -> seen = op.value();
      case CAS -> seen = op.error() == null ? op.value() : op.output();
      default -> seen = null;
    }
    if (seen == null) {
      lastSeen.remove(op.key());
    } else {
      lastSeen.put(op.key(), seen);
    }
  }

  /**
   * The operation a reply line completes. A reply that does not parse as one of the shell's JSON
   * results is an error of this program, not of the store.
   *
   * @throws IllegalArgumentException if {@code reply} is not a result line
   */
  static Operation completed(
      Request r, long id, int process, String reply, long invokeNanos, long completeNanos) {
    JsonNode n;
    try {
      n = JSON.readTree(reply);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON result: " + reply);
    }
    if (n == null || !n.has("ok")) {
      throw new IllegalArgumentException("not a result: " + reply);
    }
    if (n.get("ok").asBoolean()) {
      String output =
          r.kind() == Kind.GET || r.kind() == Kind.INCR ? text(n.get("value")) : null;
      return operation(r, id, process, Outcome.OK, null, output, invokeNanos, completeNanos);
    }
    String error = text(n.get("error"));
    // kv_client marks every answer that leaves a write's outcome unknown (timeout, unknown,
    // session_expired, stale_request); a line without the mark may still say timeout.
    if ("timeout".equals(error) || "unknown".equals(text(n.get("outcome")))) {
      return unknown(r, id, process, invokeNanos);
    }
    if (RAN_AND_REFUSED.contains(error)) {
      String output = "cas_mismatch".equals(error) ? text(n.get("value")) : null;
      return operation(r, id, process, Outcome.OK, error, output, invokeNanos, completeNanos);
    }
    return operation(r, id, process, Outcome.FAIL, error, null, invokeNanos, completeNanos);
  }

  /** An operation that got no answer: it may take effect at any time after its invocation. */
  static Operation unknown(Request r, long id, int process, long invokeNanos) {
    return operation(
        r, id, process, Outcome.UNKNOWN, "timeout", null, invokeNanos, Long.MAX_VALUE);
  }

  private static Operation operation(
      Request r,
      long id,
      int process,
      Outcome outcome,
      String error,
      String output,
      long invokeNanos,
      long completeNanos) {
    return new Operation(
        id,
        process,
        r.kind(),
        r.key(),
        r.value(),
        r.expected(),
        outcome,
        error,
        output,
        invokeNanos,
        completeNanos);
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }
}
