package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.common.Endpoint;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.RocksDbStorage;
import raftkv.storage.SnapshotChunks;
import raftkv.storage.SnapshotChunks.Chunk;
import raftkv.storage.SnapshotChunks.Entry;
import raftkv.storage.SnapshotChunks.Position;
import raftkv.storage.StateStore;
import raftkv.storage.StateStore.Space;

/**
 * The backup file ({@link BackupFile}) and {@code kvstore restore} ({@link Restore}): a whole backup
 * reads back entry for entry and restores into a store that opens at its index; a file cut short
 * anywhere, one flipped byte, a foreign file and another format version are refused in one line,
 * and restore never touches a data directory that holds anything.
 */
class BackupFileTest {

  @TempDir Path tmp;

  private static final List<Endpoint> MEMBERS =
      List.of(new Endpoint("127.0.0.1", 9001), new Endpoint("127.0.0.1", 9002));

  /** A store of {@code keys} keys (values of a few hundred bytes) and two session records. */
  private static InMemoryStateStore store(int keys, long appliedIndex) {
    InMemoryStateStore s = new InMemoryStateStore();
    try (StateStore.Batch b = s.newBatch()) {
      for (int i = 0; i < keys; i++) {
        b.put(Space.KEYS, bytes("key-" + i), bytes("value-" + i + "-" + "x".repeat(300)));
      }
      b.put(Space.SESSIONS, bytes("s1"), bytes("session one"));
      b.put(Space.SESSIONS, bytes("s2"), new byte[] {0, 1, 2, (byte) 0xFF});
      s.write(b, appliedIndex);
    }
    return s;
  }

