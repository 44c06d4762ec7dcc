package raftkv.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.storage.StateStore.Space;

/**
 * Compaction, the frozen view a snapshot is read from, and the two-step install of a staged
 * snapshot, on the RocksDB store, across reopens (what a crash leaves).
 */
class RocksDbSnapshotTest {

  @TempDir Path tmp;

  private Path dir() {
    return tmp.resolve("store");
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  private static List<LogEntry> entries(long from, long to, long term) {
    List<LogEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(new LogEntry(i, term, EntryType.COMMAND, b("e" + i)));
    }
    return out;
  }

  private static void put(StateStore s, String key, String value, long applied) {
    try (StateStore.Batch batch = s.newBatch()) {
      batch.put(Space.KEYS, b(key), b(value));
      s.write(batch, applied);
    }
  }

  private static void stage(StateStore s, Space space, String key, byte[] value) {
    try (StateStore.Batch batch = s.newBatch()) {
      batch.put(Space.INCOMING, StateStore.stagedKey(space, b(key)), value);
      s.stage(batch);
    }
  }

  @Test
  void compactionDropsThePrefixTheStoredStateCoversAndSurvivesAReopen() {
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      s.append(entries(1, 10, 1));
      s.append(entries(11, 20, 2));
      put(s.stateStore(), "k", "v", 15);
      long kept = entries(13, 20, 2).stream().mapToLong(LogEntry::sizeBytes).sum();
      assertThatThrownBy(() -> s.compact(16)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("stored up to 15");
      s.compact(12);
      assertThat(s.firstIndex()).isEqualTo(13);
      assertThat(s.termAt(12)).isEqualTo(2);
      assertThat(s.lastIndex()).isEqualTo(20);
      assertThat(s.logBytes()).isEqualTo(kept);
      assertThatThrownBy(() -> s.entry(12)).isInstanceOf(IndexOutOfBoundsException.class);
      assertThat(s.entries(13, 20, Long.MAX_VALUE)).containsExactlyElementsOf(entries(13, 20, 2));
    }
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      assertThat(s.firstIndex()).isEqualTo(13);
      assertThat(s.termAt(12)).isEqualTo(2);
      assertThat(s.lastIndex()).isEqualTo(20);
      assertThat(s.logBytes()).as("counted again at open").isEqualTo(entries(13, 20, 2).stream().mapToLong(LogEntry::sizeBytes).sum());
      assertThat(s.stateStore().appliedIndex()).isEqualTo(15);
      // Everything may go, as long as the state covers it: the log is then empty after 20.
      put(s.stateStore(), "k", "v2", 20);
      s.compact(20);
      assertThat(s.lastIndex()).isEqualTo(20);
      assertThat(s.lastTerm()).isEqualTo(2);
      s.append(entries(21, 21, 3));
      assertThat(s.entry(21).term()).isEqualTo(3);
    }
  }

  @Test
  void aViewSeesTheStoreAsItWasWhenOpened() {
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      s.append(entries(1, 3, 1));
      put(s.stateStore(), "a", "1", 2);
      try (StateStore.View view = s.stateStore().view()) {
        put(s.stateStore(), "a", "2", 3);
        put(s.stateStore(), "b", "3", 3);
        assertThat(view.appliedIndex()).isEqualTo(2);
        try (StateStore.Cursor c = view.scan(Space.KEYS, new byte[0])) {
          assertThat(c.valid()).isTrue();
          assertThat(new String(c.key(), UTF_8)).isEqualTo("a");
          assertThat(new String(c.value(), UTF_8)).isEqualTo("1");
          c.next();
          assertThat(c.valid()).as("b came later").isFalse();
        }
      }
    }
  }

  @Test
  void anInstallKeepsTheLogAfterTheSnapshotWhenItHoldsItsLastEntry() { // Figure 13 rule 6
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      s.append(entries(1, 8, 1));
      s.beginInstall(5, 1);
      assertThat(s.firstIndex()).isEqualTo(6);
      assertThat(s.lastIndex()).isEqualTo(8);
      assertThat(s.entries(6, 8, Long.MAX_VALUE)).containsExactlyElementsOf(entries(6, 8, 1));
    }
  }

  @Test
  void anInstallDiscardsALogThatDisagreesAndReplacesTheStateWhole() { // Figure 13 rule 7
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      s.append(entries(1, 8, 1));
      put(s.stateStore(), "old", "x", 3);
      stage(s.stateStore(), Space.KEYS, "new", b("y"));
      stage(s.stateStore(), Space.SESSIONS, "session", b("z"));
      assertThat(s.stateStore().get(Space.KEYS, b("new"))).as("staged is not live").isNull();
      s.beginInstall(40, 3);
      assertThat(s.firstIndex()).isEqualTo(41);
      assertThat(s.lastIndex()).isEqualTo(40);
      assertThat(s.lastTerm()).isEqualTo(3);
      assertThat(s.stateStore().pendingInstall()).isEqualTo(40);
      // The process dies here, before the state machine replaced its state.
    }
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      StateStore st = s.stateStore();
      assertThat(s.firstIndex()).isEqualTo(41);
      assertThat(st.pendingInstall()).as("the mark outlived the crash").isEqualTo(40);
      assertThat(st.get(Space.KEYS, b("old"))).as("the old state, whole").isNotNull();
      assertThat(st.installStaged()).isEqualTo(40);
      assertThat(st.appliedIndex()).isEqualTo(40);
      assertThat(st.get(Space.KEYS, b("old"))).isNull();
      assertThat(st.get(Space.KEYS, b("new"))).containsExactly(b("y"));
      assertThat(st.get(Space.SESSIONS, b("session"))).containsExactly(b("z"));
      assertThat(st.pendingInstall()).isEqualTo(-1);
      s.append(entries(41, 42, 3));
    }
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      assertThat(s.stateStore().appliedIndex()).isEqualTo(40);
      assertThat(s.stateStore().get(Space.KEYS, b("new"))).containsExactly(b("y"));
      assertThat(s.lastIndex()).isEqualTo(42);
    }
  }

  @Test
  void anInstallLargerThanOneBatchIsCopiedWhole() {
    byte[] value = new byte[64 << 10];
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      for (int i = 0; i < 200; i++) { // 12.5 MiB: several of the install's batches
        value[0] = (byte) i;
        stage(s.stateStore(), Space.KEYS, String.format("k%04d", i), value.clone());
      }
      s.beginInstall(7, 1);
      assertThat(s.stateStore().installStaged()).isEqualTo(7);
      int n = 0;
      try (StateStore.Cursor c = s.stateStore().scan(Space.KEYS, new byte[0])) {
        for (; c.valid(); c.next(), n++) {
          assertThat(c.value()[0]).isEqualTo((byte) n);
        }
      }
      assertThat(n).isEqualTo(200);
    }
  }

  @Test
  void theWriteAheadLogStaysBoundedWhileOneFamilyTakesAllTheWrites() throws Exception {
    // Found by bench --sections large: a follower that installed 2 GiB kept 4 GiB of log files,
    // which the meta family's few unflushed writes pinned.
    byte[] value = new byte[1 << 20];
    new java.util.Random(5).nextBytes(value); // incompressible
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      for (int i = 0; i < 320; i++) {
        value[0] = (byte) i;
        stage(s.stateStore(), Space.KEYS, String.format("k%04d", i), value);
        s.saveCommitHint(i); // a small write to meta now and then, as a node makes
      }
      s.sync();
      long wal;
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir())) {
        wal = files.filter(p -> p.toString().endsWith(".log")).mapToLong(p -> p.toFile().length()).sum();
      }
      assertThat(wal).as("write-ahead log bytes after 320 MiB of writes")
          .isLessThanOrEqualTo(StoreDb.MAX_TOTAL_WAL_BYTES + (64L << 20));
    }
  }

  @Test
  void clearingTheStagedSnapshotLeavesTheStateAlone() {
    try (RocksDbStorage s = RocksDbStorage.open(dir(), 1)) {
      s.append(entries(1, 2, 1));
      put(s.stateStore(), "k", "v", 2);
      stage(s.stateStore(), Space.KEYS, "staged", b("x"));
      s.stateStore().clearStaged();
      s.beginInstall(2, 1);
      assertThat(s.stateStore().installStaged()).isEqualTo(2);
      assertThat(s.stateStore().get(Space.KEYS, b("staged"))).isNull();
      assertThat(s.stateStore().get(Space.KEYS, b("k"))).as("an install of nothing empties it").isNull();
    }
  }
}
