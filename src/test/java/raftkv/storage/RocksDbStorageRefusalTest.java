package raftkv.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** Every directory {@link RocksDbStorage#open} must refuse, and that it leaves them untouched. */
class RocksDbStorageRefusalTest {

  @TempDir Path tmp;

  private Path dir() {
    return tmp.resolve("store");
  }

  // ----------------------------------------------------------------------- not our directory

  @Test
  void refusesAStoreOfAnotherNode() throws Exception {
    RocksDbStorage.open(dir(), 2).close();
    assertRefusedUntouched(dir(), dir() + " belongs to node 2, not node 1");
  }

  @Test
  void refusesANonEmptyDirectoryWithoutRocksDb() throws Exception {
    Files.createDirectories(dir().resolve("photos"));
    Files.writeString(dir().resolve("notes.txt"), "not a database\n");
    Files.write(dir().resolve("photos/cat.jpg"), new byte[] {1, 2, 3});
    assertRefusedUntouched(
        dir(),
        dir() + " is not a raftkv data directory (no RocksDB CURRENT file); refusing to touch it");
  }

  @Test
  void refusesTheRocksDbOfAnotherApplication() throws Exception {
    RocksDbLibrary.load();
    try (Options options = new Options().setCreateIfMissing(true);
        RocksDB other = RocksDB.open(options, dir().toString())) {
      other.put("user:1".getBytes(UTF_8), "alice".getBytes(UTF_8));
    }
    assertRefusedUntouched(
        dir(),
        dir() + " is not a raftkv data directory (RocksDB without the raftkv column families);"
            + " refusing to touch it");
  }

  @Test
  void refusesARocksDbWithOurColumnFamiliesButNoFormatMarker() throws Exception {
    RawRocks.edit(dir(), (db, meta, log) -> db.put(meta, "term".getBytes(UTF_8), new byte[8]));
    assertRefusedUntouched(
        dir(),
        dir() + " is not a raftkv data directory (RocksDB without the raftkv format marker);"
            + " refusing to touch it");
  }

  @Test
  void refusesAnotherFormatVersion() throws Exception {
    RocksDbStorage.open(dir(), 1).close();
    RawRocks.edit(
        dir(),
        (db, meta, log) -> db.put(meta, StoreFormat.FORMAT_KEY, "raftkv-9".getBytes(UTF_8)));
    assertRefusedUntouched(
        dir(),
        dir() + " is not a raftkv data directory (format 'raftkv-9', expected 'raftkv-3' (or"
            + " 'raftkv-2' or 'raftkv-1', which this build upgrades)); refusing to touch it");
  }

  @Test
  void refusesAFormat1StoreWithDataInAStateColumnFamily() throws Exception {
    RocksDbStorage.open(dir(), 1).close();
    RawRocks.editAll(
        dir(),
        (db, families) -> {
          db.put(families.get("meta"), StoreFormat.FORMAT_KEY, "raftkv-1".getBytes(UTF_8));
          db.put(families.get("kv"), "k".getBytes(UTF_8), "v".getBytes(UTF_8));
        });
    assertRefusedUntouched(
        dir(), dir() + ": corrupt store: format raftkv-1 with data in the column family 'kv'");
  }

  @Test
  void refusesAFormat2StoreWithoutItsStateColumnFamilies() throws Exception {
    RawRocks.edit(
        dir(),
        (db, meta, log) -> {
          db.put(meta, StoreFormat.FORMAT_KEY, "raftkv-2".getBytes(UTF_8));
          db.put(meta, StoreFormat.NODE_ID_KEY, new byte[] {0, 0, 0, 1});
          for (byte[] key :
              List.of(
                  StoreFormat.TERM_KEY,
                  StoreFormat.COMMIT_HINT_KEY,
                  StoreFormat.PREV_TERM_KEY,
                  StoreFormat.APPLIED_INDEX_KEY)) {
            db.put(meta, key, RawRocks.longBytes(0));
          }
          db.put(meta, StoreFormat.FIRST_INDEX_KEY, RawRocks.longBytes(1));
        });
    assertRefusedUntouched(
        dir(), dir() + ": corrupt store: format raftkv-2 without the column family 'kv'");
  }

  @Test
  void refusesARegularFile() throws Exception {
    Path file = Files.writeString(tmp.resolve("data"), "some file\n");
    assertRefusedUntouched(file, file + " is a file, not a data directory; refusing to touch it");
  }

  @Test
  void refusesASecondOpenWhileTheFirstIsOpen() {
    try (RocksDbStorage first = RocksDbStorage.open(dir(), 1)) {
      first.append(List.of(LogEntry.noop(1, 1)));
      assertThat(refusal(dir(), 1)).isEqualTo(dir() + " is in use by another process");
      // The refused open left the first one working.
      first.append(List.of(LogEntry.noop(2, 1)));
      assertThat(first.entries(1, 2, Long.MAX_VALUE)).hasSize(2);
    }
    try (RocksDbStorage again = RocksDbStorage.open(dir(), 1)) {
      assertThat(again.lastIndex()).isEqualTo(2);
    }
  }

  // --------------------------------------------------------------------------------- corrupt

  @Test
  void refusesALogValueWithAnUnknownFormatByte() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.put(log, key(2), RawRocks.entryValue(7, 1, 2, new byte[3])),
        "log entry at index 2 has unknown format byte 7");
  }

  @Test
  void refusesALogValueWithAnUnknownTypeCode() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.put(log, key(2), RawRocks.entryValue(1, 9, 2, new byte[3])),
        "log entry at index 2 has unknown type code 9");
  }

  @Test
  void refusesALogValueShorterThanItsHeader() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.put(log, key(3), new byte[] {1, 1, 0, 0, 0}),
        "log entry at index 3 has 5 bytes, less than its header");
  }

  @Test
  void refusesAGapInTheLogKeys() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.delete(log, key(2)),
        "log is not contiguous: expected index 2, found 3");
  }

  @Test
  void refusesALogThatDoesNotStartAtItsFirstIndex() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.delete(log, key(1)),
        "log is not contiguous: expected index 1, found 2");
  }

  @Test
  void refusesATermLowerThanThePreviousEntrys() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.put(log, key(3), RawRocks.entryValue(1, 1, 1, new byte[0])),
        "log entry at index 3 has term 1, lower than term 2 before it");
  }

  @Test
  void refusesAMetaNumberOfTheWrongWidth() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.put(meta, StoreFormat.TERM_KEY, new byte[] {0, 0, 7}),
        "meta 'term' has 3 bytes, expected 8");
  }

  @Test
  void refusesAnAppliedIndexBeyondTheLog() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.put(meta, StoreFormat.APPLIED_INDEX_KEY, RawRocks.longBytes(9)),
        "the state machine applied up to index 9, beyond the log's last index 3");
  }

  @Test
  void refusesAFormat2StoreWithoutItsAppliedIndex() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.delete(meta, StoreFormat.APPLIED_INDEX_KEY),
        "meta 'applied-index' is missing");
  }

  @Test
  void refusesAVoteThatIsNotAnEndpoint() throws Exception {
    assertCorruptAfter(
        (db, meta, log) -> db.put(meta, StoreFormat.VOTED_FOR_KEY, "nobody".getBytes(UTF_8)),
        "meta 'voted-for' is not host:port ('nobody' is not a port or host:port)");
  }

  @Test
  void refusesAStoreWhoseFilesRocksDbFindsCorrupt() throws Exception {
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      for (long i = 1; i <= 200; i++) {
        s.append(List.of(new LogEntry(i, 1, EntryType.COMMAND, new byte[100])));
      }
    }
    List<Path> logTables = new ArrayList<>();
    RawRocks.edit(
        dir(),
        (db, meta, log) -> {
          try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
            db.flush(wait, log);
          }
          for (LiveFileMetaData file : db.getLiveFilesMetaData()) {
            if (new String(file.columnFamilyName(), UTF_8).equals("log")) {
              logTables.add(Path.of(file.path(), file.fileName()));
            }
          }
        });
    assertThat(logTables).hasSize(1);
    flipByte(logTables.get(0), 200); // inside the first data block: its checksum no longer matches

    Map<String, String> before = contents(dir());
    assertThat(refusal(dir(), 1))
        .startsWith(dir() + ": corrupt store: cannot read the log after index 0 (")
        .contains("checksum mismatch");
    assertThat(contents(dir())).as("files after the refusal").isEqualTo(before);
  }

  // --------------------------------------------------------------------------------- helpers

  private void assertCorruptAfter(RawRocks.Edit edit, String what) throws Exception {
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      s.append(
          List.of(
              new LogEntry(1, 2, EntryType.COMMAND, new byte[] {1}),
              new LogEntry(2, 2, EntryType.COMMAND, new byte[] {2}),
              new LogEntry(3, 2, EntryType.COMMAND, new byte[] {3})));
    }
    RawRocks.edit(dir(), edit);
    assertRefusedUntouched(dir(), dir() + ": corrupt store: " + what);
  }

  private static void assertRefusedUntouched(Path path, String expectedMessage) throws Exception {
    Map<String, String> before = contents(path);
    assertThat(refusal(path, 1)).isEqualTo(expectedMessage);
    assertThat(contents(path)).as("files after the refusal").isEqualTo(before);
  }

  /** The message of the StorageException that opening as {@code nodeId} throws; one line. */
  private static String refusal(Path path, int nodeId) {
    Throwable thrown = catchThrowable(() -> RocksDbStorage.open(path, nodeId).close());
    assertThat(thrown).isInstanceOf(StorageException.class);
    assertThat(thrown.getMessage()).doesNotContain("\n").doesNotContain("\r");
    return thrown.getMessage();
  }

  /** Every file and directory under {@code path} with a hash of its bytes. */
  private static Map<String, String> contents(Path path) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(path)) {
      for (Path p : all.toList()) {
        out.put(path.relativize(p).toString(), Files.isDirectory(p) ? "dir" : sha256(p));
      }
    }
    return out;
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0xFF);
    }
  }

  private static byte[] key(long index) {
    return StoreFormat.indexKey(index);
  }
}
