package raftkv.testkit;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import raftkv.api.NodeAddress;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.raft.ArteryTransport;
import raftkv.raft.RaftNode;
import raftkv.raft.core.ClusterConfig;
import raftkv.storage.InMemoryStorage;

/**
 * A real cluster in one JVM: one ActorSystem per node, talking over Artery on 127.0.0.1, each with
 * a {@link RaftNode} at {@code /user/raft} on in-memory storage. The systems bind first (port 0,
 * unless ports are given) and learn their peers after, so free ports are never guessed.
 */
public final class RemoteCluster implements AutoCloseable {

  private final List<ActorSystem<ClusterConfig>> systems = new ArrayList<>();
  private final List<Endpoint> endpoints = new ArrayList<>();

  /** application.conf with remoting on 127.0.0.1:{@code port} (0: any free port). */
  public static Config remoteConfig(int port) {
    return ConfigFactory.parseString(
            "akka.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                + "akka.remote.artery.canonical.port = "
                + port
                + "\n"
                + "akka.loglevel = INFO\n"
                + "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n")
        .withFallback(ConfigFactory.parseResources("application.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /** Starts {@code ports.size()} nodes; a port of 0 picks a free one. */
  public static RemoteCluster start(List<Integer> ports, long seed) {
    return start(ports, seed, ConfigFactory.empty());
  }

  /** As {@link #start(List, long)}, every node's configuration overridden by {@code overrides}. */
  public static RemoteCluster start(List<Integer> ports, long seed, Config overrides) {
    RemoteCluster c = new RemoteCluster();
    for (int port : ports) {
      Config config = overrides.withFallback(remoteConfig(port)).resolve();
      ActorSystem<ClusterConfig> system =
          ActorSystem.create(
              node(config, seed + c.systems.size()), NodeAddress.SYSTEM_NAME, config);
      c.systems.add(system);
      c.endpoints.add(
          new Endpoint("127.0.0.1", system.address().getPort().orElseThrow()));
    }
    for (int i = 0; i < c.systems.size(); i++) {
      List<Endpoint> peers = new ArrayList<>(c.endpoints);
      peers.remove(i);
      c.systems.get(i).tell(new ClusterConfig(i + 1, c.endpoints.get(i), peers));
    }
    return c;
  }

  public static RemoteCluster start(int nodes, long seed) {
    return start(Collections.nCopies(nodes, 0), seed);
  }

  /** A guardian that spawns the node as {@code /user/raft} once it knows the cluster. */
  private static Behavior<ClusterConfig> node(Config config, long seed) {
    return Behaviors.receive(
        (ctx, cluster) -> {
          ctx.spawn(
              RaftNode.create(
                  cluster,
                  RaftSettings.fromConfig(config),
                  new InMemoryStorage(),
                  new ArteryTransport(ctx.getSystem()),
                  Clock.systemUTC(),
                  new Random(seed)),
              NodeAddress.NODE_ACTOR_NAME);
          return Behaviors.ignore();
        });
  }

  public List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  /** Stops the node at {@code e} (its whole ActorSystem, as a killed process). */
  public void kill(Endpoint e) {
    stop(systems.get(endpoints.indexOf(e)));
  }

  private static void stop(ActorSystem<?> system) {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not stop", e);
    }
  }

  @Override
  public void close() {
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<?> s : systems) {
      stop(s);
    }
  }
}
