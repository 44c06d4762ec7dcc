package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;

/**
 * Three node processes on 127.0.0.1: the leader killed with {@code kill -9} and restarted with the
 * same command, then the new leader frozen with SIGSTOP for 30 s and resumed. The cluster must elect,
 * commit, and take both old nodes back, with no acknowledged write lost.
 */
class ProcessClusterIT {
  static final Duration ASK = Duration.ofSeconds(1);

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

  /** A node among {@code candidates} that leads, followed by a majority in its term. */
  private static Optional<Integer> leaderAmong(List<Integer> candidates) {
    List<NodeStatus> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      all.add(candidates.contains(i) ? status(i).orElse(null) : null);
    }
    for (int i : candidates) {
      NodeStatus s = all.get(i);
      if (s != null && s.role().equals("leader")) {
        long following =
            all.stream().filter(o -> o != null && o.term() == s.term() && nodes.endpoint(i).equals(o.leader())).count();
        if (following >= 2) {
          return Optional.of(i);
        }
      }
    }
    return Optional.empty();
  }

  private static List<Integer> allBut(int excluded) {
    return IntStream.range(0, 3).filter(i -> i != excluded).boxed().toList();
  }

  private static Reply write(int node, long seq, Op op) {
    Reply r = client.write(nodes.endpoint(node), "it", seq, op, Duration.ofSeconds(5)).orElseThrow(() -> new AssertionError("no answer to " + op));
    assertThat(r.result().ok()).as("%s: %s", op, r).isTrue();
    return r;
  }

  private static Optional<String> staleRead(int node, String key) {
    return client.read(nodes.endpoint(node), key, Consistency.STALE, ASK)
        .filter(r -> r.result().ok())
        .map(r -> String.valueOf(r.result().value()));
  }

  @Test
  void electsCommitsAndTakesBackAKilledAndAPausedNode() throws Exception {
    int first = NodeProcesses.await("a first leader", Duration.ofSeconds(60), () -> leaderAmong(List.of(0, 1, 2)));
    long indexA = write(first, 1, new Op.Put("a", "1")).result().index();

    // kill -9 the leader: the other two elect a new one.
    long killedAt = System.nanoTime();
    nodes.kill9(first);
    int second = NodeProcesses.await("a leader after kill -9", Duration.ofSeconds(10), () -> leaderAmong(allBut(first)));
    long electedMs = (System.nanoTime() - killedAt) / 1_000_000;
    System.out.printf("kill -9 of the leader -> new leader seen after %d ms%n", electedMs);
    long indexB = write(second, 2, new Op.Put("b", "2")).result().index();
    assertThat(indexB).isGreaterThan(indexA);

    // Restarted with the same command, the killed node rejoins and catches up.
    int linesBefore = nodes.logLines(first).size();
    nodes.start(first);
    NodeStatus back =
        NodeProcesses.await("the restarted node to follow and catch up", Duration.ofSeconds(60), () ->
            status(first).filter(s -> s.role().equals("follower") && s.lastApplied() >= indexB));
    assertThat(back.leader()).isNotNull().isNotEqualTo(nodes.endpoint(first));
    assertThat(staleRead(first, "a")).contains("1");
    assertThat(staleRead(first, "b")).contains("2");
    Instant up = nodes.firstLogTime(first, linesBefore, "starting in term").orElseThrow();
    Instant following = nodes.firstLogTime(first, linesBefore, "Following leader").orElseThrow();
    long rejoinMs = Duration.between(up, following).toMillis();
    System.out.printf("restarted node: node up -> following the leader in %d ms%n", rejoinMs);
    assertThat(rejoinMs).as("Raft messages flow within 2 s of the restarted node being up").isLessThan(2000);

    // Freeze the leader (whoever it is now) for 30 s: the others carry on without it.
    int frozen = NodeProcesses.await("the current leader", Duration.ofSeconds(10), () -> leaderAmong(List.of(0, 1, 2)));
    nodes.pause(frozen);
    long pausedAt = System.nanoTime();
    int third = NodeProcesses.await("a leader while the old one is frozen", Duration.ofSeconds(10), () -> leaderAmong(allBut(frozen)));
    long indexC = write(third, 3, new Op.Put("c", "3")).result().index();
    long thirdTerm = status(third).orElseThrow().term();
    // Until 30 s have passed, the two live nodes keep a leader.
    NodeProcesses.await("30 s of pause", Duration.ofSeconds(40), () -> {
      assertThat(NodeProcesses.await("a leader among the live nodes", Duration.ofSeconds(5), () -> leaderAmong(allBut(frozen))))
          .isNotEqualTo(frozen);
      return System.nanoTime() - pausedAt >= Duration.ofSeconds(30).toNanos() ? Optional.of(true) : Optional.empty();
    });
    int resumeLines = nodes.logLines(frozen).size();
    nodes.resume(frozen);
    NodeStatus resumed =
        NodeProcesses.await("the resumed old leader to follow", Duration.ofSeconds(20), () ->
            status(frozen).filter(s -> s.role().equals("follower") && s.lastApplied() >= indexC));
    assertThat(resumed.term()).isGreaterThanOrEqualTo(thirdTerm);
    // On resuming it steps down, either on the first message of the higher term it handles or on
    // its own check-quorum tick (overdue while it was frozen) just before; then adopts the term.
    List<String> afterResume = nodes.logLines(frozen).subList(resumeLines, nodes.logLines(frozen).size());
    assertThat(afterResume)
        .as("the stale leader stepped down")
        .anySatisfy(l -> assertThat(l).containsAnyOf("stepping down from leader", "Stepping down in term"));
    assertThat(afterResume)
        .as("and adopted the higher term")
        .anySatisfy(l -> assertThat(l).containsPattern("Term \\[\\d+\\] -> \\[\\d+\\]"));

    // Every acknowledged write is on every node.
    for (int i = 0; i < 3; i++) {
      final int n = i;
      NodeProcesses.await("n" + (n + 1) + " to hold every write", Duration.ofSeconds(10), () ->
          staleRead(n, "c").filter("3"::equals));
      assertThat(staleRead(n, "a")).contains("1");
      assertThat(staleRead(n, "b")).contains("2");
    }
    for (int i = 0; i < 3; i++) {
      assertThat(nodes.logLines(i)).as("node %d log", i + 1).noneMatch(l -> l.contains(" ERROR "));
    }
  }
}
