package raftkv.kv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import raftkv.api.ClientProtocol.Continuation;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.StateStore;
import raftkv.storage.StateStore.Space;

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
 * <h2>Where the state is</h2>
 *
 * Keys and values are in a {@link StateStore} (RocksDB on a node, {@link InMemoryStateStore} in
 * tests), never in the heap: what {@link #apply} changes waits in a small overlay until {@link
 * #endBatch}, which writes the overlay, the session table's changed records and the applied index
 * in one atomic batch. The caller ends a batch after each group of entries it was handed (the
 * actor: after each {@code Apply} message), so the overlay holds at most one group's writes and a
 * group costs one store write, not one per entry. The session table keeps a working copy in memory,
 * bounded by its limits, of the records it stores. A machine built on a store resumes where the
 * store is: at its applied index, with the sessions {@link SessionTable#load} reads back, which are
 * those that applying the log up to that index builds.
 *
 * <p>Not thread-safe: one owner. After a failed {@link #endBatch} (a {@code StorageException}) the
 * machine is ahead of its store and must be dropped; a new one on the same store resumes from what
 * the store holds.
 */
public final class KvStateMachine {

  /** How much of a value a {@code not_a_number} message quotes. */
  static final int QUOTED_VALUE_CHARS = 40;

  private final StateStore store;
  /** Keys written since the last {@link #endBatch}, with their new value (null: deleted). */
  private final Map<String, String> pending = new HashMap<>();
  private final SessionTable sessions;
  private long lastAppliedIndex;

  /** On a new {@link InMemoryStateStore}, with the default ended-session retention and bound. */
  public KvStateMachine(long sessionTimeoutMillis, int maxSessions) {
    this(sessionTimeoutMillis, maxSessions, SessionTable.DEFAULT_RESPONSES_PER_SESSION);
  }

  public KvStateMachine(long sessionTimeoutMillis, int maxSessions, int responsesPerSession) {
    this(
        new InMemoryStateStore(),
        sessionTimeoutMillis,
        maxSessions,
        responsesPerSession,
        SessionTable.DEFAULT_ENDED_RETENTION_MILLIS,
        SessionTable.DEFAULT_MAX_ENDED);
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
    this(
        new InMemoryStateStore(),
        sessionTimeoutMillis,
        maxSessions,
        responsesPerSession,
        endedRetentionMillis,
        maxEnded);
  }

  /**
   * The machine whose state is in {@code store}: it resumes at the store's applied index, with the
   * session table read back from it.
   *
   * @throws raftkv.storage.StorageException if the stored session records are unreadable
   */
  public KvStateMachine(
      StateStore store,
      long sessionTimeoutMillis,
      int maxSessions,
      int responsesPerSession,
      long endedRetentionMillis,
      int maxEnded) {
    this.store = Objects.requireNonNull(store, "store");
    this.sessions =
        new SessionTable(
            sessionTimeoutMillis,
            maxSessions,
            responsesPerSession,
            endedRetentionMillis,
            maxEnded);
    this.sessions.load(store);
    this.lastAppliedIndex = store.appliedIndex();
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
    advanceTo(index);
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

  /**
   * Takes the entry at {@code index} that holds no command (a leader's no-op, or bytes that are no
   * command): only the applied index moves.
   *
   * @throws IllegalStateException unless {@code index} is above every index applied before
   */
  public void skip(long index) {
    advanceTo(index);
  }

  private void advanceTo(long index) {
    if (index <= lastAppliedIndex) {
      throw new IllegalStateException(
          "entry " + index + " applied after entry " + lastAppliedIndex
              + ": entries apply in log order, once");
    }
    lastAppliedIndex = index;
  }

  /**
   * Writes what was applied since the last call (keys, session records, the applied index) to the
   * store in one atomic batch, without a sync; nothing when nothing was applied.
   *
   * @throws raftkv.storage.StorageException if the store cannot write (see the class comment)
   */
  public void endBatch() {
    if (pending.isEmpty() && sessions.pendingChanges() == 0 && lastAppliedIndex == store.appliedIndex()) {
      return;
    }
    try (StateStore.Batch batch = store.newBatch()) {
      for (Map.Entry<String, String> e : pending.entrySet()) {
        if (e.getValue() == null) {
          batch.delete(Space.KEYS, utf8(e.getKey()));
        } else {
          batch.put(Space.KEYS, utf8(e.getKey()), utf8(e.getValue()));
        }
      }
      sessions.writeChanges(batch);
      store.write(batch, lastAppliedIndex);
    }
    pending.clear();
  }

  /** The value of {@code key}, or null if absent: a point read of the store, or of the overlay. */
  public String get(String key) {
    if (pending.containsKey(key)) {
      return pending.get(key);
    }
    byte[] value = store.get(Space.KEYS, utf8(key));
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /**
   * One page of a scan, see {@link raftkv.api.ClientProtocol.Scan}: the keys that start with
   * {@code prefix}, strictly after {@code afterKey} (null: from the first), in byte order, at most
   * {@code limit} of them and, past the first, no more than {@code maxBytes} of keys and values
   * (each entry counted {@link Limits#SCAN_ENTRY_OVERHEAD_BYTES} more). The continuation is set only
   * when a matching key was left out. Read from one cursor, so the page is one consistent state.
   *
   * @throws IllegalStateException inside a batch: the overlay's writes are not in the store yet,
   *     and a scan answers from the stored state alone (the actor scans between batches)
   */
  public ScanPage scan(String prefix, String afterKey, int limit, boolean keysOnly, long maxBytes) {
    if (!pending.isEmpty()) {
      throw new IllegalStateException(
          "a scan reads the stored state: end the batch of " + pending.size() + " writes first");
    }
    if (limit < 1) {
      throw new IllegalArgumentException("limit " + limit + " below 1");
    }
    byte[] start = utf8(prefix == null ? "" : prefix);
    byte[] from = start;
    if (afterKey != null) {
      // The smallest key strictly after afterKey: afterKey followed by a zero byte.
      byte[] next = Arrays.copyOf(utf8(afterKey), utf8(afterKey).length + 1);
      if (Arrays.compareUnsigned(next, start) > 0) {
        from = next;
      }
    }
    List<ScanEntry> entries = new ArrayList<>();
    long bytes = 0;
    String last = null;
    boolean more = false;
    try (StateStore.Cursor c = store.scan(Space.KEYS, from)) {
      for (; c.valid(); c.next()) {
        byte[] key = c.key();
        if (!startsWith(key, start)) {
          break; // byte order: no later key has the prefix either
        }
        long size = key.length + Limits.SCAN_ENTRY_OVERHEAD_BYTES + (keysOnly ? 0 : c.value().length);
        if (entries.size() == limit || (!entries.isEmpty() && bytes + size > maxBytes)) {
          more = true;
          break;
        }
        bytes += size;
        last = new String(key, StandardCharsets.UTF_8);
        entries.add(new ScanEntry(last, keysOnly ? null : new String(c.value(), StandardCharsets.UTF_8)));
      }
    }
    return new ScanPage(entries, more ? Continuation.after(last) : null);
  }

  /** A scan's page, and the continuation after it (null: nothing more matches). */
  public record ScanPage(List<ScanEntry> entries, String continuation) {}

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** The number of keys; reads every key of the store (for tests). */
  public int keyCount() {
    int[] count = new int[1];
    forEachKey((k, v) -> count[0]++);
    return count[0];
  }

  /** The index of the latest applied entry, 0 before any (the stored one, before any is applied). */
  public long lastAppliedIndex() {
    return lastAppliedIndex;
  }

  public SessionTable sessions() {
    return sessions;
  }

  /**
   * A digest of the whole state (keys, sessions, last applied index), for checking that replicas
   * agree, and that a machine read back from its store equals one that replayed the log. Reads
   * every key of the store.
   */
  public long digest() {
    long[] sum = new long[1];
    forEachKey((k, v) -> sum[0] += new Hash64().add(k).add(v).value());
    return new Hash64().add(sum[0]).add(sessions.digest()).add(lastAppliedIndex).value();
  }

  /** Every key and value, the overlay over the store, in no particular order. */
  private void forEachKey(BiConsumer<String, String> action) {
    try (StateStore.Cursor c = store.scan(Space.KEYS, new byte[0])) {
      for (; c.valid(); c.next()) {
        String key = new String(c.key(), StandardCharsets.UTF_8);
        if (!pending.containsKey(key)) {
          action.accept(key, new String(c.value(), StandardCharsets.UTF_8));
        }
      }
    }
    for (Map.Entry<String, String> e : pending.entrySet()) {
      if (e.getValue() != null) {
        action.accept(e.getKey(), e.getValue());
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Result run(long index, Op op) {
    if (op instanceof Op.Put p) {
      pending.put(p.key(), p.value());
      return Result.written(index);
    }
    if (op instanceof Op.Delete d) {
      pending.put(d.key(), null);
      return Result.written(index);
    }
    if (op instanceof Op.Cas c) {
      String actual = get(c.key());
      if (!Objects.equals(actual, c.expected())) {
        return Result.casMismatch(actual, index);
      }
      pending.put(c.key(), c.value());
      return Result.written(index);
    }
    if (op instanceof Op.Incr i) {
      return incr(index, i);
    }
    throw new IllegalArgumentException("unknown op " + op.getClass().getName());
  }

  private Result incr(long index, Op.Incr op) {
    String current = get(op.key());
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
    pending.put(op.key(), next);
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
