package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Props;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.common.RaftSettings;
import raftkv.raft.RaftNode;
import raftkv.raft.core.ClusterConfig;
import raftkv.raft.core.Rpc;
import raftkv.storage.LogEntry;
import raftkv.storage.StorageException;
import raftkv.testkit.DeterministicExecutor;
import raftkv.testkit.TestClock;
import raftkv.testkit.TestConfig;
import raftkv.testkit.VirtualTimeScheduler;

/**
 * A cluster of N nodes in one JVM over a {@link SimNetwork}, on virtual time, deterministic: the
 * nodes (and the test's reply inboxes) run on a {@link DeterministicExecutor}, one message at a time
 * on the test's thread, so one seed always gives the same run. Each node keeps its {@link SimDisk}
 * across crashes and restarts, losing what it had not synced. Time moves from event to event; after
 * each, every message it caused is handled and the safety properties of Raft are checked ({@link
 * SafetyChecker}), so a violation fails the event where it happens.
 */
public final class SimCluster implements AutoCloseable {

  /** The dispatcher the simulated actors run on. */
  public static final String DISPATCHER = "raftkv-sim-dispatcher";

  /** A test kit whose scheduler runs on virtual time, with a deterministic dispatcher. */
  public static ActorTestKit newKit() {
    String[] key = new String[1];
    Config c =
        DeterministicExecutor.dispatcherConfig(DISPATCHER, key)
            .withFallback(VirtualTimeScheduler.config())
            .withFallback(TestConfig.local());
    return ActorTestKit.create(c);
  }

  /** The executor behind the deterministic dispatcher of {@code system}. */
  private static DeterministicExecutor executorOf(ActorSystem<?> system) {
    String path = DISPATCHER + ".deterministic-key";
    if (!system.settings().config().hasPath(path)) {
      throw new IllegalArgumentException("the kit must come from SimCluster.newKit()");
    }
    return DeterministicExecutor.forKey(system.settings().config().getString(path));
  }

  /** The props that put an actor on the deterministic dispatcher. */
  public static final Props ON_SIM = DispatcherSelector.fromConfig(DISPATCHER);

  public static final Duration STEP = Duration.ofMillis(5);
  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  public final ActorTestKit kit;
  public final VirtualTimeScheduler time;
  public final DeterministicExecutor executor;
  public final SimNetwork net;
  public final List<Endpoint> endpoints = new ArrayList<>();
  private final SimDisk[] disks;
  private final List<ActorRef<NodeMessage>> refs = new ArrayList<>();
  private final long[] commitSeen;
  private final RaftSettings settings;
  private final Random seeds;
  private final int clusterNo = CLUSTERS.incrementAndGet();
  private final AtomicInteger incarnations = new AtomicInteger();
  private final ActorRef<SimHost.Command> host;
  private final Queue<SimHost.Death> deaths = new ConcurrentLinkedQueue<>();
  private final Inbox<NodeStatus> statusInbox;
  private final SafetyChecker checker;
  private Duration checkEvery = STEP;
  /** When the cluster started: its clock counts from here, so a run never depends on what ran before. */
  private final Duration origin;

  /** Starts of a node whose disk held a stored state machine (applied index above 0). */
  private long storedStarts;

  /** Every term in which some node stood as candidate (asked for votes). */
  public final Set<Long> candidateTerms = ConcurrentHashMap.newKeySet();

  public SimCluster(ActorTestKit kit, int size, long seed, RaftSettings settings) {
    this.kit = kit;
    this.time = VirtualTimeScheduler.of(kit.system());
    this.executor = executorOf(kit.system());
    this.origin = time.now();
    this.net = new SimNetwork(time, seed);
    this.settings = settings;
    this.seeds = new Random(seed);
    this.disks = new SimDisk[size];
    this.commitSeen = new long[size];
    this.checker = new SafetyChecker(size);
    this.host = kit.spawn(SimHost.create(deaths), "host-" + clusterNo, ON_SIM);
    this.statusInbox = new Inbox<>(kit, NodeStatus.class);
    // Addresses follow from the seed alone: nodes iterate over hash maps of their peers, so the
    // same seed must give the same addresses for the same run.
    for (int i = 0; i < size; i++) {
      endpoints.add(new Endpoint("sim-" + Long.toHexString(seed), 9001 + i));
      disks[i] = new SimDisk(i, checker);
      refs.add(null);
    }
    // A candidate asks for votes: seen as it is sent, so the record is complete at every step.
    net.observe((from, m) -> {
      if (m instanceof Rpc.RequestVote rv) {
        candidateTerms.add(rv.term());
      }
    });
    for (int i = 0; i < size; i++) {
      start(i);
    }
  }

