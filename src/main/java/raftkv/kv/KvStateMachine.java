package raftkv.kv;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Op;
import raftkv.api.Result;

/**
 * The replicated state machine: the key-value map and the client sessions. Pure and deterministic:
 * replicas that apply the same commands at the same indexes hold the same state and return the same
 * results, because everything depends on the commands alone (sessions expire by logged time, never
 * by the local clock).
 *
 * <p>{@link #apply} takes each committed command once, in log order:
 *
 * <ol>
 *   <li>{@link Limits#check}: a malformed or oversize command is refused. The refusal depends on the
 *       command alone, so it is not cached, and it leaves the sessions as they were.
 *   <li>Sessions idle past the timeout at the command's logged time end; then a registration starts
 *       (or confirms) a session, see {@link SessionTable#register}, and for a write {@link
 *       SessionTable#decide} says whether to apply, to answer a duplicate with the first result, or to
 *       refuse.
 *   <li>On apply, the op runs on the map and its result (failures such as {@code cas_mismatch},
 *       {@code not_a_number} and {@code overflow} included) is recorded in the session, so a retry
 *       gets the same answer and the op never runs twice.
 * </ol>
 *
 * <p>Not thread-safe: one owner.
 */
public final class KvStateMachine {

  /** How much of a value a {@code not_a_number} message quotes. */
  static final int QUOTED_VALUE_CHARS = 40;

  private final Map<String, String> map = new HashMap<>();
  private final SessionTable sessions;
  private long lastAppliedIndex;

  public KvStateMachine(long sessionTimeoutMillis, int maxSessions) {
    this(sessionTimeoutMillis, maxSessions, SessionTable.DEFAULT_RESPONSES_PER_SESSION);
  }

  public KvStateMachine(long sessionTimeoutMillis, int maxSessions, int responsesPerSession) {
    this.sessions = new SessionTable(sessionTimeoutMillis, maxSessions, responsesPerSession);
  }

  /** With the ended-session record's retention (logged time) and bound, see {@link SessionTable}. */
  public KvStateMachine(
      long sessionTimeoutMillis, int maxSessions, long endedRetentionMillis, int maxEnded) {
    this(
        sessionTimeoutMillis,
        maxSessions,
        SessionTable.DEFAULT_RESPONSES_PER_SESSION,
        endedRetentionMillis,
        maxEnded);
  }

  public KvStateMachine(
      long sessionTimeoutMillis,
      int maxSessions,
      int responsesPerSession,
      long endedRetentionMillis,
      int maxEnded) {
    this.sessions =
        new SessionTable(
            sessionTimeoutMillis,
            maxSessions,
            responsesPerSession,
            endedRetentionMillis,
            maxEnded);
  }

  /** As {@link #apply(long, long, KvCommand)} in term 0 (tests, and entries known to be writes). */
  public Result apply(long index, KvCommand cmd) {
    return apply(index, 0, cmd);
  }

