package raftkv.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Checks a history of key-value operations for linearizability against the model of {@link
 * raftkv.kv.KvStateMachine}. Each key is an independent register, so each key's operations are
 * checked on their own (a history is linearizable iff every key's is).
 *
 * <p>Guarantees: {@link Verdict#LINEARIZABLE} only when a linearization of every key was found;
 * {@link Verdict#NOT_LINEARIZABLE} only when the search showed that some key has none, with an
 * {@link Explanation}; otherwise {@link Verdict#UNDECIDED}. The search stops at the time limit (the
 * explanation gets another one) or when a key's search reaches {@code maxStatesPerKey}
 * configurations; it never runs on past them.
 *
 * <p>Semantics: FAIL operations never took effect and are ignored. UNKNOWN ones may take effect at
 * any time after their invocation, or never. An OK operation took effect once between its
 * invocation and completion and must have answered exactly what the model answers there.
 */
public final class LinearizabilityChecker {

  /** The defaults: one minute, and a million configurations per key (a few hundred MB at most). */
  public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(60);

  public static final long DEFAULT_MAX_STATES_PER_KEY = 1_000_000;

  private final Duration timeLimit;
  private final long maxStatesPerKey;

  public LinearizabilityChecker(Duration timeLimit, long maxStatesPerKey) {
    if (timeLimit.isNegative() || timeLimit.isZero() || maxStatesPerKey < 1) {
      throw new IllegalArgumentException(
          "the time limit and the state limit must be positive, not " + timeLimit + " and " + maxStatesPerKey);
    }
    this.timeLimit = timeLimit;
    this.maxStatesPerKey = maxStatesPerKey;
  }

  public LinearizabilityChecker() {
    this(DEFAULT_TIME_LIMIT, DEFAULT_MAX_STATES_PER_KEY);
  }

  /**
   * Checks {@code history}, in any order.
   *
   * @throws IllegalArgumentException naming the first operation that is malformed (no kind, an incr
   *     delta that is not a number, an OK answer the state machine cannot give, ...)
   */
  public CheckResult check(List<Operation> history) {
    long start = System.nanoTime();
    Map<String, List<Operation>> byKey = new TreeMap<>();
    int ok = 0;
    int failed = 0;
    int unknown = 0;
    for (Operation op : history) {
      String problem = Wellformed.problem(op);
      if (problem != null) {
        throw new IllegalArgumentException("operation #" + op.id() + ": " + problem);
      }
      switch (op.outcome()) {
        case OK:
          ok++;
          break;
        case FAIL:
          failed++;
          continue;
        default:
          unknown++;
          if (op.kind() == Operation.Kind.GET) {
            continue; // an unanswered read changes nothing
          }
      }
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    Budget budget = Budget.of(maxStatesPerKey, timeLimit);
    List<KeyResult> keys = new ArrayList<>();
    for (Map.Entry<String, List<Operation>> e : byKey.entrySet()) {
      KeySearch.Result r = KeySearch.check(e.getValue(), budget);
      keys.add(new KeyResult(e.getKey(), r.verdict(), e.getValue().size(), r.states()));
    }
    Optional<Explanation> explanation =
        keys.stream()
            .filter(k -> k.verdict() == Verdict.NOT_LINEARIZABLE)
            .findFirst()
            .map(k -> explain(k.key(), byKey.get(k.key())));
    return new CheckResult(
        overall(keys), ok, failed, unknown, keys, explanation, Duration.ofNanos(System.nanoTime() - start));
  }

  private Explanation explain(String key, List<Operation> ops) {
    return Explainer.explain(key, ops, Budget.of(maxStatesPerKey, timeLimit));
  }

  private static Verdict overall(List<KeyResult> keys) {
    if (keys.stream().anyMatch(k -> k.verdict() == Verdict.NOT_LINEARIZABLE)) {
      return Verdict.NOT_LINEARIZABLE;
    }
    if (keys.stream().anyMatch(k -> k.verdict() == Verdict.UNDECIDED)) {
      return Verdict.UNDECIDED;
    }
    return Verdict.LINEARIZABLE;
  }
}
