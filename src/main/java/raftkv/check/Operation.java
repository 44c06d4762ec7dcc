package raftkv.check;

/**
 * One client operation of a history, as the linearizability checker reads it: what was asked, of
 * which key, when it was invoked and when it completed (on one clock, any origin), and what came of
 * it.
 *
 * <ul>
 *   <li>{@code value}: for {@link Kind#PUT} and {@link Kind#CAS} the value written; for {@link
 *       Kind#INCR} the delta in decimal; otherwise null.
 *   <li>{@code expected}: for {@link Kind#CAS} the value expected, null meaning "absent".
 *   <li>{@link Outcome#OK}: the state machine answered, so the operation took effect at one instant
 *       between invocation and completion. {@code error} is null on success, or {@code
 *       cas_mismatch}, {@code not_a_number} or {@code overflow} (it ran and changed nothing).
 *       {@code output} is the value a GET read (null: absent), the new value after an INCR, or the
 *       actual value a mismatched CAS found (null: absent); otherwise null.
 *   <li>{@link Outcome#FAIL}: it certainly did not take effect ({@code not_leader}, {@code
 *       unavailable}, a refused session, ...).
 *   <li>{@link Outcome#UNKNOWN}: no answer (a timeout): it may take effect at any time after its
 *       invocation, or never. {@code completeNanos} is {@link Long#MAX_VALUE}.
 * </ul>
 *
 * <p>{@code process} is the client; a process has at most one operation outstanding at a time.
 */
public record Operation(
    long id,
    int process,
    Kind kind,
    String key,
    String value,
    String expected,
    Outcome outcome,
    String error,
    String output,
    long invokeNanos,
    long completeNanos) {

  public enum Kind {
    PUT,
    GET,
    DELETE,
    CAS,
    INCR
  }

  public enum Outcome {
    OK,
    FAIL,
    UNKNOWN
  }
}