  /**
   * Applies the command at log index {@code index}, logged in {@code term}, and returns its result.
   * A registration's result holds the session's client id as its value.
   *
   * @throws IllegalStateException unless {@code index} is above every index applied before
   */
  public Result apply(long index, long term, KvCommand cmd) {
    Objects.requireNonNull(cmd, "cmd");
    if (index <= lastAppliedIndex) {
      throw new IllegalStateException(
          "entry " + index + " applied after entry " + lastAppliedIndex
              + ": entries apply in log order, once");
    }
    lastAppliedIndex = index;
    if (cmd.kind() == KvCommand.Kind.REGISTER) {
      Optional<Result> refused = Limits.checkClientId(cmd.clientId());
      if (refused.isPresent()) {
        return refused.get();
      }
      sessions.expire(cmd.timestampMillis());
      if (cmd.clientId() != null) {
        return sessions.register(cmd.clientId(), cmd.timestampMillis(), index);
      }
      // §6.3: the id comes from the registration's own entry, so it was never given before
      return sessions.registerClusterChosen(
          SessionTable.clusterChosenId(index, term), cmd.timestampMillis(), index);
    }
    Optional<Result> refused = Limits.check(cmd.clientId(), cmd.seq(), cmd.op());
    if (refused.isPresent()) {
      return refused.get();
    }
    // §6.3: expire by the leader's logged time, so every replica drops the same sessions
    sessions.expire(cmd.timestampMillis());
    long fingerprint = CommandCodec.fingerprint(cmd.op());
    SessionTable.Decision decision =
        cmd.kind() == KvCommand.Kind.V1_WRITE
            ? sessions.decideV1(cmd.clientId(), cmd.seq(), fingerprint)
            : sessions.decide(cmd.clientId(), cmd.seq(), fingerprint);
    if (!decision.shouldApply()) {
      return decision.result();
    }
    Result result = run(index, cmd.op());
    sessions.record(cmd.clientId(), cmd.seq(), fingerprint, cmd.timestampMillis(), result);
    return result;
  }

  /** The value of {@code key}, or null if absent. */
  public String get(String key) {
    return map.get(key);
  }

  public int keyCount() {
    return map.size();
  }

  /** The index of the latest applied entry, 0 before any. */
  public long lastAppliedIndex() {
    return lastAppliedIndex;
  }

  public SessionTable sessions() {
    return sessions;
  }

  /**
   * A digest of the whole state (map, sessions, last applied index), for checking that replicas
   * agree. Independent of hash-map iteration order.
   */
  public long digest() {
    long sum = 0;
    for (Map.Entry<String, String> e : map.entrySet()) {
      sum += new Hash64().add(e.getKey()).add(e.getValue()).value();
    }
    return new Hash64().add(sum).add(sessions.digest()).add(lastAppliedIndex).value();
  }

  private Result run(long index, Op op) {
    if (op instanceof Op.Put p) {
      map.put(p.key(), p.value());
      return Result.written(index);
    }
    if (op instanceof Op.Delete d) {
      map.remove(d.key());
      return Result.written(index);
    }
    if (op instanceof Op.Cas c) {
      String actual = map.get(c.key());
      if (!Objects.equals(actual, c.expected())) {
        return Result.casMismatch(actual, index);
      }
      map.put(c.key(), c.value());
      return Result.written(index);
    }
    if (op instanceof Op.Incr i) {
      return incr(index, i);
    }
    throw new IllegalArgumentException("unknown op " + op.getClass().getName());
  }

  private Result incr(long index, Op.Incr op) {
    String current = map.get(op.key());
    long value = 0;
    if (current != null) {
      Optional<Long> parsed = parseLong(current);
      if (parsed.isEmpty()) {
        return Result.failed(
            ErrorCode.NOT_A_NUMBER,
            "incr needs a base-10 signed 64-bit integer; the key holds "
                + Limits.quote(current, QUOTED_VALUE_CHARS),
            index);
      }
      value = parsed.get();
    }
    long sum;
    try {
      sum = Math.addExact(value, op.delta());
    } catch (ArithmeticException e) {
      return Result.failed(
          ErrorCode.OVERFLOW,
          "incr by " + op.delta() + " would take " + value + " out of the signed 64-bit range",
          index);
    }
    String next = Long.toString(sum);
    map.put(op.key(), next);
    return Result.value(next, index);
  }

  /**
   * {@code s} as a long if it is an optional '-' and ASCII digits in range. Stricter than {@link
   * Long#parseLong}, which also takes a leading '+' and non-ASCII digits.
   */
  public static Optional<Long> parseLong(String s) {
    int start = s.startsWith("-") ? 1 : 0;
    if (s.length() == start) {
      return Optional.empty();
    }
    for (int i = start; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return Optional.empty();
      }
    }
    try {
      return Optional.of(Long.parseLong(s));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
