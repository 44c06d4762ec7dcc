package raftkv.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import raftkv.api.Op;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvCommand;
import raftkv.testkit.SoloNode;
import raftkv.testkit.TestConfig;

/**
 * A store of the previous format ({@code raftkv-1}: the log alone, the state machine in the heap),
 * written key by key as that build wrote it, is upgraded in place by the first open and its data
 * is served: the log replays once into the stored state machine, and never again.
 */
class RocksDbStorageUpgradeTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.local());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @TempDir Path tmp;

  private Path dir() {
    return tmp.resolve("store");
  }

  /**
   * The commands of the format-1 log: a registration, a put, two increments, a put and a delete;
   * logged a moment ago, so that the session is still live for the node's clock.
   */
  private static List<KvCommand> commands() {
    long t = System.currentTimeMillis() - 60_000;
    return List.of(
        KvCommand.register("c1", t),
        new KvCommand("c1", 1, t + 1, new Op.Put("k", "v")),
        new KvCommand("c1", 2, t + 2, new Op.Incr("n", 1)),
        new KvCommand("c1", 3, t + 3, new Op.Incr("n", 1)),
        new KvCommand("c1", 4, t + 4, new Op.Put("gone", "x")),
        new KvCommand("c1", 5, t + 5, new Op.Delete("gone")));
  }

  /** Writes a raftkv-1 store of node 1, term 2, with {@link #commands()} committed. */
  private void writeFormat1Store() throws Exception {
    List<KvCommand> commands = commands();
    RawRocks.edit(
        dir(),
        (db, meta, log) -> {
          db.put(meta, StoreFormat.FORMAT_KEY, "raftkv-1".getBytes(UTF_8));
          db.put(meta, StoreFormat.NODE_ID_KEY, new byte[] {0, 0, 0, 1});
          db.put(meta, StoreFormat.TERM_KEY, RawRocks.longBytes(2));
          db.put(meta, StoreFormat.COMMIT_HINT_KEY, RawRocks.longBytes(commands.size()));
          db.put(meta, StoreFormat.FIRST_INDEX_KEY, RawRocks.longBytes(1));
          db.put(meta, StoreFormat.PREV_TERM_KEY, RawRocks.longBytes(0));
          for (int i = 0; i < commands.size(); i++) {
            byte[] data = CommandCodec.encode(commands.get(i));
            db.put(log, StoreFormat.indexKey(i + 1), RawRocks.entryValue(1, EntryType.COMMAND.code(), 2, data));
          }
        });
  }

  private static String text(byte[] b) {
    return b == null ? null : new String(b, UTF_8);
  }

  /** The format marker and applied index on disk, and the column families. */
  private List<String> onDisk() throws Exception {
    List<String> out = new ArrayList<>();
    RawRocks.editAll(
        dir(),
        (db, families) -> {
          out.add(text(db.get(families.get("meta"), StoreFormat.FORMAT_KEY)));
          byte[] applied = db.get(families.get("meta"), StoreFormat.APPLIED_INDEX_KEY);
          out.add(applied == null ? "no applied index" : "applied " + ByteBuffer.wrap(applied).getLong());
          out.add(families.keySet().stream().sorted().toList().toString());
        });
    return out;
  }

  @Test
  void aFormat1StoreIsUpgradedInPlaceAndItsDataServed() throws Exception {
    writeFormat1Store();

    try (RocksDbStorage storage = RocksDbStorage.open(dir(), 1)) {
      assertThat(storage.stateStore().appliedIndex()).as("applied index after the upgrade").isZero();
      assertThat(storage.lastIndex()).isEqualTo(6);
      SoloNode node = new SoloNode(kit, storage);
      assertThat(node.get("k")).isEqualTo("v");
      assertThat(node.get("n")).isEqualTo("2");
      assertThat(node.get("gone")).isNull();
      // The session survived the replay too: seq 3 is answered as the duplicate it is.
      assertThat(node.write("c1", 3, new Op.Incr("n", 1)).result().duplicate()).isTrue();
      node.stop();
      // The replayed log (6 entries), the node's own no-op (7) and the retry (8) are stored now.
      assertThat(storage.stateStore().appliedIndex()).isEqualTo(8);
    }
    assertThat(onDisk()).containsExactly("raftkv-3", "applied 8", "[default, incoming, kv, log, meta, sessions]");

    // Opened again, it is a format-3 store: nothing replays, and nothing applies twice.
    try (RocksDbStorage storage = RocksDbStorage.open(dir(), 1)) {
      assertThat(storage.stateStore().appliedIndex()).isEqualTo(8);
      SoloNode node = new SoloNode(kit, storage);
      assertThat(node.get("n")).isEqualTo("2");
      assertThat(node.write("c1", 6, new Op.Incr("n", 1)).result().value()).isEqualTo("3");
      node.stop();
    }
  }

  @Test
  void anUpgradeInterruptedAfterCreatingTheColumnFamiliesIsDoneAgain() throws Exception {
    writeFormat1Store();
    // The crash came after the open created the two column families, before the new marker.
    RawRocks.edit(
        dir(),
        (db, meta, log) -> {
          db.createColumnFamily(new ColumnFamilyDescriptor(StoreFormat.KV_CF)).close();
          db.createColumnFamily(new ColumnFamilyDescriptor(StoreFormat.SESSIONS_CF)).close();
        });
    assertThat(onDisk()).containsExactly("raftkv-1", "no applied index", "[default, kv, log, meta, sessions]");

    try (RocksDbStorage storage = RocksDbStorage.open(dir(), 1)) {
      assertThat(storage.stateStore().appliedIndex()).isZero();
      SoloNode node = new SoloNode(kit, storage);
      assertThat(node.get("n")).isEqualTo("2");
      node.stop();
    }
    assertThat(onDisk()).containsExactly("raftkv-3", "applied 7", "[default, incoming, kv, log, meta, sessions]");
  }

  @Test
  void aNewStoreIsOfTheNewFormatWithNothingApplied() throws Exception {
    RocksDbStorage.open(dir(), 1).close();
    assertThat(onDisk()).containsExactly("raftkv-3", "applied 0", "[default, incoming, kv, log, meta, sessions]");
  }

  @Test
  void aFormat2StoreGainsTheIncomingColumnFamilyAndKeepsItsState() throws Exception {
    try (RocksDbStorage storage = RocksDbStorage.open(dir(), 1)) {
      SoloNode node = new SoloNode(kit, storage);
      node.register("c1");
      node.write("c1", 1, new Op.Put("k", "v"));
      node.stop();
    }
    long applied;
    try (RocksDbStorage storage = RocksDbStorage.open(dir(), 1)) {
      applied = storage.stateStore().appliedIndex();
    }
    // What a format-2 store looks like: no incoming, the old marker.
    RawRocks.editAll(
        dir(),
        (db, families) -> {
          db.dropColumnFamily(families.get("incoming"));
          db.put(families.get("meta"), StoreFormat.FORMAT_KEY, "raftkv-2".getBytes(UTF_8));
        });
    assertThat(onDisk()).containsExactly("raftkv-2", "applied " + applied, "[default, kv, log, meta, sessions]");

    try (RocksDbStorage storage = RocksDbStorage.open(dir(), 1)) {
      assertThat(storage.stateStore().appliedIndex()).as("nothing replays").isEqualTo(applied);
      SoloNode node = new SoloNode(kit, storage);
      assertThat(node.get("k")).isEqualTo("v");
      node.stop();
    }
    assertThat(onDisk().subList(0, 1)).containsExactly("raftkv-3");
    assertThat(onDisk().get(2)).isEqualTo("[default, incoming, kv, log, meta, sessions]");
  }
}
