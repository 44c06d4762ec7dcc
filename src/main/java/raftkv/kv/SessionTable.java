package raftkv.kv;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Result;
import raftkv.storage.StateStore;
import raftkv.storage.StateStore.Space;

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
 * <h2>Stored</h2>
 *
 * The table is a working copy in memory (bounded by {@code maxSessions}, {@code
 * responsesPerSession} and {@code maxEnded}) of records in a {@link StateStore}'s {@code sessions}
 * space ({@link SessionRecords}): every change to it also queues the change of its records, which
 * {@link #writeChanges} adds to the state machine's batch, and {@link #load} rebuilds from them the
 * table that applying the same commands would have built.
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
  private final LinkedHashMap<String, EndedRecord> ended = new LinkedHashMap<>();
  /** The largest logged time a session ended at so far. */
  private long lastEndedAt = Long.MIN_VALUE;
  /** The order the next ended record gets: only their order is stored, see {@link SessionRecords}. */
  private long nextEndedOrder;
  /** Record key -> new value (null: deleted), since the last {@link #writeChanges}. */
  private final Map<ByteBuffer, byte[]> changes = new LinkedHashMap<>();

  private record EndedRecord(Ended ended, long order) {}

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
    Iterator<Map.Entry<String, EndedRecord>> oldest = ended.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<String, EndedRecord> e = oldest.next();
      if (!after(e.getValue().ended().endedAt(), endedRetentionMillis, logTimeMillis)) {
        break;
      }
      oldest.remove();
      change(SessionRecords.endedKey(e.getKey()), null);
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
    Ended end = endedOf(clientId);
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
    Ended end = endedOf(clientId);
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
    Response response = new Response(fingerprint, result);
    e.responses.put(seq, response);
    change(SessionRecords.responseKey(clientId, seq), SessionRecords.response(response));
    while (e.responses.size() > responsesPerSession) {
      long dropped = e.responses.pollFirstEntry().getKey();
      change(SessionRecords.responseKey(clientId, dropped), null);
    }
    changeLive(clientId, e);
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
    return Optional.ofNullable(endedOf(clientId));
  }

  private Ended endedOf(String clientId) {
    EndedRecord r = ended.get(clientId);
    return r == null ? null : r.ended();
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
    for (Map.Entry<String, EndedRecord> x : ended.entrySet()) {
      endedSum +=
          new Hash64()
              .add(x.getKey())
              .add(x.getValue().ended().lastSeq())
              .add(x.getValue().ended().endedAt())
              .value();
    }
    return new Hash64().add(sum).add(endedSum).add(ended.size()).add(lastEndedAt).value();
  }

  private Entry start(String clientId, long logTimeMillis) {
    while (byClient.size() >= maxSessions) {
      end(byActivity.first().clientId(), logTimeMillis);
    }
    if (ended.remove(clientId) != null) { // only a version-1 write restarts an ended id
      change(SessionRecords.endedKey(clientId), null);
    }
    Entry e = new Entry();
    e.lastActive = logTimeMillis;
    byClient.put(clientId, e);
    byActivity.add(new Activity(logTimeMillis, clientId));
    changeLive(clientId, e);
    return e;
  }

  private void touch(String clientId, Entry e, long logTimeMillis) {
    byActivity.remove(new Activity(e.lastActive, clientId));
    e.lastActive = logTimeMillis;
    byActivity.add(new Activity(logTimeMillis, clientId));
    changeLive(clientId, e);
  }

  /** Moves a live session to the ended records, dropping the oldest beyond {@code maxEnded}. */
  private void end(String clientId, long logTimeMillis) {
    Entry e = byClient.remove(clientId);
    byActivity.remove(new Activity(e.lastActive, clientId));
    change(SessionRecords.liveKey(clientId), null);
    for (long seq : e.responses.keySet()) {
      change(SessionRecords.responseKey(clientId, seq), null);
    }
    if (logTimeMillis > lastEndedAt) {
      lastEndedAt = logTimeMillis;
      change(SessionRecords.LAST_ENDED_AT_KEY, SessionRecords.longValue(lastEndedAt));
    }
    if (maxEnded == 0) {
      return;
    }
    ended.remove(clientId);
    long order = nextEndedOrder++;
    ended.put(clientId, new EndedRecord(new Ended(e.highestSeq, lastEndedAt), order));
    change(SessionRecords.endedKey(clientId), SessionRecords.ended(e.highestSeq, lastEndedAt, order));
    Iterator<String> oldest = ended.keySet().iterator();
    while (ended.size() > maxEnded) {
      String dropped = oldest.next();
      oldest.remove();
      change(SessionRecords.endedKey(dropped), null);
    }
  }

  private void changeLive(String clientId, Entry e) {
    change(SessionRecords.liveKey(clientId), SessionRecords.live(e.lastActive, e.highestSeq));
  }

  private void change(byte[] key, byte[] value) {
    changes.put(ByteBuffer.wrap(key), value);
  }

  // ------------------------------------------------------------------------------------ stored

  /** How many records have changed since the last {@link #writeChanges}. */
  public int pendingChanges() {
    return changes.size();
  }

  /** Adds every record changed since the last call to {@code batch}, and forgets them. */
  public void writeChanges(StateStore.Batch batch) {
    for (Map.Entry<ByteBuffer, byte[]> c : changes.entrySet()) {
      byte[] key = c.getKey().array();
      if (c.getValue() == null) {
        batch.delete(Space.SESSIONS, key);
      } else {
        batch.put(Space.SESSIONS, key, c.getValue());
      }
    }
    changes.clear();
  }

  /** Forgets the changes not yet written (they were lost with their batch). */
  public void discardChanges() {
    changes.clear();
  }

  /**
   * Fills this empty table from the records in {@code store}: the table that applying the commands
   * up to the store's applied index built.
   *
   * @throws IllegalStateException unless the table is empty
   * @throws raftkv.storage.StorageException if the records are not what {@link SessionRecords}
   *     writes
   */
  public void load(StateStore store) {
    if (!byClient.isEmpty() || !ended.isEmpty() || lastEndedAt != Long.MIN_VALUE) {
      throw new IllegalStateException("load into a table that is not empty");
    }
    List<Map.Entry<String, long[]>> endedRecords = new ArrayList<>();
    List<Map.Entry<SessionRecords.ResponseKey, Response>> responses = new ArrayList<>();
    try (StateStore.Cursor c = store.scan(Space.SESSIONS, new byte[0])) {
      for (; c.valid(); c.next()) {
        byte[] key = c.key();
        byte[] value = c.value();
        switch (key[0]) {
          case SessionRecords.LIVE -> {
            long[] live = SessionRecords.readLive(value);
            Entry e = new Entry();
            e.lastActive = live[0];
            e.highestSeq = live[1];
            String clientId = SessionRecords.clientIdOf(key);
            byClient.put(clientId, e);
            byActivity.add(new Activity(e.lastActive, clientId));
          }
          case SessionRecords.RESPONSE -> responses.add(
              Map.entry(SessionRecords.responseKeyOf(key), SessionRecords.readResponse(value)));
          case SessionRecords.ENDED -> endedRecords.add(
              Map.entry(SessionRecords.clientIdOf(key), SessionRecords.readEnded(value)));
          case SessionRecords.META -> {
            if (!Arrays.equals(key, SessionRecords.LAST_ENDED_AT_KEY)) {
              throw SessionRecords.corrupt("an unknown meta record");
            }
            lastEndedAt = SessionRecords.readLong(value);
          }
          default -> throw SessionRecords.corrupt("a record of unknown kind " + key[0]);
        }
      }
    }
    for (Map.Entry<SessionRecords.ResponseKey, Response> r : responses) {
      Entry e = byClient.get(r.getKey().clientId());
      if (e == null) {
        throw SessionRecords.corrupt("a response of a client without a live session");
      }
      e.responses.put(r.getKey().seq(), r.getValue());
    }
    endedRecords.sort(Comparator.comparingLong(r -> r.getValue()[2]));
    for (Map.Entry<String, long[]> r : endedRecords) {
      long[] v = r.getValue();
      ended.put(r.getKey(), new EndedRecord(new Ended(v[0], v[1]), v[2]));
      nextEndedOrder = v[2] + 1;
    }
    changes.clear();
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
