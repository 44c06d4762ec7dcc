package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.NodeAddress;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.client.ClientActor.ClusterStatus;
import raftkv.client.ClientActor.NodeView;
import raftkv.common.Endpoint;
import raftkv.testkit.RemoteCluster;

/**
 * The client actor against a real three-node cluster in this JVM: three ActorSystems talking over
 * Artery on 127.0.0.1, and a fourth for the client. The test that kills the leader runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientActorClusterTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Duration WAIT = TIMEOUT.plusSeconds(5);

  private static RemoteCluster cluster;
  private static ActorTestKit kit;
  private static ActorRef<ClientActor.Command> client;

  @BeforeAll
  static void startCluster() {
    cluster = RemoteCluster.start(3, 42);
    kit = ActorTestKit.create(NodeAddress.SYSTEM_NAME, RemoteCluster.remoteConfig(0));
    client = kit.spawn(ClientActor.create(cluster.endpoints(), TIMEOUT), "client");
    awaitLeader();
  }

  @AfterAll
  static void stopCluster() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Polls the cluster's status until some node leads, and returns it. */
  private static NodeStatus awaitLeader() {
    TestProbe<ClusterStatus> probe = kit.createTestProbe();
    return probe.awaitAssert(
        Duration.ofSeconds(15),
        Duration.ofMillis(100),
        () -> {
          client.tell(new ClientActor.Status(probe.ref()));
          ClusterStatus s = probe.receiveMessage(WAIT);
          assertThat(s.leader()).isPresent();
          return s.leader().get();
        });
  }

  private static Endpoint aFollower() {
    NodeStatus leader = awaitLeader();
    return cluster.endpoints().stream()
        .filter(e -> !e.equals(leader.endpoint()))
        .findFirst()
        .orElseThrow();
  }

  private static final java.util.Set<String> registered = new java.util.HashSet<>();

  /** A write; a client id's first one registers it first. */
  private static Result write(ActorRef<ClientActor.Command> via, String clientId, long seq, Op op) {
    if (registered.add(clientId)) {
      Result r = register(via, clientId);
      assertThat(r.ok()).as("registering %s: %s", clientId, r).isTrue();
    }
    TestProbe<Result> probe = kit.createTestProbe();
    via.tell(new ClientActor.Write(clientId, seq, op, probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private static Result register(ActorRef<ClientActor.Command> via, String clientId) {
    TestProbe<Result> probe = kit.createTestProbe();
    via.tell(new ClientActor.Register(clientId, probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private static Result write(String clientId, long seq, Op op) {
    return write(client, clientId, seq, op);
  }

  private static Result read(ActorRef<ClientActor.Command> via, String key, Consistency c) {
    TestProbe<Result> probe = kit.createTestProbe();
    via.tell(new ClientActor.Read(key, c, probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private static ActorRef<ClientActor.Command> clientOf(List<Endpoint> nodes, Duration timeout) {
    return kit.spawn(ClientActor.create(nodes, timeout));
  }

  @Test
  @Order(1)
  void putThenGetRoundTrips() {
    Result put = write("round-trip", 1, new Op.Put("greeting", "hello"));
    assertThat(put.ok()).as("%s", put).isTrue();
    assertThat(put.index()).isPositive();
    assertThat(put.duplicate()).isFalse();

    assertThat(read(client, "greeting", Consistency.LINEARIZABLE))
        .isEqualTo(Result.value("hello", 0));
    assertThat(read(client, "no-such-key", Consistency.LINEARIZABLE))
        .isEqualTo(Result.value(null, 0));
  }

  @Test
  @Order(2)
  void staleGetIsServedByAFollower() {
    assertThat(write("stale", 1, new Op.Put("s", "1")).ok()).isTrue();
    ActorRef<ClientActor.Command> followerOnly = clientOf(List.of(aFollower()), TIMEOUT);
    // The follower learns of the commit with the next AppendEntries: poll until it has.
    TestProbe<Result> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          followerOnly.tell(new ClientActor.Read("s", Consistency.STALE, probe.ref()));
          assertThat(probe.receiveMessage(WAIT)).isEqualTo(Result.value("1", 0));
          return null;
        });
  }

  @Test
  @Order(3)
  void aWriteSentToAFollowerFollowsTheLeaderHint() {
    ActorRef<ClientActor.Command> followerOnly = clientOf(List.of(aFollower()), TIMEOUT);
    Result put = write(followerOnly, "redirect", 1, new Op.Put("r", "v"));
    assertThat(put.ok()).as("%s", put).isTrue();
    // A linearizable read through the follower goes to the leader for its read index.
    assertThat(read(followerOnly, "r", Consistency.LINEARIZABLE)).isEqualTo(Result.value("v", 0));
  }

  @Test
  @Order(4)
  void casSucceedsOnTheExpectedValueAndReportsTheActualOneOtherwise() {
    assertThat(write("cas", 1, new Op.Put("c", "1")).ok()).isTrue();
    Result swapped = write("cas", 2, new Op.Cas("c", "1", "2"));
    assertThat(swapped.ok()).as("%s", swapped).isTrue();

    Result mismatch = write("cas", 3, new Op.Cas("c", "1", "3"));
    assertThat(mismatch.ok()).isFalse();
    assertThat(mismatch.error()).isEqualTo(ErrorCode.CAS_MISMATCH);
    assertThat(mismatch.value()).isEqualTo("2");
    assertThat(read(client, "c", Consistency.LINEARIZABLE)).isEqualTo(Result.value("2", 0));
  }

  @Test
  @Order(5)
  void casAbsentSucceedsOnlyWhenTheKeyDoesNotExist() {
    assertThat(write("cas-absent", 1, new Op.Cas("fresh", null, "first")).ok()).isTrue();
    Result again = write("cas-absent", 2, new Op.Cas("fresh", null, "second"));
    assertThat(again.error()).isEqualTo(ErrorCode.CAS_MISMATCH);
    assertThat(again.value()).isEqualTo("first");
  }

  @Test
  @Order(6)
  void aRetriedIncrWithTheSameSeqIsAppliedOnce() {
    Result first = write("7", 1, new Op.Incr("counter", 1));
    assertThat(first.ok()).as("%s", first).isTrue();
    assertThat(first.value()).isEqualTo("1");
    assertThat(first.duplicate()).isFalse();

    Result second = write("7", 1, new Op.Incr("counter", 1));
    assertThat(second.ok()).isTrue();
    assertThat(second.duplicate()).isTrue();
    assertThat(second.index()).isEqualTo(first.index());
    assertThat(second.value()).isEqualTo("1");
    assertThat(read(client, "counter", Consistency.LINEARIZABLE)).isEqualTo(Result.value("1", 0));
  }

  @Test
  @Order(7)
  void tooLargeIsRefusedWithoutSendingAnything() throws IOException {
    // The only node is a port nobody listens on: any answer but too_large would be a timeout.
    ActorRef<ClientActor.Command> nowhere = clientOf(List.of(unusedEndpoint()), TIMEOUT);
    TestProbe<Result> probe = kit.createTestProbe();
    String big = "x".repeat((1 << 20) + 1);
    nowhere.tell(new ClientActor.Write("big", 1, new Op.Put("k", big), probe.ref()));
    assertThat(probe.receiveMessage(Duration.ofSeconds(1)).error()).isEqualTo(ErrorCode.TOO_LARGE);
    nowhere.tell(new ClientActor.Read("k".repeat(1025), Consistency.LINEARIZABLE, probe.ref()));
    assertThat(probe.receiveMessage(Duration.ofSeconds(1)).error()).isEqualTo(ErrorCode.TOO_LARGE);
  }

  @Test
  @Order(8)
  void withoutAnyNodeAWriteEndsAsTimeoutWithItsOutcomeUnknown() throws IOException {
    ActorRef<ClientActor.Command> nowhere =
        clientOf(List.of(unusedEndpoint()), Duration.ofMillis(700));
    TestProbe<Result> lost = kit.createTestProbe();
    nowhere.tell(new ClientActor.Write("lost", 4, new Op.Put("k", "v"), lost.ref()));
    Result w = lost.receiveMessage(WAIT);
    assertThat(w.error()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(w.message()).contains("outcome unknown").contains("--client-id lost --seq 4");
    assertThat(read(nowhere, "k", Consistency.LINEARIZABLE).error()).isEqualTo(ErrorCode.TIMEOUT);

    TestProbe<ClusterStatus> probe = kit.createTestProbe();
    nowhere.tell(new ClientActor.Status(probe.ref()));
    ClusterStatus s = probe.receiveMessage(WAIT);
    assertThat(s.nodes()).hasSize(1);
    assertThat(s.anyReachable()).isFalse();
  }

  @Test
  @Order(9)
  void aClusterChosenSessionTakesWrites() {
    Result session = register(client, null);
    assertThat(session.ok()).as("%s", session).isTrue();
    assertThat(session.value()).startsWith("@");
    TestProbe<Result> probe = kit.createTestProbe();
    client.tell(new ClientActor.Write(session.value(), 1, new Op.Incr("chosen", 1), probe.ref()));
    assertThat(probe.receiveMessage(WAIT).value()).isEqualTo("1");
    Result again = register(client, session.value());
    assertThat(again.ok()).as("registering it again: %s", again).isTrue();
    assertThat(again.value()).isEqualTo(session.value());
  }

  /**
   * Anomaly 3, "a retried first write can apply twice": (C, 1) applied, its reply lost (or simply
   * retried later, as the CLI's help says); C's session expires; the retry must not apply again. A
   * cluster of its own, with a 300 ms session timeout.
   */
  @Test
  @Order(10)
  void aRetriedFirstWriteAfterTheSessionExpiredIsNotAppliedAgain() {
    try (RemoteCluster shortSessions =
        RemoteCluster.start(
            java.util.Collections.nCopies(3, 0),
            7,
            com.typesafe.config.ConfigFactory.parseString("raftkv.session-timeout = 1s"))) {
      ActorRef<ClientActor.Command> c = clientOf(shortSessions.endpoints(), TIMEOUT);
      assertThat(register(c, "C").ok()).isTrue();
      TestProbe<Result> probe = kit.createTestProbe();
      c.tell(new ClientActor.Write("C", 1, new Op.Incr("ctr", 1), probe.ref()));
      assertThat(probe.receiveMessage(WAIT).value()).isEqualTo("1");

      // Other clients keep writing (logged time moves on) until C's session has ended; the
      // retry of (C, 1) meanwhile is a duplicate, then refused: never applied again.
      // A writer idle for a whole timeout on a loaded machine ends too: it then starts afresh.
      String[] other = {"other-0"};
      assertThat(register(c, other[0]).ok()).isTrue();
      long[] seq = {0};
      Result retry =
          probe.awaitAssert(
              Duration.ofSeconds(30),
              Duration.ofMillis(100),
              () -> {
                c.tell(new ClientActor.Write(other[0], ++seq[0], new Op.Put("x", "y"), probe.ref()));
                Result w = probe.receiveMessage(WAIT);
                if (w.error() == ErrorCode.SESSION_EXPIRED) {
                  other[0] = "other-" + seq[0];
                  seq[0] = 0;
                  assertThat(register(c, other[0]).ok()).isTrue();
                } else {
                  assertThat(w.ok()).as("%s", w).isTrue();
                }
                c.tell(new ClientActor.Write("C", 1, new Op.Incr("ctr", 1), probe.ref()));
                Result r = probe.receiveMessage(WAIT);
                assertThat(r.error()).as("%s", r).isEqualTo(ErrorCode.SESSION_EXPIRED);
                return r;
              });
      assertThat(retry.message()).startsWith("session \"C\" ended at seq 1;");
      assertThat(retry.error().outcomeUnknown()).isTrue();
      Result again = register(c, "C");
      assertThat(again.error()).isEqualTo(ErrorCode.SESSION_EXPIRED);
      assertThat(again.message()).contains("ended at seq 1").contains("nothing was applied now");
      c.tell(new ClientActor.Read("ctr", Consistency.LINEARIZABLE, probe.ref()));
      assertThat(probe.receiveMessage(WAIT).value()).isEqualTo("1");
    }
  }

  private static ScanReply scan(
      ActorRef<ClientActor.Command> via, String prefix, String after, int limit, Consistency c) {
    TestProbe<ScanReply> probe = kit.createTestProbe();
    via.tell(new ClientActor.Scan(prefix, after, limit, false, c, probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  /** Every page of a scan through {@code via}, following the continuations. */
  private static List<ScanEntry> scanAll(ActorRef<ClientActor.Command> via, String prefix, int limit, Consistency c) {
    List<ScanEntry> all = new ArrayList<>();
    String after = null;
    for (int pages = 0; pages < 100; pages++) {
      ScanReply page = scan(via, prefix, after, limit, c);
      assertThat(page.result().ok()).as("%s", page).isTrue();
      assertThat(page.entries().size()).isLessThanOrEqualTo(limit);
      all.addAll(page.entries());
      after = page.continuation();
      if (after == null) {
        return all;
      }
    }
    throw new AssertionError("a scan of " + prefix + " did not end in 100 pages");
  }

  @Test
  @Order(20)
  void aLinearizableScanThroughAFollowerSeesTheWriteTheLeaderJustAcknowledged() {
    ActorRef<ClientActor.Command> followerOnly = clientOf(List.of(aFollower()), TIMEOUT);
    List<ScanEntry> written = new ArrayList<>();
    // The follower hears of each commit only with the leader's next AppendEntries: a scan served
    // from its state at once would miss some of these writes.
    for (int i = 0; i < 12; i++) {
      String key = String.format("scan/%02d", i);
      Result put = write("scanner", i + 1, new Op.Put(key, "v" + i));
      assertThat(put.ok()).as("%s", put).isTrue();
      written.add(new ScanEntry(key, "v" + i));
      assertThat(scanAll(followerOnly, "scan/", 5, Consistency.LINEARIZABLE))
          .as("after writing %s", key)
          .isEqualTo(written);
    }
    // A prefix of one key, and one that matches none.
    assertThat(scanAll(followerOnly, "scan/1", 5, Consistency.LINEARIZABLE)).isEqualTo(written.subList(10, 12));
    assertThat(scanAll(followerOnly, "scan/x", 5, Consistency.LINEARIZABLE)).isEmpty();
    // Pages of 5 over 12 keys: the second page resumes strictly after the first's last key.
    ScanReply first = scan(followerOnly, "scan/", null, 5, Consistency.LINEARIZABLE);
    assertThat(first.entries()).isEqualTo(written.subList(0, 5));
    assertThat(scan(followerOnly, "scan/", first.continuation(), 5, Consistency.LINEARIZABLE).entries())
        .isEqualTo(written.subList(5, 10));
  }

  @Test
  @Order(21)
  void aStaleScanIsServedByAFollowerFromItsOwnState() {
    assertThat(write("stale-scan", 1, new Op.Put("stale-scan/k", "1")).ok()).isTrue();
    ActorRef<ClientActor.Command> followerOnly = clientOf(List.of(aFollower()), TIMEOUT);
    TestProbe<ScanReply> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          followerOnly.tell(
              new ClientActor.Scan("stale-scan/", null, 0, true, Consistency.STALE, probe.ref()));
          ScanReply page = probe.receiveMessage(WAIT);
          assertThat(page.entries()).containsExactly(new ScanEntry("stale-scan/k", null));
          assertThat(page.continuation()).isNull();
          return null;
        });
  }

  @Test
  @Order(22)
  void aNodeRefusesAMalformedScanItself() {
    // Straight to a node, past the client's own checks.
    TestProbe<ScanReply> probe = kit.createTestProbe();
    NodeAddress.select(Adapter.toClassic(kit.system()), aFollower())
        .tell(
            new ClientProtocol.Scan("p", "***", 10, false, Consistency.LINEARIZABLE, probe.ref()),
            akka.actor.ActorRef.noSender());
    ScanReply bad = probe.receiveMessage(WAIT);
    assertThat(bad.result().error()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(bad.result().message()).contains("continuation");
    NodeAddress.select(Adapter.toClassic(kit.system()), aFollower())
        .tell(
            new ClientProtocol.Scan("p", null, Limits.MAX_SCAN_LIMIT + 1, false, Consistency.STALE, probe.ref()),
            akka.actor.ActorRef.noSender());
    assertThat(probe.receiveMessage(WAIT).result().error()).isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  @Order(100)
  void afterTheLeaderDiesAWriteSucceedsOnTheNewLeader() {
    NodeStatus old = awaitLeader();
    cluster.kill(old.endpoint());
    Result put = write("failover", 1, new Op.Put("after", "failover"));
    assertThat(put.ok()).as("%s", put).isTrue();

    // Status waits its whole timeout for the dead node: a short one.
    TestProbe<ClusterStatus> probe = kit.createTestProbe();
    clientOf(cluster.endpoints(), Duration.ofSeconds(1)).tell(new ClientActor.Status(probe.ref()));
    ClusterStatus s = probe.receiveMessage(WAIT);
    assertThat(s.leader()).isPresent();
    assertThat(s.leader().get().endpoint()).isNotEqualTo(old.endpoint());
    assertThat(s.leader().get().term()).isGreaterThan(old.term());
    assertThat(s.nodes())
        .filteredOn(v -> !v.reachable())
        .extracting(NodeView::endpoint)
        .containsExactly(old.endpoint());
    assertThat(read(client, "after", Consistency.LINEARIZABLE))
        .isEqualTo(Result.value("failover", 0));
  }

  private static Endpoint unusedEndpoint() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return new Endpoint("127.0.0.1", s.getLocalPort());
    }
  }
}
