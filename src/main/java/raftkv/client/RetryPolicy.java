package raftkv.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import raftkv.api.ErrorCode;
import raftkv.api.Result;
import raftkv.common.Endpoint;

/**
 * The one retry policy every client uses ({@link ClientActor} behind {@code kv_client}, the
 * benchmark's sessions, the simulation's clients): where the next attempt of a request goes, after
 * what pause, when to give up and with which answer, and which answers are final. Pure: no Akka, no
 * threads, no clock of its own (callers pass {@code System.nanoTime()} or virtual time), so it is
 * unit-tested directly and keeps a simulation deterministic. Not thread-safe.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li>An answer is final unless it is {@code not_leader}, {@code unavailable}, {@code timeout} or
 *       {@code unknown} ({@link #isFinal}). A non-final answer to a write never ends it: the node may
 *       have appended the entry, and the retry, under the same (clientId, seq), finds out.
 *   <li>A non-final answer naming a leader other than the node that answered, and not suspect, sends
 *       the next attempt there at once; one naming no usable leader moves on to the next node that is
 *       not suspect, after {@link Settings#leaderlessPause}. After every full round of non-final
 *       answers ({@code refusals % nodes == 0}) the pause is at least {@link Settings#roundPause}:
 *       an election is under way, or two nodes name each other.
 *   <li>No answer within the attempt timeout: the node is suspect for {@link Settings#suspectFor}
 *       (not chosen while another is not), and the next attempt goes to the next node at once.
 *   <li>A leader named in a hint that is not among the nodes is added to them.
 *   <li>The request's deadline passed: it ends with {@link #giveUp}: a write or registration as
 *       {@code timeout} (outcome unknown); a read as {@code unavailable} if every node said it knows
 *       no leader, else {@code timeout}.
 * </ul>
 *
 * The target survives requests: the next one starts at the node that answered last.
 */
public final class RetryPolicy {

  /**
   * @param leaderlessPause the pause after a non-final answer that names no usable leader
   * @param roundPause the least pause after each full round of non-final answers
   * @param suspectFor how long a node that did not answer is avoided (zero: never)
   */
  public record Settings(Duration leaderlessPause, Duration roundPause, Duration suspectFor) {}

  /**
   * kv_client's and the HTTP API's: a node that did not answer is avoided for a second (a killed
   * leader that the followers still name until their election timeouts fire is not asked again and
   * again), and after every node refused in turn, pause 25 ms (an election takes a few of them).
   */
  public static final Settings INTERACTIVE =
      new Settings(Duration.ZERO, Duration.ofMillis(25), Duration.ofSeconds(1));

  /** What a request is, for the answer it gets when the deadline passes. */
  public enum Kind {
    WRITE,
    REGISTER,
    READ
  }

  /** @param retryHint how to retry, for the give-up message ("retry with --client-id c --seq 3") */
  public record Request(Kind kind, String retryHint, Duration timeout) {}

  /** The next step of a request. */
  public sealed interface Decision permits Send, Finish {}

  /** Send the next attempt to {@code node} after {@code pause} (zero: now). */
  public record Send(Endpoint node, Duration pause) implements Decision {}

  /** The request ends with {@code result}; {@code gaveUp} when its deadline passed. */
  public record Finish(Result result, boolean gaveUp) implements Decision {}

  private final Settings settings;
  private final List<Endpoint> nodes;
  private final Map<Endpoint, Long> suspectUntil = new HashMap<>();
  private Endpoint target;

  private Request request;
  private long deadlineNanos;
  private int refusals;
  /** Nodes whose last answer to this request was not_leader without knowing a leader. */
  private final Set<Endpoint> leaderless = new HashSet<>();

