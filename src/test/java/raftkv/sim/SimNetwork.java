package raftkv.sim;

import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.raft.RaftNode;
import raftkv.raft.Transport;
import raftkv.raft.core.Rpc;
import raftkv.testkit.VirtualTimeScheduler;
import scala.concurrent.duration.FiniteDuration;

/**
 * The network of an in-JVM cluster, under the test's control: links can be cut both ways (partition,
 * isolate) or one way, messages dropped or duplicated at a seeded rate or delayed by a seeded random
 * amount (which also reorders them), and everything heals on request. Delays run on virtual time.
 */
public final class SimNetwork {

  private final Map<Endpoint, ActorRef<NodeMessage>> nodes = new ConcurrentHashMap<>();
  private final Set<List<Endpoint>> cut = ConcurrentHashMap.newKeySet();
  private final Random random;
  private final VirtualTimeScheduler time;
  private final AtomicLong deliveries = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final List<BiConsumer<Endpoint, Rpc.PeerMessage>> observers = new CopyOnWriteArrayList<>();
  private final AtomicLong duplicated = new AtomicLong();
  private volatile double dropRate;
  private volatile double duplicateRate;
  private volatile long maxDelayNanos;
  private volatile long minLatencyNanos;
  private volatile long maxLatencyNanos;

  public SimNetwork(VirtualTimeScheduler time, long seed) {
    this.time = time;
    this.random = new Random(seed);
  }

  /** The transport a node at {@code self} sends through. */
  public Transport transportFor(Endpoint self) {
    return (to, message) -> send(self, to, message);
  }

  /** The node registered at {@code e}, if it is up. */
  public ActorRef<NodeMessage> nodeAt(Endpoint e) {
    return nodes.get(e);
  }

  public void register(Endpoint e, ActorRef<NodeMessage> node) {
    nodes.put(e, node);
  }

  /** A node that is down: messages to it are lost. */
  public void unregister(Endpoint e) {
    nodes.remove(e);
  }

  /** Called for every message sent (before any drop), with its sender. */
  public void observe(BiConsumer<Endpoint, Rpc.PeerMessage> observer) {
    observers.add(observer);
  }

  /** Cuts every link between the two groups, both ways. */
  public void partition(Collection<Endpoint> a, Collection<Endpoint> b) {
    for (Endpoint x : a) {
      for (Endpoint y : b) {
        cut.add(List.of(x, y));
        cut.add(List.of(y, x));
      }
    }
  }

  /** Cuts {@code e} off from everyone in {@code all}. */
  public void isolate(Endpoint e, Collection<Endpoint> all) {
    partition(List.of(e), all.stream().filter(x -> !x.equals(e)).toList());
  }

  /** Cuts the link from {@code from} to {@code to} only: messages the other way still arrive. */
  public void cutOneWay(Endpoint from, Endpoint to) {
    cut.add(List.of(from, to));
  }

  /** Restores every link; drop, duplicate and delay back to none. */
  public void heal() {
    cut.clear();
    dropRate = 0;
    duplicateRate = 0;
    maxDelayNanos = 0;
  }

  /** Delivers each message a second time with probability {@code rate} (with its own delay). */
  public void duplicate(double rate) {
    this.duplicateRate = rate;
  }

  public long duplicated() {
    return duplicated.get();
  }

  /** Drops each message with probability {@code rate}. */
  public void drop(double rate) {
    this.dropRate = rate;
  }

  /**
   * Every message takes between {@code min} and {@code max} to arrive, faults or not ({@link
   * #heal()} keeps it); zero unless set.
   */
  public void latency(Duration min, Duration max) {
    this.minLatencyNanos = min.toNanos();
    this.maxLatencyNanos = max.toNanos();
  }

  /** Delays each message by a further random amount in [0, max], which also reorders them. */
  public void delay(Duration max) {
    this.maxDelayNanos = max.toNanos();
  }

  public long deliveries() {
    return deliveries.get();
  }

  public long dropped() {
    return dropped.get();
  }

  private void send(Endpoint from, Endpoint to, Rpc.PeerMessage m) {
    observers.forEach(o -> o.accept(from, m));
    int copies = 1;
    synchronized (random) {
      if (duplicateRate > 0 && random.nextDouble() < duplicateRate) {
        copies = 2;
        duplicated.incrementAndGet();
      }
    }
    for (int i = 0; i < copies; i++) {
      sendOnce(from, to, m);
    }
  }

  private void sendOnce(Endpoint from, Endpoint to, Rpc.PeerMessage m) {
    long delay;
    synchronized (random) {
      if (cut.contains(List.of(from, to)) || (dropRate > 0 && random.nextDouble() < dropRate)) {
        dropped.incrementAndGet();
        return;
      }
      delay = minLatencyNanos;
      if (maxLatencyNanos > minLatencyNanos) {
        delay += (long) (random.nextDouble() * (maxLatencyNanos - minLatencyNanos));
      }
      if (maxDelayNanos > 0) {
        delay += (long) (random.nextDouble() * maxDelayNanos);
      }
    }
    if (delay == 0) {
      deliver(to, m);
    } else {
      time.scheduleOnce(FiniteDuration.create(delay, TimeUnit.NANOSECONDS), () -> deliver(to, m), null);
    }
  }

  private void deliver(Endpoint to, Rpc.PeerMessage m) {
    ActorRef<NodeMessage> node = nodes.get(to);
    if (node != null) {
      node.tell(m);
      deliveries.incrementAndGet();
    }
  }
}
