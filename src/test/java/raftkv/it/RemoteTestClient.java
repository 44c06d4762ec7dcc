package raftkv.it;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.NodeAddress;
import raftkv.api.Op;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.raft.RaftNode;

/**
 * A bare client for tests against node processes: one request to one node, no retries, so the test
 * sees exactly what that node answers. The node is looked up afresh for every request (a cached
 * reference would go stale when the node restarts).
 */
public final class RemoteTestClient implements AutoCloseable {
  private final ActorSystem<Void> system;

  public RemoteTestClient() {
    this.system =
        ActorSystem.create(
            Behaviors.empty(),
            NodeAddress.SYSTEM_NAME,
            ConfigFactory.parseString(
                    "akka.remote.artery.canonical.port = 0\nakka.loglevel = WARNING\n"
                        + "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off")
                .withFallback(ConfigFactory.parseResources("application.conf"))
                .withFallback(ConfigFactory.defaultReference())
                .resolve());
  }

  private <T> Optional<T> ask(Endpoint node, Function<ActorRef<T>, NodeMessage> request, Duration timeout) {
    try {
      akka.actor.ActorRef classic =
          NodeAddress.select(Adapter.toClassic(system), node)
              .resolveOne(timeout)
              .toCompletableFuture()
              .get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
      ActorRef<NodeMessage> ref = Adapter.toTyped(classic);
      CompletionStage<T> answer =
          AskPattern.ask(ref, request::apply, timeout, system.scheduler());
      return Optional.of(answer.toCompletableFuture().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS));
    } catch (Exception e) {
      return Optional.empty(); // unreachable, not up yet, or no answer in time
    }
  }

  public Optional<NodeStatus> status(Endpoint node, Duration timeout) {
    return ask(node, ClientProtocol.GetStatus::new, timeout);
  }

  /** A write; the client's registration goes first until one was answered ok. */
  public Optional<Reply> write(Endpoint node, String clientId, long seq, Op op, Duration timeout) {
    if (!registered.contains(clientId)) {
      Optional<Reply> r = ask(node, to -> new ClientProtocol.Register(clientId, to), timeout);
      if (r.isPresent() && r.get().result().ok()) {
        registered.add(clientId);
      }
    }
    return ask(node, r -> new ClientProtocol.Write(clientId, seq, op, r), timeout);
  }

  private final java.util.Set<String> registered = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public Optional<Reply> read(Endpoint node, String key, ClientProtocol.Consistency c, Duration timeout) {
    return ask(node, r -> new ClientProtocol.Read(key, c, r), timeout);
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort
    }
  }
}
