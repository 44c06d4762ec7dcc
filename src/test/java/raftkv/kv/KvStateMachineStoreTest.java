package raftkv.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.LogEntry;
import raftkv.storage.RocksDbStorage;
import raftkv.storage.StateStore;
import raftkv.storage.StateStore.Space;

/**
 * The state machine on a {@link StateStore}: a machine read back from its store (keys, session
 * table, applied index) is the one that replaying the log builds, and it goes on identically; a
 * batch that never reached the store is lost whole, and replaying it gives the same state.
 */
class KvStateMachineStoreTest {

  private static final long TIMEOUT = 1_000;
  private static final int COMMANDS = 6_000;

  @TempDir Path tmp;

  /** Small bounds, so that expiry, eviction, response caps and dropped ended records all happen. */
  private static KvStateMachine on(StateStore store) {
    return new KvStateMachine(store, TIMEOUT, 8, 4, 5 * TIMEOUT, 6);
  }

  /** The random log of {@link KvStateMachineTest}, with some version-1 writes mixed in. */
  private static List<KvCommand> log(long seed) {
    Random random = new Random(seed);
    List<KvCommand> log = new ArrayList<>();
    for (KvCommand c : KvStateMachineTest.randomLog(random, COMMANDS)) {
      if (c.kind() == KvCommand.Kind.WRITE && random.nextInt(40) == 0) {
        c = new KvCommand(KvCommand.Kind.V1_WRITE, c.clientId(), c.seq(), c.timestampMillis(), c.op());
      }
      log.add(c);
    }
    return log;
  }

  @Test
  void aMachineReadBackFromTheInMemoryStoreIsTheOneReplayBuilds() {
    InMemoryStateStore store = new InMemoryStateStore();
    checkReadBackEqualsReplay(store, () -> store, 1);
  }

  @Test
  void aMachineReadBackFromRocksDbIsTheOneReplayBuilds() {
    Path dir = tmp.resolve("store");
    RocksDbStorage[] storage = {RocksDbStorage.open(dir, 1)};
    try {
      // The stored applied index may not pass the log's end: a log of no-ops covers it.
      List<LogEntry> noops = new ArrayList<>();
      for (long i = 1; i <= COMMANDS; i++) {
        noops.add(LogEntry.noop(i, 1));
      }
      storage[0].append(noops);
      // Every read-back reopens the whole store, as a restarted process does.
      checkReadBackEqualsReplay(
          storage[0].stateStore(),
          () -> {
            storage[0].close();
            storage[0] = RocksDbStorage.open(dir, 1);
            return storage[0].stateStore();
          },
          2);
    } finally {
      storage[0].close();
    }
  }

  /**
   * Applies a random log in random batches to a machine on {@code first}, and to one that only
   * replays; now and then reads the first back from the store {@code reopen} gives and checks that
   * it equals the replaying one, and that both go on to give the same results.
   */
  private void checkReadBackEqualsReplay(StateStore first, Supplier<StateStore> reopen, long seed) {
    List<KvCommand> log = log(seed);
    Random random = new Random(seed);
    KvStateMachine replayed = new KvStateMachine(TIMEOUT, 8, 4, 5 * TIMEOUT, 6);
    KvStateMachine stored = on(first);
    int readBacks = 0;
    int lost = 0;
    int mostEnded = 0;
    int index = 0;
    while (index < log.size()) {
      int batch = 1 + random.nextInt(12);
      int end = Math.min(log.size(), index + batch);
      int before = index;
      for (; index < end; index++) {
        long term = 1 + index / 2000;
        KvCommand c = log.get(index);
        Result expected = replayed.apply(index + 1, term, c);
        assertThat(stored.apply(index + 1, term, c)).as("result at %d", index + 1).isEqualTo(expected);
        mostEnded = Math.max(mostEnded, replayed.sessions().endedCount());
      }
      if (random.nextInt(15) == 0) {
        // A crash before the batch's write: it is lost whole, and the log replays it.
        StateStore again = reopen.get();
        stored = on(again);
        assertThat(stored.lastAppliedIndex()).isEqualTo(before);
        for (int i = before; i < end; i++) {
          stored.apply(i + 1, 1 + i / 2000, log.get(i));
        }
        lost++;
      }
      stored.endBatch();
      if (random.nextInt(8) == 0) {
        stored = on(reopen.get());
        readBacks++;
        assertThat(stored.lastAppliedIndex()).isEqualTo(index);
        assertThat(stored.sessions().digest()).as("sessions read back at %d", index).isEqualTo(replayed.sessions().digest());
        assertThat(stored.digest()).as("state read back at %d", index).isEqualTo(replayed.digest());
      }
    }
    stored.endBatch();
    KvStateMachine last = on(reopen.get());
    assertThat(last.digest()).isEqualTo(replayed.digest());
    assertThat(last.keyCount()).isEqualTo(replayed.keyCount());
    // The run read back often, lost some batches, and the table was full and dropping records.
    assertThat(readBacks).isGreaterThan(20);
    assertThat(lost).isGreaterThan(5);
    assertThat(mostEnded).as("most ended records kept at once").isEqualTo(6);
  }

  @Test
  void aBatchIsOneStoreWriteAndNothingStaysInTheHeapAfterIt() {
    List<Integer> writes = new ArrayList<>();
    InMemoryStateStore store =
        new InMemoryStateStore() {
          @Override
          protected void written(List<Change> changes, long appliedIndex) {
            writes.add(changes.size());
          }
        };
    KvStateMachine m = on(store);
    m.apply(1, KvCommand.register("c", 0));
    for (int seq = 1; seq <= 10; seq++) {
      m.apply(1 + seq, new KvCommand("c", seq, 0, new Op.Put("k" + seq, "v" + seq)));
    }
    m.skip(12); // a no-op entry
    assertThat(writes).as("nothing written before the batch ends").isEmpty();
    assertThat(m.get("k3")).as("the batch reads its own writes").isEqualTo("v3");
    m.endBatch();
    assertThat(writes).hasSize(1);
    m.endBatch();
    assertThat(writes).as("an empty batch writes nothing").hasSize(1);
    assertThat(store.appliedIndex()).isEqualTo(12);
    assertThat(store.size(Space.KEYS)).isEqualTo(10);
    // What the machine reads now comes from the store: change the store under it, and it shows.
    try (StateStore.Batch b = store.newBatch()) {
      b.put(Space.KEYS, "k3".getBytes(UTF_8), "changed".getBytes(UTF_8));
      store.write(b, 12);
    }
    assertThat(m.get("k3")).isEqualTo("changed");
    m.skip(13);
    m.endBatch();
    assertThat(writes).as("a batch of no-ops still stores its applied index").hasSize(3);
    assertThat(store.appliedIndex()).isEqualTo(13);
  }
}
