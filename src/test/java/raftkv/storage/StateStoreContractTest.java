package raftkv.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.storage.StateStore.Batch;
import raftkv.storage.StateStore.Cursor;
import raftkv.storage.StateStore.Space;

/**
 * The contract of {@link StateStore}, held against both: the in-memory twin and the RocksDB store.
 * Each nested class runs every test of {@link Contract}.
 */
class StateStoreContractTest {

  @Nested
  class InMemory extends Contract {
    @Override
    StateStore newStore() {
      return new InMemoryStateStore();
    }
  }

  @Nested
  class OnRocksDb extends Contract {
    @TempDir Path tmp;
    private final List<RocksDbStorage> opened = new ArrayList<>();

    @Override
    StateStore newStore() {
      RocksDbStorage s = RocksDbStorage.open(tmp.resolve("store-" + opened.size()), 1);
      opened.add(s);
      return s.stateStore();
    }

    @AfterEach
    void close() {
      opened.forEach(RocksDbStorage::close);
    }

    @Test
    void whatWasWrittenIsThereAfterAReopen() {
      RocksDbStorage s = RocksDbStorage.open(tmp.resolve("reopened"), 1);
      // The applied index may not pass the log's end: give it entries to cover.
      s.append(List.of(LogEntry.noop(1, 1), LogEntry.noop(2, 1)));
      try (Batch b = s.stateStore().newBatch()) {
        b.put(Space.KEYS, bytes("k"), bytes("v"));
        b.put(Space.SESSIONS, bytes("s"), bytes("record"));
        s.stateStore().write(b, 2);
      }
      s.close(); // no sync: a clean close keeps the unsynced write
      try (RocksDbStorage r = RocksDbStorage.open(tmp.resolve("reopened"), 1)) {
        assertThat(r.stateStore().appliedIndex()).isEqualTo(2);
        assertThat(text(r.stateStore().get(Space.KEYS, bytes("k")))).isEqualTo("v");
        assertThat(text(r.stateStore().get(Space.SESSIONS, bytes("s")))).isEqualTo("record");
      }
    }
  }

  abstract static class Contract {
    abstract StateStore newStore();

    @Test
    void aNewStoreIsEmptyAtAppliedIndexZero() {
      StateStore s = newStore();
      assertThat(s.appliedIndex()).isZero();
      assertThat(s.get(Space.KEYS, bytes("k"))).isNull();
      assertThat(all(s, Space.KEYS)).isEmpty();
      assertThat(all(s, Space.SESSIONS)).isEmpty();
    }

    @Test
    void aBatchShowsNothingUntilWrittenThenEverythingWithItsAppliedIndex() {
      StateStore s = newStore();
      try (Batch b = s.newBatch()) {
        b.put(Space.KEYS, bytes("a"), bytes("1"));
        b.put(Space.KEYS, bytes("b"), bytes("2"));
        b.put(Space.SESSIONS, bytes("L1"), bytes("x"));
        assertThat(b.size()).isEqualTo(3);
        assertThat(s.get(Space.KEYS, bytes("a"))).isNull();
        assertThat(s.appliedIndex()).isZero();
        s.write(b, 5);
      }
      assertThat(s.appliedIndex()).isEqualTo(5);
      assertThat(all(s, Space.KEYS)).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
      assertThat(all(s, Space.SESSIONS)).containsExactly(Map.entry("L1", "x"));
    }

    @Test
    void theKeySpacesAreSeparate() {
      StateStore s = newStore();
      write(s, 1, b -> b.put(Space.KEYS, bytes("same"), bytes("key value")));
      write(s, 2, b -> b.put(Space.SESSIONS, bytes("same"), bytes("session record")));
      assertThat(text(s.get(Space.KEYS, bytes("same")))).isEqualTo("key value");
      assertThat(text(s.get(Space.SESSIONS, bytes("same")))).isEqualTo("session record");
      write(s, 3, b -> b.delete(Space.SESSIONS, bytes("same")));
      assertThat(text(s.get(Space.KEYS, bytes("same")))).isEqualTo("key value");
      assertThat(s.get(Space.SESSIONS, bytes("same"))).isNull();
    }

    @Test
    void laterChangesOfAKeyInABatchReplaceEarlierOnes() {
      StateStore s = newStore();
      write(s, 1, b -> {
        b.put(Space.KEYS, bytes("put-then-delete"), bytes("1"));
        b.delete(Space.KEYS, bytes("put-then-delete"));
        b.delete(Space.KEYS, bytes("delete-then-put"));
        b.put(Space.KEYS, bytes("delete-then-put"), bytes("2"));
        b.put(Space.KEYS, bytes("twice"), bytes("first"));
        b.put(Space.KEYS, bytes("twice"), bytes("second"));
      });
      assertThat(all(s, Space.KEYS))
          .containsExactly(Map.entry("delete-then-put", "2"), Map.entry("twice", "second"));
    }

    @Test
    void anEmptyBatchStillMovesTheAppliedIndex() {
      StateStore s = newStore();
      write(s, 7, b -> {});
      assertThat(s.appliedIndex()).isEqualTo(7);
      write(s, 7, b -> {}); // the same index again is allowed
      assertThat(s.appliedIndex()).isEqualTo(7);
    }

