package raftkv.kv;

import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Result;

/**
 * The client sessions (Raft dissertation §6.3) that make writes exactly-once: replicated state,
 * identical on every replica that applied the same commands, because it depends on nothing but them.
 *
 * <p>A live session is keyed by client id and holds {@code lastActive} (the logged time, {@link
 * KvCommand#timestampMillis()}, of its latest applied command), {@code highestSeq}, and the
 * responses to its most recent seqs: seq -> (fingerprint of the op, {@link Result}), at most {@code
 * responsesPerSession} of them, dropping the lowest seq first.
 *
 * <p>A session starts only by {@link #register registration}, never by a write. It ends by expiry
 * or eviction, and then leaves an <em>ended record</em>: client id -> (highestSeq, ended-at logged
 * time). While that record is kept, the id cannot start again and its writes are refused: a retry of
 * a write whose reply was lost is never applied a second time. Ended records are dropped after
 * {@code endedRetentionMillis} of logged time, or oldest first beyond {@code maxEnded}: that is the
 * limit of the guarantee.
 *
 * <p>Expiry and eviction, by logged time only, never the local clock:
 *
 * <ul>
 *   <li>Before each command is decided, {@link #expire} ends every session with {@code lastActive +
 *       sessionTimeoutMillis < timestampMillis} and drops every ended record with {@code endedAt +
 *       endedRetentionMillis < timestampMillis}. Sessions are kept ordered by (lastActive,
 *       clientId), ended records by endedAt, so this costs O(expired).
 *   <li>When a new session would exceed {@code maxSessions}, the least recently active one is ended
 *       first (ties broken by the smaller client id).
 *   <li>{@code endedAt} never goes back (it is the largest logged time that ended a session so far),
 *       so the ended records' insertion order is their endedAt order, whatever the leaders' clocks.
 * </ul>
 *
 * <p>Deciding a write (clientId, seq, fingerprint), see {@link #decide}:
 *
 * <ul>
 *   <li>no live session: REFUSE with {@link ErrorCode#SESSION_EXPIRED}, saying at which seq it ended
 *       if its ended record is kept. (A {@link KvCommand.Kind#V1_WRITE} at seq 1 is the exception:
 *       {@link #decideV1} starts a session, as version 1 did.)
 *   <li>seq cached with the same fingerprint: DUPLICATE, answered with the cached result marked
 *       {@link Result#asDuplicate()} (so with the index of the first time).
 *   <li>seq cached with another fingerprint: REFUSE with {@link ErrorCode#SEQ_REUSED}.
 *   <li>seq not cached and at most highestSeq: REFUSE with {@link ErrorCode#STALE_REQUEST}; it may
 *       have been applied, and is never applied twice.
 *   <li>seq above highestSeq: APPLY.
 * </ul>
 *
 * After an APPLY the caller {@link #record}s the result, which also sets lastActive to the command's
 * time. Refusals and duplicates leave the session as it was.
 *
 * <p>Not thread-safe: one owner, like {@link KvStateMachine}.
 */
public final class SessionTable {

  public static final int DEFAULT_RESPONSES_PER_SESSION = 16;
  /** How long an ended session is remembered by default (logged time): 24 h. */
  public static final long DEFAULT_ENDED_RETENTION_MILLIS = 24L * 60 * 60 * 1000;
  /** How many ended sessions are remembered by default. */
  public static final int DEFAULT_MAX_ENDED = 100_000;

  /** Cluster-chosen client ids start with this; a client cannot start a session with one. */
  public static final String CLUSTER_CHOSEN_PREFIX = "@";

  /** A cached response: the fingerprint of the op it answered, and the answer. */
  public record Response(long fingerprint, Result result) {}

  /** A read-only copy of one session; {@code responses} is ordered by seq. */
  public record Session(
      String clientId, long lastActive, long highestSeq, NavigableMap<Long, Response> responses) {}

  /** An ended session: the highest seq it applied (0: none) and the logged time it ended at. */
  public record Ended(long lastSeq, long endedAt) {}

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
  private final long endedRetentionMillis;
  private final int maxEnded;
  private final Map<String, Entry> byClient = new HashMap<>();
  private final TreeSet<Activity> byActivity = new TreeSet<>();
  /** In the order they ended, which is endedAt order. */
  private final LinkedHashMap<String, Ended> ended = new LinkedHashMap<>();
  /** The largest logged time a session ended at so far. */
  private long lastEndedAt = Long.MIN_VALUE;

  public SessionTable(long sessionTimeoutMillis, int maxSessions, int responsesPerSession) {
    this(
        sessionTimeoutMillis,
        maxSessions,
        responsesPerSession,
        DEFAULT_ENDED_RETENTION_MILLIS,
        DEFAULT_MAX_ENDED);
  }