  /** Writes the backup of {@code store} to {@code file} in chunks of about {@code chunkBytes}. */
  private static BackupFile.Summary save(StateStore store, long term, Path file, long chunkBytes)
      throws Exception {
    try (StateStore.View view = store.view();
        BackupFile.Writer w =
            BackupFile.Writer.create(file, new BackupFile.Header(view.appliedIndex(), term, MEMBERS))) {
      Position at = Position.START;
      long digest = 0;
      while (true) {
        Chunk c = SnapshotChunks.read(view, at, chunkBytes);
        digest = SnapshotChunks.digest(digest, c.data());
        w.chunk(c.data(), digest);
        if (c.last()) {
          return w.finish();
        }
        at = c.next();
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static TreeMap<String, String> contents(List<Entry> entries) {
    TreeMap<String, String> m = new TreeMap<>();
    for (Entry e : entries) {
      m.put(e.space() + "/" + Arrays.toString(e.key()), Arrays.toString(e.value()));
    }
    return m;
  }

  private static TreeMap<String, String> contents(StateStore.View view) {
    List<Entry> all = new ArrayList<>();
    for (Space space : List.of(Space.KEYS, Space.SESSIONS)) {
      try (StateStore.Cursor c = view.scan(space, new byte[0])) {
        for (; c.valid(); c.next()) {
          all.add(new Entry(space, c.key(), c.value()));
        }
      }
    }
    return contents(all);
  }

  @Test
  void aBackupReadsBackEntryForEntry() throws Exception {
    InMemoryStateStore store = store(500, 42);
    Path file = tmp.resolve("b.snap");
    BackupFile.Summary saved = save(store, 7, file, 16 << 10);
    assertThat(saved.chunks()).isGreaterThan(5);
    assertThat(saved.keys()).isEqualTo(500);
    assertThat(saved.entries()).isEqualTo(502);
    assertThat(saved.bytes()).isEqualTo(Files.size(file));
    assertThat(Files.exists(tmp.resolve("b.snap.tmp"))).isFalse();

    List<Entry> read = new ArrayList<>();
    BackupFile.Summary back = BackupFile.read(file, read::addAll);
    assertThat(back).isEqualTo(saved);
    assertThat(back.header()).isEqualTo(new BackupFile.Header(42, 7, MEMBERS));
    try (StateStore.View view = store.view()) {
      assertThat(contents(read)).isEqualTo(contents(view));
    }
  }

  @Test
  void anEmptyStoreMakesAWholeBackup() throws Exception {
    Path file = tmp.resolve("empty.snap");
    save(new InMemoryStateStore(), 0, file, 1024);
    assertThat(BackupFile.read(file, e -> {}).entries()).isZero();
  }

  @Test
  void aBackupNeverOverwritesAFile() throws Exception {
    Path file = tmp.resolve("taken");
    Files.writeString(file, "someone's");
    assertThatThrownBy(() -> save(store(3, 1), 1, file, 1024))
        .isInstanceOf(BackupFile.Refused.class)
        .hasMessageContaining("exists");
    assertThat(Files.readString(file)).isEqualTo("someone's");
  }

  @Test
  void aBackupAbandonedBeforeItsEndLeavesNoFile() throws Exception {
    Path file = tmp.resolve("half.snap");
    try (BackupFile.Writer w = BackupFile.Writer.create(file, new BackupFile.Header(1, 1, MEMBERS))) {
      byte[] data = SnapshotChunks.read(store(3, 1).view(), Position.START, 1 << 20).data();
      w.chunk(data, SnapshotChunks.digest(0, data));
    }
    assertThat(Files.exists(file)).isFalse();
    assertThat(Files.exists(tmp.resolve("half.snap.tmp"))).isFalse();
  }

  @Test
  void aChunkThatIsNotWhatTheLeaderVouchedForIsRefused() throws Exception {
    Path file = tmp.resolve("bad.snap");
    try (BackupFile.Writer w = BackupFile.Writer.create(file, new BackupFile.Header(1, 1, MEMBERS))) {
      byte[] data = SnapshotChunks.read(store(3, 1).view(), Position.START, 1 << 20).data();
      long digest = SnapshotChunks.digest(0, data);
      data[data.length - 1] ^= 1;
      assertThatThrownBy(() -> w.chunk(data, digest)).hasMessageContaining("checksum");
    }
    assertThat(Files.exists(file)).isFalse();
  }

  @Test
  void aBackupCutShortAnywhereIsRefusedAsTruncated() throws Exception {
    Path file = tmp.resolve("b.snap");
    save(store(200, 9), 3, file, 8 << 10);
    byte[] whole = Files.readAllBytes(file);
    // In the magic, the header, a chunk's length, a chunk's data, the trailer, one byte short.
    for (int cut : new int[] {0, 5, 16, 22, 60, whole.length / 3, whole.length / 2, whole.length - 25,
        whole.length - 9, whole.length - 1}) {
      Path cutFile = tmp.resolve("cut-" + cut);
      Files.write(cutFile, Arrays.copyOf(whole, cut));
      assertThatThrownBy(() -> BackupFile.read(cutFile, e -> {}))
          .as("cut at %d of %d", cut, whole.length)
          .isInstanceOf(BackupFile.Refused.class)
          .message()
          .satisfiesAnyOf(
              m -> assertThat(m).contains("truncated"),
              m -> assertThat(m).contains("not a raftkv backup")); // cut inside the magic
    }
    Path longer = tmp.resolve("longer");
    Files.write(longer, Arrays.copyOf(whole, whole.length + 1));
    assertThatThrownBy(() -> BackupFile.read(longer, e -> {})).hasMessageContaining("after the trailer");
  }

  @Test
  void aFlippedByteIsRefused() throws Exception {
    Path file = tmp.resolve("b.snap");
    save(store(20, 9), 3, file, 1 << 10);
    byte[] whole = Files.readAllBytes(file);
    // Every byte of the magic, header, first chunk's framing and trailer; every 41st in between.
    for (int at = 0; at < whole.length; at += at < 120 || at > whole.length - 40 ? 1 : 41) {
      byte[] flipped = whole.clone();
      flipped[at] ^= 0x10;
      Path f = tmp.resolve("flipped");
      Files.write(f, flipped);
      int where = at;
      assertThatThrownBy(() -> BackupFile.read(f, e -> {}))
          .as("byte %d of %d flipped", where, whole.length)
          .isInstanceOf(BackupFile.Refused.class);
    }
  }

  @Test
  void aForeignFileOrAnotherVersionIsRefused() throws Exception {
    Path foreign = tmp.resolve("etcd.db");
    Files.writeString(foreign, "SQLite format 3\u0000 and then some more bytes of it");
    assertThatThrownBy(() -> BackupFile.read(foreign, e -> {})).hasMessageEndingWith("not a raftkv backup");
    Path v2 = tmp.resolve("v2.snap");
    Files.writeString(v2, "raftkv-backup 2\nwhatever follows");
    assertThatThrownBy(() -> BackupFile.read(v2, e -> {})).hasMessageContaining("another format version");
    assertThatThrownBy(() -> BackupFile.read(tmp.resolve("missing"), e -> {}))
        .hasMessageContaining("no such file");
  }

  // ---------------------------------------------------------------------------------------------
  // kvstore restore

  private record Run(int code, String out, String err) {}

  private static Run restore(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 1];
    all[0] = "restore";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = KvStore.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void restoreMakesAStoreAtTheBackupsIndexAndTerm() throws Exception {
    InMemoryStateStore store = store(300, 77);
    Path file = tmp.resolve("b.snap");
    save(store, 5, file, 8 << 10);
    Path dir = tmp.resolve("n2");
    Run r = restore(file.toString(), "--id", "2", "--peers", "9101,9102,127.0.0.1:9103",
        "--data-dir", dir.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("restored snapshot at index 77 (term 5): 300 keys, to " + dir)
        .contains("kvstore --id 2 --host 127.0.0.1 --port 9102 --peers 127.0.0.1:9101,127.0.0.1:9103 --data-dir " + dir);
    try (RocksDbStorage s = RocksDbStorage.open(dir, 2)) {
      assertThat(s.stateStore().appliedIndex()).isEqualTo(77);
      assertThat(s.firstIndex()).isEqualTo(78);
      assertThat(s.lastIndex()).isEqualTo(77);
      assertThat(s.termAt(77)).isEqualTo(5);
      assertThat(s.currentTerm()).isEqualTo(5);
      assertThat(s.votedFor()).isEqualTo(Optional.empty());
      assertThat(s.commitHint()).isEqualTo(77);
      assertThat(s.stateStore().pendingInstall()).isEqualTo(-1);
      try (StateStore.View restored = s.stateStore().view(); StateStore.View original = store.view()) {
        assertThat(contents(restored)).isEqualTo(contents(original));
      }
    }
  }

  @Test
  void restoreNeverTouchesADataDirectoryThatHoldsAnything() throws Exception {
    Path file = tmp.resolve("b.snap");
    save(store(10, 4), 2, file, 1024);
    Path dir = Files.createDirectories(tmp.resolve("busy"));
    Files.writeString(dir.resolve("CURRENT"), "someone's store");
    Run r = restore(file.toString(), "--id", "1", "--peers", "9101", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("kvstore restore: " + dir
        + " exists and is not empty: restore never overwrites a data directory; give a new --data-dir"
        + System.lineSeparator());
    try (var list = Files.list(dir)) {
      assertThat(list.toList()).containsExactly(dir.resolve("CURRENT"));
    }
    assertThat(Files.readString(dir.resolve("CURRENT"))).isEqualTo("someone's store");
  }

  @Test
  void aTruncatedOrForeignBackupRestoresNothing() throws Exception {
    Path file = tmp.resolve("b.snap");
    save(store(100, 4), 2, file, 1024);
    byte[] whole = Files.readAllBytes(file);
    Path cut = tmp.resolve("cut.snap");
    Files.write(cut, Arrays.copyOf(whole, whole.length - 30));
    Path dir = tmp.resolve("n1");
    Run r = restore(cut.toString(), "--id", "1", "--peers", "9101", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).contains("truncated").contains("nothing was restored");
    assertThat(Files.exists(dir)).isFalse();

    Path foreign = tmp.resolve("notes.txt");
    Files.writeString(foreign, "dear diary");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    r = restore(foreign.toString(), "--id", "1", "--peers", "9101", "--data-dir", empty.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("kvstore restore: " + foreign
        + ": not a raftkv backup; nothing was restored" + System.lineSeparator());
    try (var list = Files.list(empty)) {
      assertThat(list.toList()).isEmpty();
    }
  }

  @Test
  void anIdOutsideThePeersIsAUsageError() throws IOException {
    Path dir = tmp.resolve("n4");
    Run r = restore(tmp.resolve("any").toString(), "--id", "4", "--peers", "9101,9102,9103",
        "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().findFirst().orElseThrow())
        .isEqualTo("kvstore restore: --id 4 is not in --peers (members 1 to 3)");
    assertThat(Files.exists(dir)).isFalse();
  }
}
