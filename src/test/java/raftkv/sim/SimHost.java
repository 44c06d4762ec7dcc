package raftkv.sim;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicReference;
import raftkv.common.NodeMessage;
import raftkv.raft.RaftNode;

/**
 * The parent of a simulated cluster's nodes, on the deterministic dispatcher: it starts and stops
 * them on the test's request (nodes inherit its dispatcher), and reports a node that stops by
 * itself, with the failure that stopped it.
 */
final class SimHost {
  private SimHost() {}

  sealed interface Command {}

  /** Starts {@code node} as node {@code index}; its reference is put in {@code started}. */
  record Start(
      int index,
      Behavior<NodeMessage> node,
      String name,
      AtomicReference<ActorRef<NodeMessage>> started)
      implements Command {}

  /** Stops node {@code index} at once (a crash: it does not get to finish anything). */
  record Stop(int index) implements Command {}

  /** Node {@code node} ({@code ref}) stopped without being asked; {@code cause} null if it did not fail. */
  record Death(int node, ActorRef<?> ref, Throwable cause) {}

  static Behavior<Command> create(Queue<Death> deaths) {
    return Behaviors.setup(ctx -> running(ctx, new HashMap<>(), deaths));
  }

  private static Behavior<Command> running(
      ActorContext<Command> ctx, Map<ActorRef<?>, Integer> nodes, Queue<Death> deaths) {
    return Behaviors.receive(Command.class)
        .onMessage(Start.class, m -> {
          ActorRef<NodeMessage> ref = ctx.spawn(m.node(), m.name(), DispatcherSelector.sameAsParent());
          ctx.watch(ref);
          nodes.put(ref, m.index());
          m.started().set(ref);
          return Behaviors.same();
        })
        .onMessage(Stop.class, m -> {
          nodes.entrySet().removeIf(e -> {
            if (e.getValue() == m.index()) {
              ctx.unwatch(e.getKey());
              ctx.stop(e.getKey());
              return true;
            }
            return false;
          });
          return Behaviors.same();
        })
        .onSignal(ChildFailed.class, s -> died(nodes, deaths, s, s.getCause()))
        .onSignal(Terminated.class, s -> died(nodes, deaths, s, null))
        .build();
  }

  private static Behavior<Command> died(
      Map<ActorRef<?>, Integer> nodes, Queue<Death> deaths, Terminated s, Throwable cause) {
    Integer index = nodes.remove(s.getRef());
    if (index != null) {
      deaths.add(new Death(index, s.getRef(), cause));
    }
    return Behaviors.same();
  }
}
