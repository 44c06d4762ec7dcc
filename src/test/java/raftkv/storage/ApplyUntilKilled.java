package raftkv.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Path;
import java.util.List;
import raftkv.storage.StateStore.Space;

/**
 * Child JVM of {@link RocksDbStorageCrashTest}: as a node does, appends an entry to the log
 * (synced), then writes the state machine's batch for it (unsynced): {@link #KEYS} keys all set to
 * the index, and the applied index. Prints each index once its batch is written, until killed.
 */
public final class ApplyUntilKilled {

  static final int KEYS = 50;

  private ApplyUntilKilled() {}

  public static void main(String[] args) {
    try (RocksDbStorage storage = RocksDbStorage.open(Path.of(args[0]), 1)) {
      StateStore state = storage.stateStore();
      for (long index = storage.lastIndex() + 1; ; index++) {
        storage.append(List.of(LogEntry.noop(index, 1)));
        try (StateStore.Batch batch = state.newBatch()) {
          byte[] value = ("value of batch " + index + ";").repeat(20).getBytes(UTF_8);
          for (int k = 0; k < KEYS; k++) {
            batch.put(Space.KEYS, key(k), value);
          }
          batch.put(Space.SESSIONS, "batch".getBytes(UTF_8), Long.toString(index).getBytes(UTF_8));
          state.write(batch, index);
        }
        System.out.println(index);
        System.out.flush();
      }
    }
  }

  static byte[] key(int k) {
    return ("key-" + k).getBytes(UTF_8);
  }

  /** The value every key has after the batch at {@code index}. */
  static String valueAt(long index) {
    return ("value of batch " + index + ";").repeat(20);
  }
}
