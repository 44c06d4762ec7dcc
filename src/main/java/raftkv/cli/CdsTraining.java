package raftkv.cli;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import raftkv.api.NodeAddress;
import raftkv.client.ClientConfig;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.raft.ArteryTransport;
import raftkv.raft.RaftNode;
import raftkv.raft.core.ClusterConfig;
import raftkv.storage.InMemoryStorage;

/**
 * A training run for {@code kv_client}'s class-data sharing archive ({@code scripts/kv_client} runs
 * it once per jar with {@code -XX:ArchiveClassesAtExit}): a one-node cluster in memory, in this
 * JVM, and the client's usual commands against it, so that the archive holds the classes a real
 * run loads (remoting, serialization, picocli, JSON). Prints nothing unless given {@code
 * --verbose}; exits 0 even if a command fails, since any run makes a usable archive.
 */
public final class CdsTraining {
  private CdsTraining() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("logback.configurationFile", "logback-client.xml");
    AkkaClusterClient.warmUp();
    AkkaClusterClient.awaitWarmUp();
    ActorSystem<ClusterConfig> node =
        ActorSystem.create(
            Behaviors.receive(
                (ctx, cluster) -> {
                  ctx.spawn(
                      RaftNode.create(
                          cluster,
                          RaftSettings.defaults(),
                          new InMemoryStorage(),
                          new ArteryTransport(ctx.getSystem()),
                          Clock.systemUTC(),
                          new Random(1)),
                      NodeAddress.NODE_ACTOR_NAME);
                  return Behaviors.ignore();
                }),
            NodeAddress.SYSTEM_NAME,
            ClientConfig.forHost("127.0.0.1"));
    int port = node.address().getPort().orElseThrow();
    node.tell(new ClusterConfig(1, new Endpoint("127.0.0.1", port), List.of()));
    String p = String.valueOf(port);
    PrintStream out =
        List.of(args).contains("--verbose")
            ? System.out
            : new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    List<String[]> commands =
        List.of(
            new String[] {"--port", p, "--timeout", "5s", "put", "k", "v"},
            new String[] {"--port", p, "get", "k"},
            new String[] {"--port", p, "status"},
            new String[] {"--port", p, "--json", "shell"});
    for (String[] command : commands) {
      KvClient.run(
          command,
          new ByteArrayInputStream(
              "incr n\ncas --absent c x\nget k --stale\nstatus\n".getBytes(StandardCharsets.UTF_8)),
          out,
          out,
          s -> new AkkaClusterClient(s.nodes(), s.timeout(), s.tls()));
    }
    node.terminate();
    node.getWhenTerminated().toCompletableFuture().get();
    System.exit(0);
  }
}