  public SessionTable(
      long sessionTimeoutMillis,
      int maxSessions,
      int responsesPerSession,
      long endedRetentionMillis,
      int maxEnded) {
    if (sessionTimeoutMillis < 1) {
      throw new IllegalArgumentException("sessionTimeoutMillis " + sessionTimeoutMillis + " < 1");
    }
    if (maxSessions < 1) {
      throw new IllegalArgumentException("maxSessions " + maxSessions + " < 1");
    }
    if (responsesPerSession < 1) {
      throw new IllegalArgumentException("responsesPerSession " + responsesPerSession + " < 1");
    }
    if (endedRetentionMillis < 0 || maxEnded < 0) {
      throw new IllegalArgumentException(
          "endedRetentionMillis " + endedRetentionMillis + " and maxEnded " + maxEnded
              + " must not be negative");
    }
    this.sessionTimeoutMillis = sessionTimeoutMillis;
    this.maxSessions = maxSessions;
    this.responsesPerSession = responsesPerSession;
    this.endedRetentionMillis = endedRetentionMillis;
    this.maxEnded = maxEnded;
  }

  /** The id the cluster gives the session registered by the entry at (index, term): never reused. */
  public static String clusterChosenId(long index, long term) {
    return CLUSTER_CHOSEN_PREFIX + index + "." + term;
  }

  /**
   * Ends every session idle past the timeout at logged time {@code logTimeMillis} (those with
   * {@code lastActive + sessionTimeoutMillis < logTimeMillis}), then drops the ended records past
   * their retention.
   *
   * @return how many sessions ended
   */
  public int expire(long logTimeMillis) {
    int removed = 0;
    while (!byActivity.isEmpty()
        && after(byActivity.first().lastActive(), sessionTimeoutMillis, logTimeMillis)) {
      end(byActivity.first().clientId(), logTimeMillis);
      removed++;
    }
    Iterator<Ended> oldest = ended.values().iterator();
    while (oldest.hasNext() && after(oldest.next().endedAt(), endedRetentionMillis, logTimeMillis)) {
      oldest.remove();
    }
    return removed;
  }

  /**
   * Applies a registration of {@code clientId} at logged time {@code logTimeMillis} (call {@link
   * #expire} first) and returns its answer, {@link Result#value} the id at {@code index}:
   *
   * <ul>
   *   <li>a live session: registered again (idempotent), and active now;
   *   <li>an ended one (its record kept): refused, {@link ErrorCode#SESSION_EXPIRED};
   *   <li>an unknown id starting with {@link #CLUSTER_CHOSEN_PREFIX}: refused the same way, since
   *       only the cluster makes such ids (this one long ago, or never);
   *   <li>any other unknown id: a new session, ending the least recently active one if the table is
   *       full.
   * </ul>
   */
  public Result register(String clientId, long logTimeMillis, long index) {
    Entry e = byClient.get(clientId);
    if (e != null) {
      touch(clientId, e, logTimeMillis);
      return Result.value(clientId, index);
    }
    Ended end = ended.get(clientId);
    if (end != null) {
      return Result.error(
          ErrorCode.SESSION_EXPIRED,
          "session " + quote(clientId) + " ended at seq " + end.lastSeq()
              + " and cannot start again; a write sent in it before may have been applied;"
              + " nothing was applied now");
    }
    if (clientId.startsWith(CLUSTER_CHOSEN_PREFIX)) {
      return Result.error(
          ErrorCode.SESSION_EXPIRED,
          "session " + quote(clientId) + " is not live: ids starting with '"
              + CLUSTER_CHOSEN_PREFIX + "' are given by the cluster, and this one ended longer"
              + " ago than it remembers (or was never given); a write sent in it before may"
              + " have been applied; nothing was applied now");
    }
    start(clientId, logTimeMillis);
    return Result.value(clientId, index);
  }

  /**
   * Applies a registration whose id the cluster chose ({@link #clusterChosenId}): a new session,
   * since that id was never given before.
   */
  public Result registerClusterChosen(String clientId, long logTimeMillis, long index) {
    Entry e = byClient.get(clientId);
    if (e != null) {
      touch(clientId, e, logTimeMillis); // cannot happen: (index, term) names one entry
    } else {
      start(clientId, logTimeMillis);
    }
    return Result.value(clientId, index);
  }

  /** Decides a write as the class comment says. Changes nothing; call {@link #expire} first. */
  public Decision decide(String clientId, long seq, long fingerprint) {
    Entry e = byClient.get(clientId);
    if (e == null) {
      return refuse(ErrorCode.SESSION_EXPIRED, notLive(clientId));
    }
    return decideLive(clientId, e, seq, fingerprint);
  }

  /**
   * Decides a version-1 write: as {@link #decide}, except that seq 1 of a client without a live
   * session starts one (so a log written before registrations replays as it did).
   */
  public Decision decideV1(String clientId, long seq, long fingerprint) {
    Entry e = byClient.get(clientId);
    if (e == null) {
      return seq == 1 ? Decision.APPLY : refuse(ErrorCode.SESSION_EXPIRED, notLive(clientId));
    }
    return decideLive(clientId, e, seq, fingerprint);
  }