  public RetryPolicy(List<Endpoint> nodes, Endpoint first, Settings settings) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("a client needs at least one node");
    }
    this.nodes = new ArrayList<>(nodes);
    this.settings = settings;
    this.target = first;
    if (!this.nodes.contains(first)) {
      this.nodes.add(first);
    }
  }

  public RetryPolicy(List<Endpoint> nodes, Settings settings) {
    this(nodes, nodes.get(0), settings);
  }

  /**
   * Whether {@code r} ends the request. {@code not_leader}, {@code unavailable}, {@code timeout}
   * and {@code unknown} never do: for a write the node may have appended the entry before it lost
   * leadership, and the retry with the same (clientId, seq) finds out.
   */
  public static boolean isFinal(Result r) {
    return r.ok()
        || (r.error() != ErrorCode.NOT_LEADER
            && r.error() != ErrorCode.UNAVAILABLE
            && r.error() != ErrorCode.TIMEOUT
            && r.error() != ErrorCode.UNKNOWN);
  }

  /** The node the next attempt goes to. */
  public Endpoint target() {
    return target;
  }

  /** The configured nodes, then any leader a hint named. */
  public List<Endpoint> nodes() {
    return List.copyOf(nodes);
  }

  /** The current request's deadline, in the caller's nanos. */
  public long deadlineNanos() {
    return deadlineNanos;
  }

  /** Starts a request at {@code nowNanos}: its first attempt goes to the target, now. */
  public Decision begin(Request r, long nowNanos) {
    request = r;
    deadlineNanos = nowNanos + r.timeout().toNanos();
    refusals = 0;
    leaderless.clear();
    return new Send(target, Duration.ZERO);
  }

  /** After a pause: the attempt to send now, or the end if the deadline passed meanwhile. */
  public Decision resume(long nowNanos) {
    return nowNanos - deadlineNanos >= 0 ? giveUpDecision() : new Send(target, Duration.ZERO);
  }

  /** {@code node} answered (any answer, late ones included): it is no longer suspect. */
  public void heardFrom(Endpoint node) {
    suspectUntil.remove(node);
  }

  /**
   * The current attempt, at {@code from}, got {@code result}, naming {@code hint} as the leader
   * (null: none).
   */
  public Decision onReply(Endpoint from, Result result, Endpoint hint, long nowNanos) {
    heardFrom(from);
    if (isFinal(result)) {
      return new Finish(result, false);
    }
    if (result.error() == ErrorCode.NOT_LEADER && hint == null) {
      leaderless.add(from);
    } else {
      leaderless.remove(from);
    }
    refusals++;
    Duration pause;
    if (hint != null && !hint.equals(from) && !isSuspect(hint, nowNanos)) {
      if (!nodes.contains(hint)) {
        nodes.add(hint); // a leader we were not told about: remember it
      }
      target = hint;
      pause = Duration.ZERO;
    } else {
      target = next(from, nowNanos);
      pause = settings.leaderlessPause();
    }
    if (refusals % nodes.size() == 0 && settings.roundPause().compareTo(pause) > 0) {
      pause = settings.roundPause();
    }
    return after(pause, nowNanos);
  }

  /** The attempt at {@code to} got no answer in time (or failed to be sent). */
  public Decision onNoAnswer(Endpoint to, long nowNanos) {
    if (!settings.suspectFor().isZero()) {
      suspectUntil.put(to, nowNanos + settings.suspectFor().toNanos());
    }
    if (to.equals(target)) {
      target = next(to, nowNanos);
    }
    return after(Duration.ZERO, nowNanos);
  }

  /** The answer of a request whose deadline passed without a final one. */
  public Result giveUp() {
    String within = "no definitive answer within " + ClientActor.format(request.timeout());
    return switch (request.kind()) {
      case WRITE ->
          Result.error(
              ErrorCode.TIMEOUT,
              "outcome unknown: " + within + "; the write may or may not have been applied; "
                  + request.retryHint());
      case REGISTER ->
          Result.error(
              ErrorCode.TIMEOUT,
              "outcome unknown: " + within + "; the session may or may not have been registered; "
                  + request.retryHint());
      case READ ->
          leaderless.containsAll(nodes)
              ? Result.error(
                  ErrorCode.UNAVAILABLE,
                  "no leader: every node answered that it knows none; retry later")
              : Result.error(ErrorCode.TIMEOUT, within + "; " + request.retryHint());
    };
  }

  private Decision after(Duration pause, long nowNanos) {
    long left = deadlineNanos - nowNanos;
    if (left <= 0) {
      return giveUpDecision();
    }
    return new Send(target, pause.toNanos() < left ? pause : Duration.ofNanos(left));
  }

  private Decision giveUpDecision() {
    return new Finish(giveUp(), true);
  }

  /** The next node after {@code from} that is not suspect, or simply the next if all are. */
  private Endpoint next(Endpoint from, long nowNanos) {
    int i = nodes.indexOf(from);
    for (int k = 1; k <= nodes.size(); k++) {
      Endpoint e = nodes.get(Math.floorMod(i + k, nodes.size()));
      if (!e.equals(from) && !isSuspect(e, nowNanos)) {
        return e;
      }
    }
    return nodes.get(Math.floorMod(i + 1, nodes.size()));
  }

  private boolean isSuspect(Endpoint e, long nowNanos) {
    Long until = suspectUntil.get(e);
    return until != null && nowNanos - until < 0;
  }
}
