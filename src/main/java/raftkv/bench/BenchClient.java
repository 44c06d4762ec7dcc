package raftkv.bench;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.LoggerFactory;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.NodeAddress;
import raftkv.client.ClientConfig;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;

/**
 * The load generator's side of {@link ClientProtocol}: one request to one node, answered or failed
 * within a timeout, no retries (those are {@link Session}'s). An ActorSystem with plain remoting on
 * an ephemeral port, like {@code kv_client}'s.
 *
 * <p>A node's actor is resolved from its path once and the reference reused while it works; after
 * any failure (no answer in time) it is dropped and resolved afresh on the next request. A resolved
 * reference goes stale for good when the node restarts, so the benchmark also drops it whenever it
 * kills or restarts a node ({@link #forget}).
 */
final class BenchClient implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final akka.actor.ActorSystem classic;
  private final Map<Endpoint, CompletableFuture<ActorRef<NodeMessage>>> refs =
      new ConcurrentHashMap<>();

  BenchClient() {
    // Logging configured before Akka's threads log, or SLF4J reports replayed calls.
    LoggerFactory.getILoggerFactory();
    this.system = ActorSystem.create(Behaviors.empty(), NodeAddress.SYSTEM_NAME, ClientConfig.forHost(NodeCluster.HOST));
    this.classic = Adapter.toClassic(system);
  }


  /**
   * Sends {@code request} to {@code node}; fails if the node's actor cannot be resolved within
   * {@code resolveTimeout} or does not answer within {@code answerTimeout}.
   */
  CompletableFuture<Reply> request(
      Endpoint node,
      Function<ActorRef<Reply>, ClientProtocol.Request> request,
      Duration resolveTimeout,
      Duration answerTimeout) {
    return ask(node, request, resolveTimeout, answerTimeout);
  }

  CompletableFuture<NodeStatus> status(Endpoint node, Duration timeout) {
    return ask(node, ClientProtocol.GetStatus::new, timeout, timeout);
  }

  /** Every node's status, asked at once; {@code null} for a node that did not answer in time. */
  List<NodeStatus> statusAll(List<Endpoint> nodes, Duration timeout) {
    List<CompletableFuture<NodeStatus>> asked =
        nodes.stream().map(n -> status(n, timeout).exceptionally(failure -> null)).toList();
    return asked.stream().map(CompletableFuture::join).toList();
  }

  /**
   * The node that says it leads in the highest term, among those that answered (a list may hold
   * nulls), if any.
   */
  static Optional<NodeStatus> leaderOf(List<NodeStatus> statuses) {
    return statuses.stream()
        .filter(s -> s != null && "leader".equals(s.role()))
        .max(Comparator.comparingLong(NodeStatus::term));
  }

  /** Drops the reference to {@code node}: after a kill or restart, it must be resolved again. */
  void forget(Endpoint node) {
    refs.remove(node);
  }

  /** Drops every reference. */
  void forgetAll() {
    refs.clear();
  }

  private <T> CompletableFuture<T> ask(
      Endpoint node,
      Function<ActorRef<T>, ClientProtocol.Request> request,
      Duration resolveTimeout,
      Duration answerTimeout) {
    CompletableFuture<ActorRef<NodeMessage>> ref =
        refs.computeIfAbsent(node, n -> resolve(n, resolveTimeout));
    CompletableFuture<T> answer =
        ref.thenCompose(
            r ->
                AskPattern.<NodeMessage, T>ask(
                        r, replyTo -> request.apply(replyTo), answerTimeout, system.scheduler())
                    .toCompletableFuture());
    answer.whenComplete(
        (a, failure) -> {
          if (failure != null) {
            refs.remove(node, ref); // unless someone resolved it afresh meanwhile
          }
        });
    return answer;
  }

  private CompletableFuture<ActorRef<NodeMessage>> resolve(Endpoint node, Duration timeout) {
    return NodeAddress.select(classic, node)
        .resolveOne(timeout)
        .toCompletableFuture()
        .thenApply(Adapter::<NodeMessage>toTyped);
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Exiting anyway.
    }
  }
}