    @Test
    void theAppliedIndexNeverGoesBack() {
      StateStore s = newStore();
      write(s, 4, b -> b.put(Space.KEYS, bytes("k"), bytes("4")));
      assertThatThrownBy(() -> write(s, 3, b -> b.put(Space.KEYS, bytes("k"), bytes("3"))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("below the stored 4");
      assertThat(text(s.get(Space.KEYS, bytes("k")))).as("nothing of the refused batch").isEqualTo("4");
    }

    @Test
    void aScanGoesInUnsignedByteOrderFromItsKeyOn() {
      StateStore s = newStore();
      // 0x7f < 0x80 < 0xff unsigned (signed bytes would put 0x80 and 0xff first); U+00E9 (UTF-8
      // 0xc3 0xa9) after "z"; a key sorts after its prefixes.
      byte[][] keys = {
        {(byte) 0xff}, {(byte) 0x80}, {0x7f}, {0x01}, {0x01, 0x00}, bytes("z"), bytes("\u00e9"), bytes("a")
      };
      write(s, 1, b -> {
        for (byte[] k : keys) {
          b.put(Space.KEYS, k, k);
        }
      });
      List<byte[]> order = new ArrayList<>();
      try (Cursor c = s.scan(Space.KEYS, new byte[] {0x01, 0x00})) {
        for (; c.valid(); c.next()) {
          order.add(c.key());
          assertThat(c.value()).isEqualTo(c.key());
        }
        assertThatThrownBy(c::key).isInstanceOf(NoSuchElementException.class);
      }
      assertThat(order)
          .containsExactly(
              new byte[] {0x01, 0x00}, bytes("a"), bytes("z"), new byte[] {0x7f},
              new byte[] {(byte) 0x80}, bytes("\u00e9"), new byte[] {(byte) 0xff});
      try (Cursor c = s.scan(Space.KEYS, bytes("b"))) {
        assertThat(c.valid()).isTrue();
        assertThat(text(c.key())).as("the first key at or after 'b'").isEqualTo("z");
      }
      try (Cursor c = s.scan(Space.KEYS, new byte[] {(byte) 0xff, 0})) {
        assertThat(c.valid()).as("past the last key").isFalse();
      }
    }

    @Test
    void aCursorSeesTheStoreAsItWasWhenOpened() {
      StateStore s = newStore();
      write(s, 1, b -> {
        b.put(Space.KEYS, bytes("a"), bytes("old"));
        b.put(Space.KEYS, bytes("c"), bytes("old"));
      });
      try (Cursor c = s.scan(Space.KEYS, new byte[0])) {
        write(s, 2, b -> {
          b.put(Space.KEYS, bytes("a"), bytes("new"));
          b.put(Space.KEYS, bytes("b"), bytes("new"));
          b.delete(Space.KEYS, bytes("c"));
        });
        Map<String, String> seen = new TreeMap<>();
        for (; c.valid(); c.next()) {
          seen.put(text(c.key()), text(c.value()));
        }
        assertThat(seen).containsExactly(Map.entry("a", "old"), Map.entry("c", "old"));
      }
      assertThat(all(s, Space.KEYS)).containsExactly(Map.entry("a", "new"), Map.entry("b", "new"));
    }

    @Test
    void randomBatchesMatchASortedMap() {
      StateStore s = newStore();
      Map<Space, TreeMap<byte[], byte[]>> model = Map.of(Space.KEYS, sorted(), Space.SESSIONS, sorted());
      Random random = new Random(10);
      for (long index = 1; index <= 200; index++) {
        try (Batch b = s.newBatch()) {
          for (int i = random.nextInt(8); i > 0; i--) {
            Space space = random.nextBoolean() ? Space.KEYS : Space.SESSIONS;
            byte[] key = new byte[1 + random.nextInt(3)];
            random.nextBytes(key);
            key[0] &= 0x0f; // few distinct keys, so that they are overwritten and deleted
            if (random.nextInt(3) == 0) {
              b.delete(space, key);
              model.get(space).remove(key);
            } else {
              byte[] value = new byte[random.nextInt(20)];
              random.nextBytes(value);
              b.put(space, key, value);
              model.get(space).put(key, value);
            }
          }
          s.write(b, index);
        }
        assertThat(s.appliedIndex()).isEqualTo(index);
      }
      for (Space space : List.of(Space.KEYS, Space.SESSIONS)) {
        List<byte[]> keys = new ArrayList<>();
        try (Cursor c = s.scan(space, new byte[0])) {
          for (; c.valid(); c.next()) {
            keys.add(c.key());
            assertThat(c.value()).isEqualTo(model.get(space).get(c.key()));
          }
        }
        assertThat(keys).containsExactlyElementsOf(model.get(space).keySet());
        for (Map.Entry<byte[], byte[]> e : model.get(space).entrySet()) {
          assertThat(s.get(space, e.getKey())).isEqualTo(e.getValue());
        }
      }
    }
  }

  interface Fill {
    void fill(Batch b);
  }

  static void write(StateStore s, long index, Fill fill) {
    try (Batch b = s.newBatch()) {
      fill.fill(b);
      s.write(b, index);
    }
  }

  static List<Map.Entry<String, String>> all(StateStore s, Space space) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    try (Cursor c = s.scan(space, new byte[0])) {
      for (; c.valid(); c.next()) {
        out.add(Map.entry(text(c.key()), text(c.value())));
      }
    }
    return out;
  }

  static TreeMap<byte[], byte[]> sorted() {
    return new TreeMap<>(Arrays::compareUnsigned);
  }

  static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  static String text(byte[] b) {
    return b == null ? null : new String(b, UTF_8);
  }
}
