package raftkv.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Path;
import java.util.List;

/**
 * Child JVM of {@link RocksDbStorageCrashTest}: appends one entry at a time to the store in
 * {@code args[0]} and prints each index once {@code append} has returned, until it is killed.
 */
public final class AppendUntilKilled {

  private AppendUntilKilled() {}

  public static void main(String[] args) {
    try (RocksDbStorage storage = RocksDbStorage.open(Path.of(args[0]), 1)) {
      for (long index = storage.lastIndex() + 1; ; index++) {
        storage.append(List.of(entryAt(index)));
        System.out.println(index);
        System.out.flush();
      }
    }
  }

  /** The entry the child writes at {@code index}: terms rise every 40 entries, sizes vary. */
  static LogEntry entryAt(long index) {
    byte[] data = ("entry " + index + ";").repeat(1 + (int) (index % 7)).getBytes(UTF_8);
    return new LogEntry(index, 1 + index / 40, EntryType.COMMAND, data);
  }
}
