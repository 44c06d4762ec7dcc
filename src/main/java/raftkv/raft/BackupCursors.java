package raftkv.raft;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import raftkv.api.ClientProtocol.ReadSnapshot;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.ErrorCode;
import raftkv.api.Result;
import raftkv.common.Endpoint;
import raftkv.storage.RaftStorage;
import raftkv.storage.SnapshotChunks;
import raftkv.storage.SnapshotChunks.Chunk;
import raftkv.storage.SnapshotChunks.Position;
import raftkv.storage.StateStore;

/**
 * A leader's backups in progress ({@code kv_client snapshot save}): each is a cursor over a frozen
 * view of the state machine ({@link StateStore#view()}), so every chunk of one backup comes from
 * the state at one applied index, whatever is applied meanwhile, and taking it blocks nothing. A
 * view pins RocksDB's files and memory, so it never outlives its use: a cursor is closed after its
 * last chunk, after {@link #IDLE} without a request (its client is gone), and when the node stops
 * leading; and at most {@link #MAX_OPEN} are open at once. The last chunk's reply is kept for
 * {@link #IDLE} (a few at most), so a client whose reply to it was lost can ask again. Runs on the
 * node's thread.
 */
final class BackupCursors {

  /** A backup whose client asks nothing for this long is abandoned, and its view closed. */
  static final Duration IDLE = Duration.ofSeconds(30);

  /** Backups open at once, at most: each holds a view, and a backup is an operator's rare act. */
  static final int MAX_OPEN = 4;

  private final RaftStorage storage;
  private final long chunkBytes;
  private final LongSupplier clock;
  private final Logger log;
  private final Map<Long, Cursor> open = new HashMap<>();
  /**
   * The last chunk of each backup sent in full lately, with when it was sent: a retry of it (its
   * reply lost or late) gets it again without the view, which is closed at once.
   */
  private final Map<Long, Finished> finished = new LinkedHashMap<>();
  private long lastId;

  BackupCursors(RaftStorage storage, long chunkBytes, LongSupplier clock, Logger log) {
    this.storage = storage;
    this.chunkBytes = chunkBytes;
    this.clock = clock;
    this.log = log;
    // Ids unlikely to be the ones another node hands out, so a backup sent to a new leader after
    // a change finds no cursor of its id there rather than someone else's.
    this.lastId = clock.getAsLong() * 1000;
  }

  /**
   * One backup: its view, the chunk it sends next ({@code nextSeq}, from {@code next}, after the
   * chain {@code digest}), and where the chunk sent last started, to read it again for a retry.
   */
  private static final class Cursor {
    final long id;
    final StateStore.View view;
    final long index;
    final long term;
    long nextSeq;
    Position next = Position.START;
    long digest;
    Position lastStart;
    long lastDigestBefore;
    long lastUsedMillis;
    boolean done;

    Cursor(long id, StateStore.View view, long term, long now) {
      this.id = id;
      this.view = view;
      this.index = view.appliedIndex();
      this.term = term;
      this.lastUsedMillis = now;
    }
  }

  private record Finished(SnapshotChunkReply last, long sentMillis) {}

  /** Answers {@code m}, a request to this node as the leader of {@code members}. */
  SnapshotChunkReply read(ReadSnapshot m, List<Endpoint> members) {
    long now = clock.getAsLong();
    Cursor c;
    if (m.cursorId() == null) {
      if (m.seq() != 0) {
        return refused("a backup starts at chunk 0, not " + m.seq());
      }
      if (open.size() >= MAX_OPEN) {
        return SnapshotChunkReply.failed(Result.error(ErrorCode.UNAVAILABLE,
            MAX_OPEN + " backups are in progress on this node; retry once one has ended"));
      }
      StateStore.View view = storage.stateStore().view();
      long index = view.appliedIndex();
      if (index < storage.firstIndex() - 1 || index > storage.lastIndex()) {
        view.close(); // cannot happen: the log is compacted only up to the stored state
        throw new IllegalStateException("the stored state at " + index + " is outside the log ["
            + storage.firstIndex() + ", " + storage.lastIndex() + "]");
      }
      c = new Cursor(++lastId, view, storage.termAt(index), now);
      open.put(c.id, c);
      log.info("Backup [{}] opened at index [{}] (term {})", c.id, c.index, c.term);
    } else {
      c = open.get(m.cursorId());
      Finished f = finished.get(m.cursorId());
      if (c == null && f != null && f.last().seq() == m.seq()) {
        return f.last();
      }
      if (c == null) {
        return refused("backup " + m.cursorId() + " is not open on this node (the leader changed,"
            + " or it was idle over " + IDLE.toSeconds() + " s): run the backup again");
      }
    }
    c.lastUsedMillis = now;
    Position from;
    long before;
    if (m.seq() == c.nextSeq && !c.done) {
      from = c.next;
      before = c.digest;
    } else if (m.seq() == c.nextSeq - 1) {
      from = c.lastStart; // the reply to it was lost: the same chunk again
      before = c.lastDigestBefore;
    } else {
      return refused("backup " + c.id + " is at chunk " + c.nextSeq + ", not " + m.seq());
    }
    Chunk chunk = SnapshotChunks.read(c.view, from, chunkBytes);
    long digest = SnapshotChunks.digest(before, chunk.data());
    SnapshotChunkReply reply = new SnapshotChunkReply(Result.value(null, 0), c.id, m.seq(), c.index,
        c.term, members, chunk.data(), chunk.last(), digest, null, null);
    if (m.seq() == c.nextSeq) {
      c.lastStart = from;
      c.lastDigestBefore = before;
      c.next = chunk.next();
      c.digest = digest;
      c.nextSeq++;
      c.done = chunk.last();
      if (chunk.last()) {
        // The view is closed now; a retry of this chunk gets the reply kept in finished.
        log.info("Backup [{}] at index [{}] sent in full: {} chunks", c.id, c.index, c.nextSeq);
        close(c.id);
        finished.put(c.id, new Finished(reply, now));
        if (finished.size() > MAX_OPEN) {
          finished.remove(finished.keySet().iterator().next()); // the oldest
        }
      }
    }
    return reply;
  }

  /** Closes the cursors idle for {@link #IDLE}: their clients are gone. */
  void tick() {
    long now = clock.getAsLong();
    for (Cursor c : List.copyOf(open.values())) {
      if (now - c.lastUsedMillis >= IDLE.toMillis()) {
        log.info("Backup [{}] at index [{}] idle for {} s: closed", c.id, c.index, IDLE.toSeconds());
        close(c.id);
      }
    }
    finished.values().removeIf(f -> now - f.sentMillis() >= IDLE.toMillis());
  }

  /** Closes every cursor: the node stops leading, or stops. */
  void endAll() {
    for (Long id : List.copyOf(open.keySet())) {
      close(id);
    }
    finished.clear();
  }

  int openCount() {
    return open.size();
  }

  private void close(long id) {
    Cursor c = open.remove(id);
    if (c != null) {
      c.view.close();
    }
  }

  private static SnapshotChunkReply refused(String message) {
    return SnapshotChunkReply.failed(Result.error(ErrorCode.INVALID_REQUEST, message));
  }
}
