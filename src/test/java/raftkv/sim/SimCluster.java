package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import raftkv.client.ClientProtocol;
import raftkv.client.ClientProtocol.NodeStatus;
import raftkv.client.ClientProtocol.Reply;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.kv.Op;
import raftkv.raft.ClusterConfig;
import raftkv.raft.RaftNode;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.testkit.TestConfig;
import raftkv.testkit.VirtualTimeScheduler;

/**
 * A cluster of N nodes in one JVM over a {@link SimNetwork}, on virtual time. Each node keeps its
 * {@link InMemoryStorage} across crashes and restarts, as a disk would. Time moves in small steps;
 * after each, every message in flight is handled ({@link #settle()}) and the safety properties of
 * Raft are checked ({@link #checkSafety()}), so a violation fails the step where it happens.
 */
public final class SimCluster implements AutoCloseable {

  /** A test kit whose scheduler runs on virtual time. */
  public static ActorTestKit newKit() {
    Config c = VirtualTimeScheduler.config().withFallback(TestConfig.local());
    return ActorTestKit.create(c);
  }

  public static final Duration STEP = Duration.ofMillis(5);
  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  public final ActorTestKit kit;
  public final VirtualTimeScheduler time;
  public final SimNetwork net;
  public final List<Endpoint> endpoints = new ArrayList<>();
  private final InMemoryStorage[] disks;
  private final List<ActorRef<RaftNode.Command>> refs = new ArrayList<>();
  private final RaftSettings settings;
  private final Random seeds;
  private final int clusterNo = CLUSTERS.incrementAndGet();
  private final AtomicInteger incarnations = new AtomicInteger();
  private final TestProbe<NodeStatus> statusProbe;

  /** term -> endpoints that were leader in it, from the nodes' own announcements. */
  public final Map<Long, Set<Endpoint>> leadersByTerm = new ConcurrentHashMap<>();
  /** Every term any node entered as candidate. */
  public final Set<Long> candidateTerms = ConcurrentHashMap.newKeySet();
  /** index -> the committed entry, and the term in which it was first seen committed. */
  private final Map<Long, LogEntry> committed = new ConcurrentHashMap<>();
  private final Map<Long, Long> committedSeenInTerm = new ConcurrentHashMap<>();

  public SimCluster(ActorTestKit kit, int size, long seed, RaftSettings settings) {
    this.kit = kit;
    this.time = VirtualTimeScheduler.of(kit.system());
    this.net = new SimNetwork(time, seed);
    this.settings = settings;
    this.seeds = new Random(seed);
    this.disks = new InMemoryStorage[size];
    this.statusProbe = kit.createTestProbe(NodeStatus.class);
    // Distinct ports per cluster keep the event stream's announcements apart.
    for (int i = 0; i < size; i++) {
      endpoints.add(new Endpoint("sim" + clusterNo, 9001 + i));
      disks[i] = new InMemoryStorage();
      refs.add(null);
    }
    kit.spawn(roleWatcher(), "roles-" + clusterNo);
    for (int i = 0; i < size; i++) {
      start(i);
    }
  }

  public SimCluster(ActorTestKit kit, int size, long seed) {
    this(kit, size, seed, RaftSettings.defaults());
  }

