package raftkv.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.common.Endpoint;

class RocksDbStorageTest {

  @TempDir Path tmp;

  private final List<RocksDbStorage> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(RocksDbStorage::close);
  }

  private RocksDbStorage open() {
    RocksDbStorage storage = RocksDbStorage.open(tmp.resolve("store"), 1);
    opened.add(storage);
    return storage;
  }

  private RocksDbStorage reopen(RocksDbStorage storage) {
    storage.close();
    return open();
  }

  private static LogEntry command(long index, long term, String data) {
    return new LogEntry(index, term, EntryType.COMMAND, data.getBytes(UTF_8));
  }

  /** Entries from..to, each {@code 24 + 10} bytes by {@link LogEntry#sizeBytes()}. */
  private static List<LogEntry> commands(long from, long to, long term) {
    List<LogEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(command(i, term, String.format("entry%05d", i)));
    }
    return out;
  }

  // ---------------------------------------------------------------------------- a new store

  @Test
  void unsyncedEntriesAreReadableAtOnceAndKeptAfterTheSync() {
    RocksDbStorage s = open();
    s.append(commands(1, 2, 1));
    s.appendUnsynced(commands(3, 5, 1));
    assertThat(s.lastIndex()).isEqualTo(5);
    assertThat(s.entries(1, 5, Long.MAX_VALUE)).isEqualTo(commands(1, 5, 1));
    s.sync();
    s = reopen(s);
    assertThat(s.entries(1, 5, Long.MAX_VALUE)).isEqualTo(commands(1, 5, 1));
  }

  @Test
  void newStoreIsEmpty() {
    RocksDbStorage s = open();
    assertThat(s.currentTerm()).isZero();
    assertThat(s.votedFor()).isEmpty();
    assertThat(s.commitHint()).isZero();
    assertThat(s.firstIndex()).isEqualTo(1);
    assertThat(s.lastIndex()).isZero();
    assertThat(s.lastTerm()).isZero();
    assertThat(s.termAt(0)).isZero();
  }

  @Test
  void createsMissingParentsAndUsesAnEmptyDirectory() throws Exception {
    Path nested = tmp.resolve("a/b/store");
    RocksDbStorage.open(nested, 1).close();
    assertThat(nested.resolve("CURRENT")).exists();

    Path empty = Files.createDirectory(tmp.resolve("empty"));
    RocksDbStorage.open(empty, 1).close();
    assertThat(empty.resolve("CURRENT")).exists();
  }

  // -------------------------------------------------------------------------- persistence

  @Test
  void termVoteCommitHintAndEntriesSurviveReopen() {
    RocksDbStorage s = open();
    Endpoint candidate = new Endpoint("10.0.0.7", 2552);
    s.saveTermAndVote(7, Optional.of(candidate));
    s.saveCommitHint(3);
    List<LogEntry> log = new ArrayList<>(commands(1, 3, 2));
    log.add(LogEntry.noop(4, 7));
    log.add(new LogEntry(5, 7, EntryType.CONFIG, new byte[] {0, -1, 127, -128}));
    s.append(log);

    s = reopen(s);

    assertThat(s.currentTerm()).isEqualTo(7);
    assertThat(s.votedFor()).contains(candidate);
    assertThat(s.commitHint()).isEqualTo(3);
    assertThat(s.lastIndex()).isEqualTo(5);
    assertThat(s.lastTerm()).isEqualTo(7);
    assertThat(s.entries(1, 5, Long.MAX_VALUE)).containsExactlyElementsOf(log);
    assertThat(s.termAt(3)).isEqualTo(2);
  }

  @Test
  void noVoteAfterAVoteSurvivesReopen() {
    RocksDbStorage s = open();
    s.saveTermAndVote(3, Optional.of(new Endpoint("::1", 9000)));
    s = reopen(s);
    assertThat(s.votedFor()).contains(new Endpoint("::1", 9000));

    s.saveTermAndVote(4, Optional.empty());
    assertThat(s.votedFor()).isEmpty();
    s = reopen(s);
    assertThat(s.currentTerm()).isEqualTo(4);
    assertThat(s.votedFor()).isEmpty();
  }

  @Test
  void truncationSurvivesReopen() {
    RocksDbStorage s = open();
    s.append(commands(1, 10, 1));
    s.append(List.of(command(4, 2, "new")));
    RocksDbStorage r = reopen(s);
    assertThat(r.lastIndex()).isEqualTo(4);
    assertThat(r.entries(1, 4, Long.MAX_VALUE))
        .containsExactly(
            command(1, 1, "entry00001"), command(2, 1, "entry00002"),
            command(3, 1, "entry00003"), command(4, 2, "new"));
    assertThatThrownBy(() -> r.entry(5)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  // ------------------------------------------------------------------------------- append

  @Test
  void appendInsideTheLogReplacesTheWholeSuffix() {
    RocksDbStorage s = open();
    s.append(commands(1, 5, 1));
    s.append(List.of(command(3, 2, "x"), command(4, 2, "y")));

    assertThat(s.lastIndex()).isEqualTo(4);
    assertThat(s.lastTerm()).isEqualTo(2);
    assertThat(s.termAt(2)).isEqualTo(1);
    assertThat(s.termAt(3)).isEqualTo(2);
    assertThat(s.entries(1, 4, Long.MAX_VALUE))
        .containsExactly(
            command(1, 1, "entry00001"), command(2, 1, "entry00002"), command(3, 2, "x"),
            command(4, 2, "y"));
    assertThatThrownBy(() -> s.entry(5)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void appendRightAfterTheLastEntryExtendsIt() {
    RocksDbStorage s = open();
    s.append(commands(1, 2, 1));
    s.append(commands(3, 4, 1));
    assertThat(s.entries(1, 4, Long.MAX_VALUE)).containsExactlyElementsOf(commands(1, 4, 1));
  }

  @Test
  void rejectsAGapAndLeavesTheLogAlone() {
    RocksDbStorage s = open();
    s.append(commands(1, 2, 1));
    assertThatThrownBy(() -> s.append(commands(4, 4, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("append at 4");
    assertThat(s.lastIndex()).isEqualTo(2);
    assertThat(reopen(s).lastIndex()).isEqualTo(2);
  }

  @Test
  void rejectsNonConsecutiveEntries() {
    RocksDbStorage s = open();
    assertThatThrownBy(() -> s.append(List.of(command(1, 1, "a"), command(3, 1, "b"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not consecutive");
    assertThat(s.lastIndex()).isZero();
  }

  @Test
  void rejectsATermBelowThePreviousEntrysTerm() {
    RocksDbStorage s = open();
    s.append(commands(1, 2, 3));
    assertThatThrownBy(() -> s.append(commands(3, 3, 2)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.append(List.of(command(3, 4, "a"), command(4, 3, "b"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(s.lastIndex()).isEqualTo(2);
    assertThat(reopen(s).lastIndex()).isEqualTo(2);
  }

  @Test
  void emptyAppendIsANoOp() {
    RocksDbStorage s = open();
    s.append(commands(1, 3, 1));
    s.append(List.of());
    assertThat(s.lastIndex()).isEqualTo(3);
    assertThat(s.entries(1, 3, Long.MAX_VALUE)).containsExactlyElementsOf(commands(1, 3, 1));
  }

  // ------------------------------------------------------------------------------- reading

  @Test
  void termAtAnswersFromZeroToLastIndexOnly() {
    RocksDbStorage s = open();
    assertThat(s.termAt(0)).isZero();
    assertThatThrownBy(() -> s.termAt(1)).isInstanceOf(IndexOutOfBoundsException.class);
    s.append(commands(1, 2, 4));
    assertThat(s.termAt(2)).isEqualTo(4);
    assertThatThrownBy(() -> s.termAt(3)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> s.termAt(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> s.entry(0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void entriesStopOnceMaxBytesWouldBeExceeded() {
    RocksDbStorage s = open();
    s.append(commands(1, 10, 1)); // 34 bytes each
    assertThat(s.entries(1, 10, 102)).containsExactlyElementsOf(commands(1, 3, 1));
    assertThat(s.entries(1, 10, 101)).containsExactlyElementsOf(commands(1, 2, 1));
    assertThat(s.entries(4, 6, Long.MAX_VALUE)).containsExactlyElementsOf(commands(4, 6, 1));
  }

  @Test
  void entriesReturnAtLeastOneEntryWhateverMaxBytes() {
    RocksDbStorage s = open();
    s.append(commands(1, 3, 1));
    assertThat(s.entries(2, 3, 0)).containsExactly(command(2, 1, "entry00002"));
    assertThat(s.entries(3, 2, Long.MAX_VALUE)).isEmpty();
    assertThatThrownBy(() -> s.entries(2, 4, 100)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> s.entries(0, 1, 100)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  // ------------------------------------------------------------------ log after a snapshot

  @Test
  void logCanStartAfterASnapshotBoundary() throws Exception {
    RocksDbStorage.open(tmp.resolve("store"), 1).close();
    RawRocks.edit(
        tmp.resolve("store"),
        (db, meta, log) -> {
          db.put(meta, StoreFormat.FIRST_INDEX_KEY, RawRocks.longBytes(11));
          db.put(meta, StoreFormat.PREV_TERM_KEY, RawRocks.longBytes(4));
        });
    RocksDbStorage s = open();
    assertThat(s.firstIndex()).isEqualTo(11);
    assertThat(s.lastIndex()).isEqualTo(10);
    assertThat(s.lastTerm()).isEqualTo(4);
    assertThat(s.termAt(10)).isEqualTo(4);
    assertThat(s.termAt(0)).isZero();
    assertThatThrownBy(() -> s.termAt(9)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> s.append(commands(10, 10, 4)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.append(commands(11, 11, 3)))
        .isInstanceOf(IllegalArgumentException.class);

    s.append(commands(11, 12, 5));
    RocksDbStorage r = reopen(s);
    assertThat(r.entries(11, 12, Long.MAX_VALUE)).containsExactlyElementsOf(commands(11, 12, 5));
    assertThat(r.termAt(10)).isEqualTo(4);
  }

  // ------------------------------------------------------------------------------ lifecycle

  @Test
  void closeTwiceIsHarmlessAndUseAfterCloseFails() {
    RocksDbStorage s = open();
    s.close();
    s.close();
    assertThatThrownBy(s::lastIndex).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> s.append(commands(1, 1, 1))).isInstanceOf(IllegalStateException.class);
    open().close(); // the lock was released
  }

  // ------------------------------------------------------------------------ against a model

  @Test
  void matchesInMemoryStorageOverRandomAppendsAndReopens() {
    Random random = new Random(42);
    InMemoryStorage model = new InMemoryStorage();
    RocksDbStorage s = open();
    for (int step = 0; step < 400; step++) {
      long first = 1 + random.nextInt((int) model.lastIndex() + 1);
      long term = model.termAt(first - 1) + random.nextInt(2);
      int count = 1 + random.nextInt(5);
      List<LogEntry> batch = new ArrayList<>();
      for (long i = first; i < first + count; i++) {
        term += random.nextInt(10) == 0 ? 1 : 0;
        batch.add(command(i, Math.max(term, 1), "s" + step + "i" + i));
      }
      model.append(batch);
      s.append(batch);
      if (random.nextInt(25) == 0) {
        s = reopen(s);
      }
      assertThat(s.lastIndex()).isEqualTo(model.lastIndex());
      assertThat(s.lastTerm()).isEqualTo(model.lastTerm());
    }
    s = reopen(s);
    assertThat(s.entries(1, s.lastIndex(), Long.MAX_VALUE))
        .containsExactlyElementsOf(model.snapshotOfLog());
    for (long i = 0; i <= model.lastIndex(); i++) {
      assertThat(s.termAt(i)).as("termAt(%d)", i).isEqualTo(model.termAt(i));
    }
  }
}
