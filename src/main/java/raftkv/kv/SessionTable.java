package raftkv.kv;

import raftkv.api.Result;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The client sessions (Raft dissertation §6.3) that make writes exactly-once: replicated state,
 * identical on every replica that applied the same commands, because it depends on nothing but them.
 *
 * <p>A session is keyed by client id and holds {@code lastActive} (the logged time, {@link
 * KvCommand#timestampMillis()}, of its latest applied command), {@code highestSeq}, and the
 * responses to its most recent seqs: seq -> (fingerprint of the op, {@link Result}), at most {@code
 * responsesPerSession} of them, dropping the lowest seq first.
 *
 * <p>Expiry and eviction, by logged time only, never the local clock:
 *
 * <ul>
 *   <li>Before each command is decided, {@link #expire} removes every session with {@code
 *       lastActive + sessionTimeoutMillis < timestampMillis}. Sessions are kept ordered by
 *       (lastActive, clientId), so this costs O(expired).
 *   <li>When a new session would exceed {@code maxSessions}, the least recently active one is evicted
 *       first (ties broken by the smaller client id).
 * </ul>
 *
 * <p>Deciding a command (clientId, seq, fingerprint), see {@link #decide}:
 *
 * <ul>
 *   <li>unknown client, seq 1: a new session starts; APPLY.
 *   <li>unknown client, seq above 1: REFUSE with {@link ErrorCode#SESSION_EXPIRED}; no session is
 *       created.
 *   <li>known, seq cached with the same fingerprint: DUPLICATE, answered with the cached result
 *       marked {@link Result#asDuplicate()} (so with the index of the first time).
 *   <li>known, seq cached with another fingerprint: REFUSE with {@link ErrorCode#SEQ_REUSED}.
 *   <li>known, seq not cached and at most highestSeq: REFUSE with {@link ErrorCode#STALE_REQUEST}; it
 *       may have been applied, and is never applied twice.
 *   <li>known, seq above highestSeq: APPLY.
 * </ul>
 *
 * After an APPLY the caller {@link #record}s the result, which also sets lastActive to the command's
 * time. Refusals and duplicates leave the session as it was.
 *
 * <p>Not thread-safe: one owner, like {@link KvStateMachine}.
 */
public final class SessionTable {

  public static final int DEFAULT_RESPONSES_PER_SESSION = 16;

  /** A cached response: the fingerprint of the op it answered, and the answer. */
  public record Response(long fingerprint, Result result) {}

  /** A read-only copy of one session; {@code responses} is ordered by seq. */
  public record Session(
      String clientId, long lastActive, long highestSeq, NavigableMap<Long, Response> responses) {}

  /** What to do with a command; {@code result} is the answer unless the verdict is APPLY. */
  public record Decision(Verdict verdict, Result result) {

    public enum Verdict {
      APPLY,
      DUPLICATE,
      REFUSE
    }

    private static final Decision APPLY = new Decision(Verdict.APPLY, null);

    public boolean shouldApply() {
      return verdict == Verdict.APPLY;
    }
  }

  private record Activity(long lastActive, String clientId) implements Comparable<Activity> {
    @Override
    public int compareTo(Activity o) {
      int c = Long.compare(lastActive, o.lastActive);
      return c != 0 ? c : clientId.compareTo(o.clientId);
    }
  }

  private static final class Entry {
    long lastActive;
    long highestSeq;
    final TreeMap<Long, Response> responses = new TreeMap<>();
  }

  private final long sessionTimeoutMillis;
  private final int maxSessions;
  private final int responsesPerSession;
  private final Map<String, Entry> byClient = new HashMap<>();
  private final TreeSet<Activity> byActivity = new TreeSet<>();

  public SessionTable(long sessionTimeoutMillis, int maxSessions, int responsesPerSession) {
    if (sessionTimeoutMillis < 1) {
      throw new IllegalArgumentException("sessionTimeoutMillis " + sessionTimeoutMillis + " < 1");
    }
    if (maxSessions < 1) {
      throw new IllegalArgumentException("maxSessions " + maxSessions + " < 1");
    }
    if (responsesPerSession < 1) {
      throw new IllegalArgumentException("responsesPerSession " + responsesPerSession + " < 1");
    }
    this.sessionTimeoutMillis = sessionTimeoutMillis;
    this.maxSessions = maxSessions;
    this.responsesPerSession = responsesPerSession;
  }

  /**
   * Removes every session idle past the timeout at logged time {@code logTimeMillis}: those with
   * {@code lastActive + sessionTimeoutMillis < logTimeMillis}.
   *
   * @return how many were removed
   */
  public int expire(long logTimeMillis) {
    int removed = 0;
    while (!byActivity.isEmpty() && expired(byActivity.first().lastActive(), logTimeMillis)) {
      byClient.remove(byActivity.pollFirst().clientId());
      removed++;
    }
    return removed;
  }

  /** Decides a command as the class comment says. Changes nothing; call {@link #expire} first. */
  public Decision decide(String clientId, long seq, long fingerprint) {
    Entry e = byClient.get(clientId);
    if (e == null) {
      if (seq == 1) {
        return Decision.APPLY;
      }
      return refuse(
          ErrorCode.SESSION_EXPIRED,
          "client " + Limits.quote(clientId, Limits.MAX_CLIENT_ID_BYTES)
              + " has no session: it expired, was evicted, or never started;"
              + " a session starts at seq 1");
    }
    Response cached = e.responses.get(seq);
    if (cached != null) {
      if (cached.fingerprint() == fingerprint) {
        return new Decision(Decision.Verdict.DUPLICATE, cached.result().asDuplicate());
      }
      return refuse(
          ErrorCode.SEQ_REUSED,
          "seq " + seq + " of client " + Limits.quote(clientId, Limits.MAX_CLIENT_ID_BYTES)
              + " was already used for a different command");
    }
    if (seq <= e.highestSeq) {
      return refuse(
          ErrorCode.STALE_REQUEST,
          "seq " + seq + " of client " + Limits.quote(clientId, Limits.MAX_CLIENT_ID_BYTES)
              + " is at or below its latest seq " + e.highestSeq
              + " and its result is no longer kept");
    }
    return Decision.APPLY;
  }

  /**
   * Records the result of an applied command: caches it under {@code seq}, makes {@code seq} the
   * highest, and sets lastActive to {@code logTimeMillis}. A new session (seq 1 of an unknown client)
   * first evicts the least recently active ones if the table is full.
   *
   * @throws IllegalStateException unless {@link #decide} would have said APPLY
   */
  public void record(
      String clientId, long seq, long fingerprint, long logTimeMillis, Result result) {
    Entry e = byClient.get(clientId);
    if (e == null) {
      if (seq != 1) {
        throw new IllegalStateException("a new session starts at seq 1, not " + seq);
      }
      while (byClient.size() >= maxSessions) {
        byClient.remove(byActivity.pollFirst().clientId());
      }
      e = new Entry();
      byClient.put(clientId, e);
    } else {
      if (seq <= e.highestSeq) {
        throw new IllegalStateException(
            "seq " + seq + " recorded after seq " + e.highestSeq + " of the same session");
      }
      byActivity.remove(new Activity(e.lastActive, clientId));
    }
    e.lastActive = logTimeMillis;
    e.highestSeq = seq;
    e.responses.put(seq, new Response(fingerprint, result));
    while (e.responses.size() > responsesPerSession) {
      e.responses.pollFirstEntry();
    }
    byActivity.add(new Activity(logTimeMillis, clientId));
  }

  public int size() {
    return byClient.size();
  }

  /** A copy of one session, if the client has one. */
  public Optional<Session> session(String clientId) {
    Entry e = byClient.get(clientId);
    if (e == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Session(
            clientId,
            e.lastActive,
            e.highestSeq,
            Collections.unmodifiableNavigableMap(new TreeMap<>(e.responses))));
  }

  /** A digest of every session and cached response, for comparing replicas; order-independent. */
  public long digest() {
    long sum = 0;
    for (Map.Entry<String, Entry> s : byClient.entrySet()) {
      Entry e = s.getValue();
      Hash64 h = new Hash64().add(s.getKey()).add(e.lastActive).add(e.highestSeq);
      for (Map.Entry<Long, Response> r : e.responses.entrySet()) {
        h.add(r.getKey()).add(r.getValue().fingerprint()).add(r.getValue().result());
      }
      sum += h.value();
    }
    return sum;
  }

  private boolean expired(long lastActive, long logTimeMillis) {
    // Saturate: a huge timeout must not wrap around and expire everything.
    long deadline =
        lastActive > Long.MAX_VALUE - sessionTimeoutMillis
            ? Long.MAX_VALUE
            : lastActive + sessionTimeoutMillis;
    return deadline < logTimeMillis;
  }

  private static Decision refuse(ErrorCode code, String message) {
    return new Decision(Decision.Verdict.REFUSE, Result.error(code, message));
  }
}
