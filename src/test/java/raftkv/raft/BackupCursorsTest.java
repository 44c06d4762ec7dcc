package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import raftkv.api.ClientProtocol.ReadSnapshot;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.ErrorCode;
import raftkv.common.Endpoint;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.storage.SnapshotChunks;
import raftkv.storage.StateStore;
import raftkv.storage.StateStore.Space;

/**
 * A leader's backup cursors: every chunk of one backup comes from the view opened by its first
 * request, whatever is written meanwhile; a chunk asked again is the same bytes; a cursor ends
 * after its last chunk, when idle, and when the node stops leading; at most {@link
 * BackupCursors#MAX_OPEN} are open.
 */
class BackupCursorsTest {
  private static final List<Endpoint> MEMBERS = List.of(new Endpoint("127.0.0.1", 9001));

  private final InMemoryStorage storage = new InMemoryStorage();
  private final AtomicLong now = new AtomicLong(1_000);
  private final BackupCursors cursors =
      new BackupCursors(storage, 64, now::get, LoggerFactory.getLogger(BackupCursorsTest.class));

  BackupCursorsTest() {
    storage.append(List.of(LogEntry.noop(1, 1), LogEntry.noop(2, 3)));
    write(2, "a", "b", "c", "d", "e", "f", "g", "h");
  }

  private void write(long index, String... keys) {
    try (StateStore.Batch b = storage.stateStore().newBatch()) {
      for (String k : keys) {
        b.put(Space.KEYS, k.getBytes(StandardCharsets.UTF_8), ("value of " + k).getBytes(StandardCharsets.UTF_8));
      }
      storage.stateStore().write(b, index);
    }
  }

  private SnapshotChunkReply read(Long cursor, long seq) {
    return cursors.read(new ReadSnapshot(cursor, seq, null), MEMBERS);
  }

  @Test
  void everyChunkComesFromTheViewTheFirstRequestOpened() {
    SnapshotChunkReply first = read(null, 0);
    assertThat(first.result().ok()).isTrue();
    assertThat(first.index()).isEqualTo(2);
    assertThat(first.term()).isEqualTo(3);
    assertThat(first.members()).isEqualTo(MEMBERS);
    assertThat(first.last()).isFalse();
    storage.append(List.of(LogEntry.noop(3, 3)));
    write(3, "zz-written-after");

    long digest = SnapshotChunks.digest(0, first.data());
    assertThat(first.digest()).isEqualTo(digest);
    int entries = SnapshotChunks.decode(first.data()).size();
    SnapshotChunkReply c = first;
    for (long seq = 1; !c.last(); seq++) {
      c = read(first.cursorId(), seq);
      assertThat(c.result().ok()).as("chunk %d: %s", seq, c).isTrue();
      assertThat(c.index()).isEqualTo(2);
      digest = SnapshotChunks.digest(digest, c.data());
      assertThat(c.digest()).isEqualTo(digest);
      entries += SnapshotChunks.decode(c.data()).size();
    }
    assertThat(entries).isEqualTo(8); // not the key written after the first chunk
    assertThat(cursors.openCount()).isZero(); // closed after the last chunk
    // The reply to the last chunk lost: asked again, it comes again, without the view.
    assertThat(read(first.cursorId(), c.seq())).isEqualTo(c);
    now.addAndGet(BackupCursors.IDLE.toMillis());
    cursors.tick();
    assertThat(read(first.cursorId(), c.seq()).result().message()).contains("is not open on this node");
  }

  @Test
  void aChunkAskedAgainIsTheSameBytesAndOneOutOfOrderIsRefused() {
    SnapshotChunkReply first = read(null, 0);
    SnapshotChunkReply second = read(first.cursorId(), 1);
    assertThat(read(first.cursorId(), 1)).isEqualTo(second);
    SnapshotChunkReply skipped = read(first.cursorId(), 5);
    assertThat(skipped.result().error()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(skipped.result().message()).contains("is at chunk 2, not 5");
    assertThat(read(null, 3).result().message()).contains("starts at chunk 0");
  }

  @Test
  void anIdleCursorIsClosedAndThenUnknown() {
    SnapshotChunkReply first = read(null, 0);
    now.addAndGet(BackupCursors.IDLE.toMillis() - 1);
    cursors.tick();
    assertThat(cursors.openCount()).isEqualTo(1);
    now.addAndGet(1);
    cursors.tick();
    assertThat(cursors.openCount()).isZero();
    SnapshotChunkReply late = read(first.cursorId(), 1);
    assertThat(late.result().error()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(late.result().message()).contains("is not open on this node").contains("run the backup again");
  }

  @Test
  void steppingDownClosesEveryCursorAndAtMostFourAreOpen() {
    for (int i = 0; i < BackupCursors.MAX_OPEN; i++) {
      assertThat(read(null, 0).result().ok()).isTrue();
    }
    SnapshotChunkReply fifth = read(null, 0);
    assertThat(fifth.result().error()).isEqualTo(ErrorCode.UNAVAILABLE);
    cursors.endAll();
    assertThat(cursors.openCount()).isZero();
    assertThat(read(null, 0).result().ok()).isTrue();
  }
}