  /**
   * Shuts down a kit from {@link #newKit()}: its deterministic dispatcher is drained, and its
   * virtual clock moved, until the system has terminated, since nothing else does.
   */
  public static void shutdown(ActorTestKit kit) {
    DeterministicExecutor ex = executorOf(kit.system());
    var terminated = kit.system().getWhenTerminated().toCompletableFuture();
    kit.system().terminate();
    VirtualTimeScheduler time = VirtualTimeScheduler.of(kit.system());
    while (!terminated.isDone()) {
      ex.drain();
      time.advance(Duration.ofMillis(10)); // for whatever waits on the scheduler while stopping
      try {
        terminated.get(1, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // not yet: drain again
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException("shutting down the simulation's actor system", e);
      }
    }
  }

  public SimCluster(ActorTestKit kit, int size, long seed) {
    this(kit, size, seed, RaftSettings.defaults());
  }

  public int size() {
    return endpoints.size();
  }

  public Endpoint endpoint(int i) {
    return endpoints.get(i);
  }

  public SimDisk disk(int i) {
    return disks[i];
  }

  public boolean isUp(int i) {
    return refs.get(i) != null;
  }

  /** Starts node {@code i} on its disk (a restart, if it ran before). */
  public void start(int i) {
    if (isUp(i)) {
      throw new IllegalStateException("n" + (i + 1) + " is already up");
    }
    Endpoint self = endpoints.get(i);
    List<Endpoint> peers = endpoints.stream().filter(e -> !e.equals(self)).toList();
    disks[i].restarted();
    if (disks[i].stateStore().appliedIndex() > 0) {
      storedStarts++; // it resumes after that index, not from the start of the log
    }
    Behavior<NodeMessage> node =
        RaftNode.create(
            new ClusterConfig(i + 1, self, peers),
            settings,
            disks[i],
            net.transportFor(self),
            virtualClock(), // session expiry follows virtual time
            new Random(seeds.nextLong()));
    String name = "c" + clusterNo + "-n" + (i + 1) + "-" + incarnations.incrementAndGet();
    AtomicReference<ActorRef<NodeMessage>> started = new AtomicReference<>();
    host.tell(new SimHost.Start(i, node, name, started));
    executor.drain();
    refs.set(i, started.get());
    commitSeen[i] = 0;
    net.register(self, refs.get(i));
    settle();
  }

  /** Kills node {@code i}'s process: what it wrote remains, messages to it are lost. */
  public void crash(int i) {
    if (!isUp(i)) {
      return;
    }
    net.unregister(endpoints.get(i));
    host.tell(new SimHost.Stop(i));
    executor.drain();
    refs.set(i, null);
  }

  /** Node {@code i}'s machine loses power: as {@link #crash}, and its unsynced writes are lost. */
  public void powerFailure(int i) {
    crash(i);
    disks[i].powerFailure();
    checker.checkDurable(List.of(disks));
    checker.assertNoViolation();
  }

  public void restart(int i) {
    crash(i);
    start(i);
  }

  public NodeStatus status(int i) {
    refs.get(i).tell(new ClientProtocol.GetStatus(statusInbox.ref()));
    settle();
    return statusInbox.poll().orElseThrow(() -> new AssertionError("n" + (i + 1) + " did not answer a status request"));
  }

  /** How many starts so far resumed from a stored state machine rather than an empty one. */
  public long storedStarts() {
    return storedStarts;
  }

  /** State machine batches lost whole in power failures so far, over every disk. */
  public long lostStateWrites() {
    long lost = 0;
    for (SimDisk d : disks) {
      lost += d.lostStateWrites();
    }
    return lost;
  }

  public ActorRef<NodeMessage> ref(int i) {
    return refs.get(i);
  }

  /** Lets every node handle everything sent to it so far, until nothing more moves. */
  public void settle() {
    executor.drain();
    for (SimHost.Death d = deaths.poll(); d != null; d = deaths.poll()) {
      onDeath(d);
      executor.drain();
    }
    checker.assertNoViolation();
  }

  /**
   * A node stopped on its own. Only an injected sync failure may stop one: it must stop rather than
   * go on with a disk it cannot trust. Anything else is a bug.
   */
  private void onDeath(SimHost.Death d) {
    if (!d.ref().equals(refs.get(d.node()))) {
      return; // an incarnation already replaced
    }
    net.unregister(endpoints.get(d.node()));
    refs.set(d.node(), null);
    SimDisk disk = disks[d.node()];
    if (!(d.cause() instanceof StorageException && (disk.failingSyncs() || disk.crashedOnPurpose()))) {
      throw new AssertionError("n" + (d.node() + 1) + " stopped unexpectedly", d.cause());
    }
    checker.checkDurable(List.of(disks));
  }

  /**
   * Advances virtual time by {@code d}, one event at a time: after each, every message it caused is
   * handled and safety is checked; every {@link #checkEvery(Duration)} (a {@link #STEP} unless
   * set) the nodes' commit points and roles are checked too.
   */
  public void advance(Duration d) {
    Duration target = time.now().plus(d);
    while (time.now().compareTo(target) < 0) {
      Duration stepEnd = time.now().plus(checkEvery);
      if (stepEnd.compareTo(target) > 0) {
        stepEnd = target;
      }
      while (time.runNextDueBy(stepEnd)) {
        settle();
      }
      time.advance(stepEnd.minus(time.now()));
      settle();
      checkSafety();
    }
  }

  /**
   * How often {@link #advance} asks every node for its status to check commit points and roles
   * (each costs a message per node). Everything the disks see is checked at every event anyway.
   */
  public void checkEvery(Duration period) {
    this.checkEvery = period;
  }

  /** The virtual time since the cluster's kit started. */
  public Duration now() {
    return time.now();
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

  /**
   * Sends a write; until {@code clientId}'s registration has been answered ok, a registration goes
   * first, to the same node (so it is appended before the write).
   */
  public void write(int node, String clientId, long seq, Op op, Inbox<Reply> replyTo) {
    Inbox<Reply> registering = registrations.get(clientId);
    if (registering != null) {
      for (Optional<Reply> r = registering.poll(); r.isPresent(); r = registering.poll()) {
        if (r.get().result().ok()) {
          registered.add(clientId);
        }
      }
    }
    if (!registered.contains(clientId)) {
      Inbox<Reply> inbox = new Inbox<>(kit, Reply.class);
      registrations.put(clientId, inbox);
      refs.get(node).tell(new ClientProtocol.Register(clientId, inbox.ref()));
    }
    refs.get(node).tell(new ClientProtocol.Write(clientId, seq, op, replyTo.ref()));
  }

  private final Map<String, Inbox<Reply>> registrations = new HashMap<>();
  private final Set<String> registered = new HashSet<>();

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
   * Checks what the disks cannot report by themselves: every live node's commit point (its new
   * committed entries must agree with those known, within its log) and role (one leader per term,
   * holding every entry committed before its term). The rest is checked as the disks are written.
   */
  public void checkSafety() {
    for (int i = 0; i < size(); i++) {
      if (!isUp(i)) {
        continue;
      }
      NodeStatus s = status(i);
      assertThat(s.lastApplied()).as("n%d applied within commit", i + 1).isLessThanOrEqualTo(s.commitIndex());
      if (s.commitIndex() > commitSeen[i]) {
        checker.committed(i, s.term(), commitSeen[i], s.commitIndex(), disks[i]);
        commitSeen[i] = s.commitIndex();
      }
      if (s.role().equals("leader")) {
        checker.leader(i, s.term(), disks[i]);
      }
    }
    checker.checkDurable(List.of(disks));
    checker.assertNoViolation();
  }

  /** The entries known committed, in index order. */
  public List<LogEntry> committedEntries() {
    return checker.committedEntries();
  }

  /** Terms in which a node was seen leading. */
  public Set<Long> termsWithALeader() {
    return checker.termsWithALeader();
  }

  @Override
  public void close() {
    for (int i = 0; i < size(); i++) {
      if (isUp(i)) {
        crash(i);
      }
    }
    executor.drain();
  }

  /** Wall-clock time that follows the virtual scheduler, for the timestamps logged with writes. */
  private TestClock virtualClock() {
    return new TestClock(() -> 1_700_000_000_000L + time.now().minus(origin).toMillis());
  }
}
