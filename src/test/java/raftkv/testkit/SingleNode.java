package raftkv.testkit;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import raftkv.api.ClientProtocol;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.common.RaftSettings;
import raftkv.raft.RaftNode;
import raftkv.raft.core.ClusterConfig;
import raftkv.raft.core.Rpc;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.PeerMessage;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.testkit.CapturingTransport.Sent;

/**
 * One node under test, n1 at 127.0.0.1:9001, with two peers (n2 at 9002, n3 at 9003) played by the
 * test: what the node sends is captured, and the test answers by hand. Time is manual.
 */
public final class SingleNode {
  public static final Endpoint N1 = new Endpoint("127.0.0.1", 9001);
  public static final Endpoint N2 = new Endpoint("127.0.0.1", 9002);
  public static final Endpoint N3 = new Endpoint("127.0.0.1", 9003);

  private static final AtomicInteger INCARNATION = new AtomicInteger();

  public final ActorTestKit kit;
  /** Akka's ManualTime, unless the system runs on a {@link VirtualTimeScheduler}. */
  private final ManualTime manualTime;
  private final VirtualTimeScheduler virtualTime;
  public final InMemoryStorage storage;
  public ActorRef<NodeMessage> node;
  private final RaftSettings settings;
  private final long seed;
  private CapturingTransport transport;
  private final TestProbe<ClientProtocol.NodeStatus> statusProbe;

  public SingleNode(ActorTestKit kit, InMemoryStorage storage, RaftSettings settings, long seed) {
    this.kit = kit;
    if (Adapter.toClassic(kit.system()).scheduler() instanceof VirtualTimeScheduler v) {
      this.virtualTime = v;
      this.manualTime = null;
    } else {
      this.virtualTime = null;
      this.manualTime = ManualTime.get(kit.system());
    }
    this.storage = storage;
    this.settings = settings;
    this.seed = seed;
    this.statusProbe = kit.createTestProbe(ClientProtocol.NodeStatus.class);
    start();
  }

  public SingleNode(ActorTestKit kit, long seed) {
    this(kit, new InMemoryStorage(), RaftSettings.defaults(), seed);
  }

  /** What storage held at the moment a message was sent. */
  public record Durable(long term, Optional<Endpoint> votedFor, long lastIndex) {}

  /** (Re)starts the node's actor on the same storage, as a process restart would. */
  public void start() {
    // Record what storage held when each message left: a vote must be durable before its reply.
    transport = new CapturingTransport(() -> new Durable(storage.currentTerm(), storage.votedFor(), storage.lastIndex()));
    node =
        kit.spawn(
            RaftNode.create(
                new ClusterConfig(1, N1, List.of(N2, N3)),
                settings,
                storage,
                transport,
                Clock.systemUTC(),
                new Random(seed)),
            "n1-" + INCARNATION.incrementAndGet());
    status(); // the node has run its start-up before the test goes on
  }

  public void stop() {
    kit.stop(node);
  }

  public ClientProtocol.NodeStatus status() {
    node.tell(new ClientProtocol.GetStatus(statusProbe.ref()));
    return statusProbe.receiveMessage();
  }

  /** Sends {@code m}, then waits until the node has handled it. */
  public void deliver(NodeMessage m) {
    node.tell(m);
    status();
  }

  /** Lets time pass, and waits until the node has handled the timers that fired. */
  public void advance(Duration d) {
    // In steps shorter than the shortest election timeout: the node schedules its next timer
    // while the clock is still moving, and within one step that timer must not fall due again.
    Duration step = settings.electionTimeoutMin().minusMillis(1);
    Duration left = d;
    while (!left.isZero()) {
      Duration now = left.compareTo(step) < 0 ? left : step;
      if (virtualTime != null) {
        virtualTime.advance(now);
      } else {
        manualTime.timePasses(now);
      }
      status();
      left = left.minus(now);
    }
  }

  /** Everything the node sent since the last call, but keepalive pings. */
  public List<Sent> sent() {
    return transport.take().stream().filter(s -> !(s.message() instanceof Rpc.Ping)).toList();
  }

  /** Everything the node sent since the last call, pings included. */
  public List<Sent> sentWithPings() {
    return transport.take();
  }

  /** The messages of {@code type} the node sent since the last call (others are discarded). */
  public <T extends PeerMessage> List<T> sent(Class<T> type) {
    return sent().stream().map(Sent::message).filter(type::isInstance).map(type::cast).toList();
  }

  /** Times out, wins the pre-vote and the election (n2 grants both), and returns the new term. */
  public long makeLeader() {
    advance(settings.electionTimeoutMax().minusMillis(1)); // exactly one timeout
    Rpc.PreVote pv = sent(Rpc.PreVote.class).get(0);
    deliver(new Rpc.PreVoteReply(pv.term(), N2, 2, true));
    Rpc.RequestVote rv = sent(Rpc.RequestVote.class).get(0);
    deliver(new Rpc.RequestVoteReply(rv.term(), N2, 2, true));
    if (!status().role().equals("leader")) {
      throw new AssertionError("n1 did not become leader: " + status());
    }
    return rv.term();
  }

  /** An entry-less AppendEntries from n2 as leader of {@code term}, claiming an empty log. */
  public static AppendEntries heartbeat(long term) {
    return new AppendEntries(term, N2, 2, 0, 0, List.of(), 0, 0);
  }

  public static AppendEntries append(
      long term, long prevIndex, long prevTerm, List<LogEntry> entries, long commit) {
    return new AppendEntries(term, N2, 2, prevIndex, prevTerm, entries, commit, 0);
  }
}
