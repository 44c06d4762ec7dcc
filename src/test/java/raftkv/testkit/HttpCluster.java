package raftkv.testkit;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.ServerBinding;
import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import raftkv.api.NodeAddress;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.http.HttpServer;
import raftkv.http.HttpSettings;
import raftkv.it.NodeProcesses;
import raftkv.metrics.PrometheusMetrics;
import raftkv.raft.ArteryTransport;
import raftkv.raft.RaftNode;
import raftkv.raft.Transport;
import raftkv.raft.core.ClusterConfig;
import raftkv.storage.InMemoryStorage;

/**
 * A real cluster in one JVM, as {@link RemoteCluster}, with each node's HTTP API on a free port of
 * 127.0.0.1 and its metrics, and Raft traffic that a test can cut: an {@link #isolate isolated}
 * node neither sends to its peers nor hears from them (client requests, and the HTTP API's
 * forwarding, still go through).
 */
public final class HttpCluster implements AutoCloseable {

  private final List<ActorSystem<ClusterConfig>> systems = new ArrayList<>();
  private final List<Endpoint> endpoints = new ArrayList<>();
  private final List<CompletableFuture<ServerBinding>> bindings = new ArrayList<>();
  private final Set<Endpoint> isolated = ConcurrentHashMap.newKeySet();

  /** Starts {@code nodes} nodes, every node's configuration overridden by {@code overrides}. */
  public static HttpCluster start(int nodes, long seed, Config overrides) {
    HttpCluster c = new HttpCluster();
    for (int i = 0; i < nodes; i++) {
      Config config = overrides.withFallback(RemoteCluster.remoteConfig(0)).resolve();
      CompletableFuture<ServerBinding> binding = new CompletableFuture<>();
      ActorSystem<ClusterConfig> system =
          ActorSystem.create(c.node(config, seed + i, binding), NodeAddress.SYSTEM_NAME, config);
      c.systems.add(system);
      c.bindings.add(binding);
      c.endpoints.add(new Endpoint("127.0.0.1", system.address().getPort().orElseThrow()));
    }
    for (int i = 0; i < nodes; i++) {
      List<Endpoint> peers = new ArrayList<>(c.endpoints);
      peers.remove(i);
      c.systems.get(i).tell(new ClusterConfig(i + 1, c.endpoints.get(i), peers));
    }
    return c;
  }

  private Behavior<ClusterConfig> node(
      Config config, long seed, CompletableFuture<ServerBinding> binding) {
    return Behaviors.receive(
        (ctx, cluster) -> {
          PrometheusMetrics metrics = new PrometheusMetrics();
          Transport artery = new ArteryTransport(ctx.getSystem());
          Endpoint self = cluster.self();
          Transport cuttable =
              (to, message) -> {
                if (!isolated.contains(self) && !isolated.contains(to)) {
                  artery.send(to, message);
                }
              };
          ctx.spawn(
              RaftNode.create(
                  cluster,
                  RaftSettings.fromConfig(config),
                  new InMemoryStorage(),
                  cuttable,
                  Clock.systemUTC(),
                  new Random(seed),
                  metrics),
              NodeAddress.NODE_ACTOR_NAME);
          List<Endpoint> members = new ArrayList<>(cluster.peers());
          members.add(0, self);
          HttpServer.start(
                  ctx.getSystem(), self, members, metrics, HttpSettings.fromConfig(config),
                  "127.0.0.1", 0)
              .whenComplete(
                  (b, failure) -> {
                    if (failure != null) {
                      binding.completeExceptionally(failure);
                    } else {
                      binding.complete(b);
                    }
                  });
          return Behaviors.ignore();
        });
  }

  public int size() {
    return systems.size();
  }

  public List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  /** The HTTP port of node {@code i} (0-based), once it is bound. */
  public int httpPort(int i) {
    try {
      return bindings.get(i).get(10, TimeUnit.SECONDS).localAddress().getPort();
    } catch (Exception e) {
      throw new IllegalStateException("node " + (i + 1) + "'s HTTP API did not bind", e);
    }
  }

  /** The index (0-based) of the node every node names as the leader, once they all agree. */
  public int leader() {
    return NodeProcesses.await("a leader every node knows", Duration.ofSeconds(20), () -> {
      Integer leaderId = null;
      for (int i = 0; i < size(); i++) {
        HttpCalls.Answer a = HttpCalls.get(httpPort(i), "/v1/status");
        if (a.status() != 200 || a.json().get("leader").isNull()) {
          return Optional.empty();
        }
        int id = a.json().get("leader").asInt();
        if (leaderId != null && leaderId != id) {
          return Optional.empty();
        }
        leaderId = id;
      }
      return Optional.of(leaderId - 1);
    });
  }

  /** Cuts node {@code i}'s Raft traffic both ways. */
  public void isolate(int i) {
    isolated.add(endpoints.get(i));
  }

  public void heal() {
    isolated.clear();
  }

  @Override
  public void close() {
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<?> s : systems) {
      try {
        s.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("node did not stop", e);
      }
    }
  }
}
