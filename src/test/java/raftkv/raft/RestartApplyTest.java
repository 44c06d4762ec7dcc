package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.BehaviorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.api.ClientProtocol;
import raftkv.api.Op;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.common.RaftSettings;
import raftkv.raft.core.ClusterConfig;
import raftkv.storage.EntryType;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.storage.RocksDbStorage;
import raftkv.storage.StateStore;
import raftkv.testkit.SoloNode;
import raftkv.testkit.TestConfig;

/**
 * A node restarting on a long committed log applies it in bounded batches as it reads (issue 9
 * anomaly 5), and only the part after what its state machine stored: it reads no entry at or below
 * the stored applied index, never counts less than that index as committed, and applies nothing
 * twice.
 */
class RestartApplyTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.local());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @TempDir Path tmp;

  /** In-memory storage that counts the entries read back, and the lowest index read. */
  static final class Counting extends InMemoryStorage {
    final AtomicLong read = new AtomicLong();
    final AtomicLong lowest = new AtomicLong(Long.MAX_VALUE);

    @Override
    public List<LogEntry> entries(long from, long toInclusive, long maxBytes) {
      List<LogEntry> e = super.entries(from, toInclusive, maxBytes);
      read.addAndGet(e.size());
      if (!e.isEmpty()) {
        lowest.accumulateAndGet(from, Math::min);
      }
      return e;
    }

    @Override
    public LogEntry entry(long index) {
      read.incrementAndGet();
      lowest.accumulateAndGet(index, Math::min);
      return super.entry(index);
    }

    void resetCounts() {
      read.set(0);
      lowest.set(Long.MAX_VALUE);
    }
  }

  private static final Endpoint SELF = new Endpoint("127.0.0.1", 9001);
  private static final ClusterConfig THREE =
      new ClusterConfig(1, SELF, List.of(new Endpoint("127.0.0.1", 9002), new Endpoint("127.0.0.1", 9003)));

  private static Counting committedNoops(int n) {
    Counting storage = new Counting();
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      entries.add(new LogEntry(i, 1, EntryType.NOOP, null));
    }
    storage.append(entries);
    storage.saveTermAndVote(1, Optional.empty());
    storage.saveCommitHint(n);
    return storage;
  }

  /** Stores the state machine as applied up to {@code index} (no keys: the log is of no-ops). */
  private static void storeAppliedIndex(StateStore state, long index) {
    try (StateStore.Batch b = state.newBatch()) {
      state.write(b, index);
    }
  }

  private static BehaviorTestKit<NodeMessage> startInBehaviorTestKit(Counting storage, RaftSettings settings) {
    return BehaviorTestKit.create(
        RaftNode.create(THREE, settings, storage, (to, m) -> {}, Clock.systemUTC(), new Random(1)));
  }

  @Test
  void startUpReadsOnlyAFewBatchesOfALongCommittedLog() {
    Counting storage = committedNoops(20_000);
    RaftSettings settings = RaftSettings.defaults().withMaxAppendBytes(24 * 100); // 100 entries a batch
    BehaviorTestKit<NodeMessage> node = startInBehaviorTestKit(storage, settings);
    assertThat(node.isAlive()).isTrue();
    // The state machine child has not acknowledged anything yet: only the first window is read.
    assertThat(storage.read.get())
        .as("entries read at start-up of a 20,000-entry committed log")
        .isLessThanOrEqualTo(4 * 100L); // the window: four batches of 100
  }

  @Test
  void startUpReadsNothingAtOrBelowTheStoredAppliedIndex() {
    Counting storage = committedNoops(20_000);
    storeAppliedIndex(storage.stateStore(), 19_950);
    RaftSettings settings = RaftSettings.defaults().withMaxAppendBytes(24 * 100);
    BehaviorTestKit<NodeMessage> node = startInBehaviorTestKit(storage, settings);
    assertThat(node.isAlive()).isTrue();
    assertThat(storage.lowest.get()).as("lowest index read").isEqualTo(19_951);
    assertThat(storage.read.get()).as("entries read").isEqualTo(50);
  }

  @Test
  void theCommitIndexStartsNoLowerThanTheStoredAppliedIndex() {
    // The commit hint is written without a sync: a power failure can take it back below what the
    // state machine stored (its write went out later, and the sync after it was the one kept).
    Counting storage = committedNoops(200);
    storage.saveCommitHint(0);
    storeAppliedIndex(storage.stateStore(), 150);
    ActorRef<NodeMessage> node =
        kit.spawn(RaftNode.create(THREE, RaftSettings.defaults(), storage, (to, m) -> {}, Clock.systemUTC(), new Random(1)));
    TestProbe<ClientProtocol.NodeStatus> probe = kit.createTestProbe(ClientProtocol.NodeStatus.class);
    node.tell(new ClientProtocol.GetStatus(probe.ref()));
    ClientProtocol.NodeStatus status = probe.receiveMessage(Duration.ofSeconds(5));
    assertThat(status.lastApplied()).isEqualTo(150);
    assertThat(status.commitIndex()).isEqualTo(150);
    assertThat(storage.lowest.get()).as("nothing read: nothing above 150 is known committed").isEqualTo(Long.MAX_VALUE);
    kit.stop(node);
  }

  @Test
  void aRestartedNodeResumesAfterItsStoredStateAndAppliesNothingTwice() {
    Counting storage = new Counting();
    SoloNode first = new SoloNode(kit, storage);
    assertThat(first.register("c").result().ok()).isTrue();
    for (int seq = 1; seq <= 50; seq++) {
      assertThat(first.write("c", seq, new Op.Incr("counter", 1)).result().ok()).isTrue();
    }
    first.stop();
    long stored = storage.stateStore().appliedIndex();
    assertThat(stored).as("no-op, registration, 50 writes").isEqualTo(52);

    storage.resetCounts();
    SoloNode second = new SoloNode(kit, storage);
    assertThat(second.get("counter")).as("50 increments, once each").isEqualTo("50");
    assertThat(second.write("c", 51, new Op.Incr("counter", 1)).result().value()).isEqualTo("51");
    second.stop();
    assertThat(storage.lowest.get()).as("lowest index read after the restart").isGreaterThan(stored);
  }

  @Test
  void aRestartedNodeOnRocksDbResumesAfterItsStoredState() {
    Path dir = tmp.resolve("store");
    try (RocksDbStorage storage = RocksDbStorage.open(dir, 1)) {
      SoloNode node = new SoloNode(kit, storage);
      assertThat(node.register("c").result().ok()).isTrue();
      for (int seq = 1; seq <= 30; seq++) {
        assertThat(node.write("c", seq, new Op.Incr("counter", 1)).result().ok()).isTrue();
      }
      node.stop();
    }
    try (RocksDbStorage storage = RocksDbStorage.open(dir, 1)) {
      assertThat(storage.stateStore().appliedIndex()).isEqualTo(32);
      SoloNode node = new SoloNode(kit, storage);
      assertThat(node.get("counter")).isEqualTo("30");
      ClientProtocol.NodeStatus status = node.status();
      assertThat(status.lastApplied()).as("the stored 32 and this run's no-op").isEqualTo(33);
      node.stop();
    }
  }
}
