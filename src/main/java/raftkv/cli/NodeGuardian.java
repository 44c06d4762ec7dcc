package raftkv.cli;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import raftkv.api.NodeAddress;
import raftkv.common.NodeMessage;
import raftkv.raft.RaftNode;
import raftkv.storage.StorageException;

/**
 * The guardian of a node's ActorSystem. It spawns the node at {@code /user/raft} on the storage
 * dispatcher, supervised, and watches it.
 *
 * <ul>
 *   <li>A {@link StorageException} stops the node: its store cannot be trusted, and a restart would
 *       only fail again. The guardian then logs one ERROR line and runs the coordinated shutdown
 *       with {@link NodeFailed}, so the process exits with status 1.
 *   <li>Any other exception restarts the node with backoff; it re-reads its state from storage.
 *   <li>{@link StopNode} (sent by the coordinated shutdown) stops the node and answers once it has
 *       stopped, so that storage is closed only after its last write.
 * </ul>
 */
public final class NodeGuardian {
  private NodeGuardian() {}

  /** The dispatcher of the node's actor, defined in the jar's {@code reference.conf}. */
  public static final String STORAGE_DISPATCHER = "raftkv-storage-dispatcher";

  static final Duration MIN_BACKOFF = Duration.ofMillis(200);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  public interface Command {}

  /** Stops the node; {@code replyTo} hears once it has stopped (at once if it already has). */
  public record StopNode(ActorRef<Done> replyTo) implements Command {}

  /** The shutdown reason when the node stopped on its own: the process exits with status 1. */
  public enum NodeFailed implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  /**
   * The guardian behavior. {@code node} builds the node's behavior from the system (which the
   * transport needs); it runs once, in the guardian's setup.
   */
  public static Behavior<Command> create(
      int nodeId, Function<ActorSystem<Void>, Behavior<NodeMessage>> node) {
    return Behaviors.withMdc(
        Command.class,
        Map.of("nodeId", "n" + nodeId),
        Behaviors.setup(
            ctx -> {
              ActorRef<NodeMessage> ref =
                  ctx.spawn(
                      supervised(node.apply(ctx.getSystem())),
                      NodeAddress.NODE_ACTOR_NAME,
                      DispatcherSelector.fromConfig(STORAGE_DISPATCHER));
              ctx.watch(ref);
              return running(ctx, ref);
            }));
  }

  /**
   * {@code node} stopped by a {@link StorageException} and restarted with backoff by any other
   * exception. The inner supervisor sees a failure first, so a StorageException never reaches the
   * restarting one. The stop is not logged here: the guardian logs it, in one line.
   */
  static <T> Behavior<T> supervised(Behavior<T> node) {
    return Behaviors.supervise(
            Behaviors.supervise(node)
                .onFailure(
                    StorageException.class, SupervisorStrategy.stop().withLoggingEnabled(false)))
        .onFailure(Exception.class, SupervisorStrategy.restartWithBackoff(MIN_BACKOFF, MAX_BACKOFF, 0.2));
  }

  private static Behavior<Command> running(ActorContext<Command> ctx, ActorRef<NodeMessage> node) {
    return Behaviors.receive(Command.class)
        .onMessage(
            StopNode.class,
            m -> {
              ctx.stop(node);
              List<ActorRef<Done>> waiting = new ArrayList<>();
              waiting.add(m.replyTo());
              return stopping(waiting);
            })
        .onSignal(
            ChildFailed.class,
            s -> nodeGone(ctx, s.getCause() instanceof StorageException e ? e.getMessage() : s.getCause().toString()))
        .onSignal(Terminated.class, s -> nodeGone(ctx, "it stopped unexpectedly"))
        .build();
  }

  /** Asked to stop the node: answers everyone who asks once it has stopped. */
  private static Behavior<Command> stopping(List<ActorRef<Done>> waiting) {
    return Behaviors.receive(Command.class)
        .onMessage(
            StopNode.class,
            m -> {
              waiting.add(m.replyTo());
              return Behaviors.same();
            })
        .onSignal(
            Terminated.class,
            s -> {
              waiting.forEach(w -> w.tell(Done.getInstance()));
              return stopped();
            })
        .build();
  }

  private static Behavior<Command> nodeGone(ActorContext<Command> ctx, String why) {
    ctx.getLog().error("Node stopped: {}; shutting down", why);
    CoordinatedShutdown.get(ctx.getSystem()).runAll(NodeFailed.INSTANCE);
    return stopped();
  }

  /** The node is gone; the system is shutting down. */
  private static Behavior<Command> stopped() {
    return Behaviors.receive(Command.class)
        .onMessage(
            StopNode.class,
            m -> {
              m.replyTo().tell(Done.getInstance());
              return Behaviors.same();
            })
        .build();
  }
}
