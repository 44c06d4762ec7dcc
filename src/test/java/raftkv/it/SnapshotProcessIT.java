package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;

/**
 * Three node processes with the default snapshot settings: a follower killed while 30,000 writes
 * go in comes back through a snapshot (the leader compacted the entries it lacks) and serves the
 * latest values within seconds, and every node's log was compacted.
 */
class SnapshotProcessIT {
  static final Duration ASK = Duration.ofSeconds(2);
  static final int WRITES = 30_000;
  static final int WRITERS = 24;
  static final int KEYS = 1_000;

  @TempDir static Path dir;
  static NodeProcesses nodes;
  static RemoteTestClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    nodes = new NodeProcesses(3, dir);
    for (int i = 0; i < 3; i++) {
      nodes.start(i);
    }
    client = new RemoteTestClient();
  }

  @AfterAll
  static void stopCluster() {
    if (client != null) {
      client.close();
    }
    if (nodes != null) {
      nodes.close();
    }
  }

  private static Optional<NodeStatus> status(int i) {
    return client.status(nodes.endpoint(i), ASK);
  }

  /** The node that was killed: asking it would cost every lookup an ask timeout. */
  static volatile int down = -1;
  /** The leader the writers last found; they look again only when a write fails. */
  static volatile int knownLeader = -1;

  private static Optional<Integer> leader() {
    for (int i = 0; i < 3; i++) {
      if (i == down) {
        continue;
      }
      Optional<NodeStatus> s = status(i);
      if (s.isPresent() && s.get().role().equals("leader")) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  /** Writer {@code w} writes its share of the keys, each write retried until the leader takes it. */
  private static Void writeShare(int w) {
    String clientId = "writer-" + w;
    long seq = 0;
    for (int i = w; i < WRITES; i += WRITERS) {
      seq++;
      Op op = new Op.Put("k" + (i % KEYS), "v" + i);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        int l = knownLeader;
        if (l < 0) {
          l = NodeProcesses.await("a leader", Duration.ofSeconds(20), SnapshotProcessIT::leader);
          knownLeader = l;
        }
        Optional<Reply> r = client.write(nodes.endpoint(l), clientId, seq, op, Duration.ofSeconds(5));
        if (r.isPresent() && r.get().result().ok()) {
          break;
        }
        knownLeader = -1;
        assertThat(System.nanoTime()).as("write %d acknowledged in time", i).isLessThan(deadline);
      }
    }
    return null;
  }

  @Test
  void aFollowerDownDuringThirtyThousandWritesComesBackThroughASnapshot() throws Exception {
    int first = NodeProcesses.await("a leader", Duration.ofSeconds(60), SnapshotProcessIT::leader);
    down = (first + 1) % 3;
    knownLeader = first;
    nodes.kill9(down);

    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        final int writer = w;
        done.add(pool.submit(() -> writeShare(writer)));
      }
      for (Future<Void> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }

    int linesBefore = nodes.logLines(down).size();
    long restartedAt = System.nanoTime();
    nodes.start(down);
    // The last write of each key is v(WRITES - KEYS + k): the restarted node serves them.
    String lastKey = "k" + ((WRITES - 1) % KEYS);
    String lastValue = "v" + (WRITES - 1);
    NodeProcesses.await("the restarted node to serve the latest value", Duration.ofSeconds(60), () ->
        client.read(nodes.endpoint(down), lastKey, Consistency.STALE, ASK)
            .filter(r -> lastValue.equals(r.result().value())));
    long caughtUpMs = (System.nanoTime() - restartedAt) / 1_000_000;
    System.out.printf("restarted after %d writes: serving the latest value %d ms after its start%n", WRITES, caughtUpMs);
    for (int k = 0; k < KEYS; k += 97) {
      String expected = "v" + (WRITES - KEYS + k);
      assertThat(client.read(nodes.endpoint(down), "k" + k, Consistency.STALE, ASK).map(r -> r.result().value()))
          .as("k%d on the restarted node", k).contains(expected);
    }
    assertThat(nodes.logLines(down).subList(linesBefore, nodes.logLines(down).size()))
        .as("it caught up through a snapshot, not by replaying entries the leader no longer has")
        .anySatisfy(l -> assertThat(l).contains("Installed a snapshot up to index"));
    for (int i = 0; i < 3; i++) {
      final int n = i;
      NodeStatus s = NodeProcesses.await("n" + (n + 1) + "'s status", Duration.ofSeconds(10), () -> status(n));
      assertThat(s.snapshotIndex()).as("n%d compacted its log", n + 1).isPositive();
      assertThat(s.lastLogIndex() - s.firstLogIndex() + 1).as("n%d's log is bounded", n + 1).isLessThanOrEqualTo(10_000);
    }
    for (int i = 0; i < 3; i++) {
      assertThat(nodes.logLines(i)).as("node %d log", i + 1).noneMatch(l -> l.contains(" ERROR "));
    }
  }
}
