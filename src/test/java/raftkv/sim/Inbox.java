package raftkv.sim;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Collects the messages sent to its {@link #ref()} without blocking anyone, so a test running on
 * virtual time can look for a reply between two steps. It runs on the simulation's deterministic
 * dispatcher: a reply is in once the cluster has settled.
 */
public final class Inbox<T> {
  private static final AtomicInteger COUNT = new AtomicInteger();
  private final ConcurrentLinkedQueue<T> received = new ConcurrentLinkedQueue<>();
  private final ActorRef<T> ref;

  public Inbox(ActorTestKit kit, Class<T> type) {
    this.ref =
        kit.spawn(
            Behaviors.receive(type)
                .onAnyMessage(m -> {
                  received.add(m);
                  return Behaviors.same();
                })
                .build(),
            "inbox-" + COUNT.incrementAndGet(),
            SimCluster.ON_SIM);
  }

  public ActorRef<T> ref() {
    return ref;
  }

  public Optional<T> poll() {
    return Optional.ofNullable(received.poll());
  }

  public boolean isEmpty() {
    return received.isEmpty();
  }
}
