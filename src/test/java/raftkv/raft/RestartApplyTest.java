package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.BehaviorTestKit;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.common.RaftSettings;
import raftkv.raft.core.ClusterConfig;
import raftkv.storage.EntryType;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.storage.RaftStorage;

/**
 * A node restarting on a long committed log applies it in bounded batches as it reads (issue 9
 * anomaly 5): its start-up reads only a few batches, and reads more as the state machine applies.
 */
class RestartApplyTest {

  /** In-memory storage that counts the entries read back. */
  static final class Counting extends InMemoryStorage {
    final AtomicLong read = new AtomicLong();

    @Override
    public List<LogEntry> entries(long from, long toInclusive, long maxBytes) {
      List<LogEntry> e = super.entries(from, toInclusive, maxBytes);
      read.addAndGet(e.size());
      return e;
    }
  }

  @Test
  void startUpReadsOnlyAFewBatchesOfALongCommittedLog() {
    Counting storage = new Counting();
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 1; i <= 20_000; i++) {
      entries.add(new LogEntry(i, 1, EntryType.NOOP, null));
    }
    storage.append(entries);
    storage.saveTermAndVote(1, Optional.empty());
    storage.saveCommitHint(20_000);
    Endpoint self = new Endpoint("127.0.0.1", 9001);
    RaftSettings settings = RaftSettings.defaults().withMaxAppendBytes(24 * 100); // 100 entries a batch
    BehaviorTestKit<NodeMessage> node =
        BehaviorTestKit.create(
            RaftNode.create(
                new ClusterConfig(1, self, List.of(new Endpoint("127.0.0.1", 9002), new Endpoint("127.0.0.1", 9003))),
                settings,
                storage,
                (to, m) -> {},
                Clock.systemUTC(),
                new Random(1)));
    assertThat(node.isAlive()).isTrue();
    // The state machine child has not acknowledged anything yet: only the first window is read.
    assertThat(storage.read.get())
        .as("entries read at start-up of a 20,000-entry committed log")
        .isLessThanOrEqualTo(4 * 100L); // the window: four batches of 100
  }
}