  private Decision decideLive(String clientId, Entry e, long seq, long fingerprint) {
    Response cached = e.responses.get(seq);
    if (cached != null) {
      if (cached.fingerprint() == fingerprint) {
        return new Decision(Decision.Verdict.DUPLICATE, cached.result().asDuplicate());
      }
      return refuse(
          ErrorCode.SEQ_REUSED,
          "seq " + seq + " of client " + quote(clientId)
              + " was already used for a different command");
    }
    if (seq <= e.highestSeq) {
      return refuse(
          ErrorCode.STALE_REQUEST,
          "seq " + seq + " of client " + quote(clientId)
              + " is at or below its latest seq " + e.highestSeq
              + " and its result is no longer kept: it may have been applied before;"
              + " nothing was applied now");
    }
    return Decision.APPLY;
  }

  private String notLive(String clientId) {
    Ended end = ended.get(clientId);
    if (end != null) {
      return "session " + quote(clientId) + " ended at seq " + end.lastSeq()
          + "; a write sent in it before may have been applied; nothing was applied now";
    }
    return "client " + quote(clientId) + " has no live session: it was never registered, or it"
        + " ended longer ago than the cluster remembers; a write sent in it before may have been"
        + " applied; nothing was applied now";
  }

  /**
   * Records the result of an applied write: caches it under {@code seq}, makes {@code seq} the
   * highest, and sets lastActive to {@code logTimeMillis}. Seq 1 without a live session (a version-1
   * write, see {@link #decideV1}) first starts one.
   *
   * @throws IllegalStateException unless {@link #decide} or {@link #decideV1} would have said APPLY
   */
  public void record(
      String clientId, long seq, long fingerprint, long logTimeMillis, Result result) {
    Entry e = byClient.get(clientId);
    if (e == null) {
      if (seq != 1) {
        throw new IllegalStateException(
            "seq " + seq + " recorded for client " + quote(clientId) + " without a live session");
      }
      e = start(clientId, logTimeMillis);
    } else if (seq <= e.highestSeq) {
      throw new IllegalStateException(
          "seq " + seq + " recorded after seq " + e.highestSeq + " of the same session");
    }
    touch(clientId, e, logTimeMillis);
    e.highestSeq = seq;
    e.responses.put(seq, new Response(fingerprint, result));
    while (e.responses.size() > responsesPerSession) {
      e.responses.pollFirstEntry();
    }
  }

  /** The number of live sessions. */
  public int size() {
    return byClient.size();
  }

  /** The number of ended sessions remembered. */
  public int endedCount() {
    return ended.size();
  }

  /** A copy of one live session, if the client has one. */
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

  /** The ended record of {@code clientId}, if it is kept. */
  public Optional<Ended> ended(String clientId) {
    return Optional.ofNullable(ended.get(clientId));
  }

  /**
   * A digest of every session, cached response and ended record, for comparing replicas;
   * independent of hash-map iteration order.
   */
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
    long endedSum = 0;
    for (Map.Entry<String, Ended> x : ended.entrySet()) {
      endedSum +=
          new Hash64()
              .add(x.getKey())
              .add(x.getValue().lastSeq())
              .add(x.getValue().endedAt())
              .value();
    }
    return new Hash64().add(sum).add(endedSum).add(ended.size()).add(lastEndedAt).value();
  }

  private Entry start(String clientId, long logTimeMillis) {
    while (byClient.size() >= maxSessions) {
      end(byActivity.first().clientId(), logTimeMillis);
    }
    ended.remove(clientId); // only a version-1 write restarts an ended id
    Entry e = new Entry();
    e.lastActive = logTimeMillis;
    byClient.put(clientId, e);
    byActivity.add(new Activity(logTimeMillis, clientId));
    return e;
  }

  private void touch(String clientId, Entry e, long logTimeMillis) {
    byActivity.remove(new Activity(e.lastActive, clientId));
    e.lastActive = logTimeMillis;
    byActivity.add(new Activity(logTimeMillis, clientId));
  }

  /** Moves a live session to the ended records, dropping the oldest beyond {@code maxEnded}. */
  private void end(String clientId, long logTimeMillis) {
    Entry e = byClient.remove(clientId);
    byActivity.remove(new Activity(e.lastActive, clientId));
    lastEndedAt = Math.max(lastEndedAt, logTimeMillis);
    if (maxEnded == 0) {
      return;
    }
    ended.remove(clientId);
    ended.put(clientId, new Ended(e.highestSeq, lastEndedAt));
    Iterator<String> oldest = ended.keySet().iterator();
    while (ended.size() > maxEnded) {
      oldest.next();
      oldest.remove();
    }
  }

  /** Whether {@code start + span < now}, saturating: a huge span must not wrap around. */
  private static boolean after(long start, long span, long now) {
    long deadline = start > Long.MAX_VALUE - span ? Long.MAX_VALUE : start + span;
    return deadline < now;
  }

  private static String quote(String clientId) {
    return Limits.quote(clientId, Limits.MAX_CLIENT_ID_BYTES);
  }

  private static Decision refuse(ErrorCode code, String message) {
    return new Decision(Decision.Verdict.REFUSE, Result.error(code, message));
  }
}
