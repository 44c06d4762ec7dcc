package raftkv.kv;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import raftkv.api.Op;
import raftkv.storage.LogEntry;
import raftkv.storage.RocksDbStorage;

/**
 * Child JVM of {@link StateBeyondTheHeapTest}, run with a small heap: applies {@code args[1]} puts
 * of {@link #VALUE_CHARS}-character values to a state machine on the RocksDB store in {@code
 * args[0]}, a few per batch as a node does, closes the store, opens it again and reads every value
 * back. Prints "ok KEYS BYTES" and exits 0 when every value read back is the one written.
 */
public final class FillBeyondTheHeap {

  static final int VALUE_CHARS = 256 * 1024;
  private static final int PER_BATCH = 4;

  private FillBeyondTheHeap() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    int keys = Integer.parseInt(args[1]);
    long time = 1_700_000_000_000L;
    try (RocksDbStorage storage = RocksDbStorage.open(dir, 1)) {
      KvStateMachine m = machine(storage);
      long index = 0;
      m.apply(++index, KvCommand.register("filler", time));
      for (int k = 0; k < keys; k++) {
        m.apply(++index, new KvCommand("filler", k + 1, time, new Op.Put(key(k), value(k))));
        if (k % PER_BATCH == PER_BATCH - 1 || k == keys - 1) {
          // The log holds the entries applied; no-ops here, so that it does not double the data.
          List<LogEntry> noops = new ArrayList<>();
          for (long i = storage.lastIndex() + 1; i <= index; i++) {
            noops.add(LogEntry.noop(i, 1));
          }
          storage.append(noops);
          m.endBatch();
        }
      }
    }
    long bytes = 0;
    try (RocksDbStorage storage = RocksDbStorage.open(dir, 1)) {
      KvStateMachine m = machine(storage);
      if (m.lastAppliedIndex() != keys + 1) {
        fail("applied index " + m.lastAppliedIndex() + " after reopening, expected " + (keys + 1));
      }
      for (int k = 0; k < keys; k++) {
        String v = m.get(key(k));
        if (v == null || !v.equals(value(k))) {
          fail("key " + key(k) + " read back " + (v == null ? "absent" : "a different value"));
        }
        bytes += v.length();
      }
    }
    System.out.println("ok " + keys + " " + bytes);
  }

  private static KvStateMachine machine(RocksDbStorage storage) {
    return new KvStateMachine(storage.stateStore(), 3_600_000, 100, 16, 86_400_000, 100);
  }

  static String key(int k) {
    return "key-" + k;
  }

  /** A value of {@link #VALUE_CHARS} characters that differs for every key. */
  static String value(int k) {
    String unit = "value " + k + " ";
    StringBuilder b = new StringBuilder(VALUE_CHARS);
    while (b.length() < VALUE_CHARS) {
      b.append(unit);
    }
    b.setLength(VALUE_CHARS);
    return b.toString();
  }

  private static void fail(String why) {
    System.out.println("FAILED: " + why);
    System.exit(1);
  }
}