  private Behavior<RaftNode.RoleChanged> roleWatcher() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(RaftNode.RoleChanged.class, ctx.getSelf()));
      return Behaviors.receive(RaftNode.RoleChanged.class)
          .onMessage(RaftNode.RoleChanged.class, m -> {
            if (endpoints.contains(m.node())) {
              if (m.role().equals("leader")) {
                leadersByTerm.computeIfAbsent(m.term(), t -> ConcurrentHashMap.newKeySet()).add(m.node());
              } else if (m.role().equals("candidate")) {
                candidateTerms.add(m.term());
              }
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  public int size() {
    return endpoints.size();
  }

  public Endpoint endpoint(int i) {
    return endpoints.get(i);
  }

  public InMemoryStorage disk(int i) {
    return disks[i];
  }

  public boolean isUp(int i) {
    return refs.get(i) != null;
  }

  /** Starts node {@code i} on its storage (a restart, if it ran before). */
  public void start(int i) {
    Endpoint self = endpoints.get(i);
    List<Endpoint> peers = endpoints.stream().filter(e -> !e.equals(self)).toList();
    // Clock for session expiry follows virtual time.
    Clock clock = new VirtualClock(time);
    refs.set(
        i,
        kit.spawn(
            RaftNode.create(
                new ClusterConfig(i + 1, self, peers),
                settings,
                disks[i],
                net.transportFor(self),
                clock,
                new Random(seeds.nextLong())),
            "c" + clusterNo + "-n" + (i + 1) + "-" + incarnations.incrementAndGet()));
    net.register(self, refs.get(i));
    status(i);
  }

  /** Stops node {@code i} abruptly: what it did not store is gone, what it stored remains. */
  public void crash(int i) {
    net.unregister(endpoints.get(i));
    kit.stop(refs.get(i));
    refs.set(i, null);
  }

  public void restart(int i) {
    crash(i);
    start(i);
  }

  public NodeStatus status(int i) {
    refs.get(i).tell(new ClientProtocol.GetStatus(statusProbe.ref()));
    return statusProbe.receiveMessage();
  }

  public ActorRef<RaftNode.Command> ref(int i) {
    return refs.get(i);
  }

  /** Lets every node handle everything sent to it so far, until nothing more moves. */
  public void settle() {
    long before;
    int rounds = 0;
    do {
      before = net.deliveries();
      for (int i = 0; i < size(); i++) {
        if (isUp(i)) {
          status(i);
        }
      }
      if (++rounds > 10_000) {
        throw new AssertionError("the cluster never settles: messages keep flowing without time passing");
      }
    } while (net.deliveries() != before);
  }

  /** Advances virtual time by {@code d} in small steps, settling and checking safety at each. */
  public void advance(Duration d) {
    long steps = Math.max(1, d.toNanos() / STEP.toNanos());
    for (long s = 0; s < steps; s++) {
      time.advance(STEP);
      settle();
      checkSafety();
    }
  }

  /** Indexes of the nodes that say they are leader. */
  public List<Integer> leaders() {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      if (isUp(i) && status(i).role().equals("leader")) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * Advances until one node leads and every other live node that can hear it follows it in the
   * same term; returns it. Fails after {@code max} of virtual time.
   */
  public int awaitLeader(Duration max) {
    Duration waited = Duration.ZERO;
    while (waited.compareTo(max) <= 0) {
      Optional<Integer> l = stableLeader();
      if (l.isPresent()) {
        return l.get();
      }
      advance(STEP);
      waited = waited.plus(STEP);
    }
    throw new AssertionError("no leader within " + max + ": " + statuses());
  }

  /** A leader that a majority (itself included) recognizes in its term, if there is one. */
  public Optional<Integer> stableLeader() {
    List<NodeStatus> all = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      all.add(isUp(i) ? status(i) : null);
    }
    for (int i = 0; i < size(); i++) {
      NodeStatus s = all.get(i);
      if (s == null || !s.role().equals("leader")) {
        continue;
      }
      int following = 0;
      for (NodeStatus o : all) {
        if (o != null && o.term() == s.term() && endpoint(i).equals(o.leader())) {
          following++;
        }
      }
      if (following >= size() / 2 + 1) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  public List<NodeStatus> statuses() {
    List<NodeStatus> out = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      if (isUp(i)) {
        out.add(status(i));
      }
    }
    return out;
  }

  // --- clients ----------------------------------------------------------------------------------

  public Inbox<Reply> write(int node, String clientId, long seq, Op op) {
    Inbox<Reply> inbox = new Inbox<>(kit, Reply.class);
    write(node, clientId, seq, op, inbox);
    return inbox;
  }

  public void write(int node, String clientId, long seq, Op op, Inbox<Reply> replyTo) {
    refs.get(node).tell(new ClientProtocol.Write(clientId, seq, op, replyTo.ref()));
  }

  public Inbox<Reply> read(int node, String key, ClientProtocol.Consistency consistency) {
    Inbox<Reply> inbox = new Inbox<>(kit, Reply.class);
    refs.get(node).tell(new ClientProtocol.Read(key, consistency, inbox.ref()));
    return inbox;
  }

  /** Advances until {@code inbox} holds a reply; empty if none came within {@code max}. */
  public Optional<Reply> await(Inbox<Reply> inbox, Duration max) {
    Duration waited = Duration.ZERO;
    while (true) {
      settle();
      Optional<Reply> r = inbox.poll();
      if (r.isPresent() || waited.compareTo(max) >= 0) {
        return r;
      }
      advance(STEP);
      waited = waited.plus(STEP);
    }
  }

  /** A write through the current leader that must succeed within 2 s of virtual time. */
  public Reply writeOk(String clientId, long seq, Op op) {
    int leader = awaitLeader(Duration.ofSeconds(2));
    Reply r = await(write(leader, clientId, seq, op), Duration.ofSeconds(2)).orElseThrow(() -> new AssertionError("no reply to " + op));
    assertThat(r.result().ok()).as("reply to %s: %s", op, r).isTrue();
    return r;
  }

  // --- safety -----------------------------------------------------------------------------------

  /**
   * Raft's safety properties (§5.4.3, Figure 3), checked on the live state:
   *
   * <ul>
   *   <li>Election Safety: at most one leader per term.
   *   <li>Log Matching: logs that hold an entry with the same index and term are identical up to it.
   *   <li>State Machine Safety: no two nodes ever commit different entries at one index, and a
   *       committed entry never changes or disappears from a log that committed it.
   *   <li>Leader Completeness: a leader holds every entry committed in an earlier term.
   * </ul>
   */
  public void checkSafety() {
    leadersByTerm.forEach((term, leaders) ->
        assertThat(leaders).as("Election Safety: leaders of term %d", term).hasSizeLessThanOrEqualTo(1));

    List<List<LogEntry>> logs = new ArrayList<>();
    for (InMemoryStorage d : disks) {
      logs.add(d.snapshotOfLog());
    }
    for (int a = 0; a < logs.size(); a++) {
      for (int b = a + 1; b < logs.size(); b++) {
        checkLogMatching(a, logs.get(a), b, logs.get(b));
      }
    }

    for (int i = 0; i < size(); i++) {
      if (!isUp(i)) {
        continue;
      }
      NodeStatus s = status(i);
      List<LogEntry> log = logs.get(i);
      assertThat(s.commitIndex()).as("n%d commit within its log", i + 1).isLessThanOrEqualTo(log.size());
      assertThat(s.lastApplied()).as("n%d applied within commit", i + 1).isLessThanOrEqualTo(s.commitIndex());
      for (long idx = 1; idx <= s.commitIndex(); idx++) {
        LogEntry e = log.get((int) idx - 1);
        LogEntry before = committed.putIfAbsent(idx, e);
        committedSeenInTerm.putIfAbsent(idx, s.term());
        if (before != null) {
          assertThat(e).as("State Machine Safety: n%d's committed entry at %d", i + 1, idx).isEqualTo(before);
        }
      }
      if (s.role().equals("leader")) {
        final long term = s.term();
        committed.forEach((idx, e) -> {
          if (committedSeenInTerm.get(idx) < term) {
            assertThat(idx).as("Leader Completeness: leader n%d of term %d lacks %s", 0, term, e).isLessThanOrEqualTo(log.size());
            assertThat(log.get((int) (long) idx - 1)).as("Leader Completeness at %d", idx).isEqualTo(e);
          }
        });
      }
    }
    // Committed entries stay in every log that holds them past its commit point (durability).
    for (int i = 0; i < size(); i++) {
      List<LogEntry> log = logs.get(i);
      long c = disks[i].commitHint();
      for (long idx = 1; idx <= Math.min(c, log.size()); idx++) {
        LogEntry e = committed.get(idx);
        if (e != null) {
          assertThat(log.get((int) idx - 1)).as("n%d lost committed entry %d", i + 1, idx).isEqualTo(e);
        }
      }
    }
  }

  private static void checkLogMatching(int a, List<LogEntry> la, int b, List<LogEntry> lb) {
    int n = Math.min(la.size(), lb.size());
    for (int i = n - 1; i >= 0; i--) {
      if (la.get(i).term() == lb.get(i).term()) {
        assertThat(la.subList(0, i + 1))
            .as("Log Matching: n%d and n%d agree on the term at %d", a + 1, b + 1, i + 1)
            .isEqualTo(lb.subList(0, i + 1));
        return;
      }
    }
  }

  /** The entries known committed, in index order. */
  public List<LogEntry> committedEntries() {
    List<LogEntry> out = new ArrayList<>();
    for (long i = 1; committed.containsKey(i); i++) {
      out.add(committed.get(i));
    }
    return out;
  }

  public Set<Long> termsWithALeader() {
    return new HashSet<>(leadersByTerm.keySet());
  }

  @Override
  public void close() {
    for (int i = 0; i < size(); i++) {
      if (isUp(i)) {
        crash(i);
      }
    }
  }

  /** Wall-clock time that follows the virtual scheduler, for the timestamps logged with writes. */
  static final class VirtualClock extends Clock {
    private final VirtualTimeScheduler time;

    VirtualClock(VirtualTimeScheduler time) {
      this.time = time;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(1_700_000_000_000L).plus(time.now());
    }
  }
}
