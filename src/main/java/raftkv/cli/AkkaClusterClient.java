package raftkv.cli;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.ErrorCode;
import raftkv.api.NodeAddress;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.client.ClientActor;
import raftkv.client.ClientActor.ClusterStatus;
import raftkv.client.ClientConfig;
import raftkv.common.Endpoint;
import raftkv.common.TlsSettings;

/**
 * A {@link ClusterClient} backed by an ActorSystem whose guardian is a {@link ClientActor}. The
 * system starts on first use (a request refused client-side never starts one): plain remoting on an
 * ephemeral port, never joining any cluster, logging only warnings.
 */
final class AkkaClusterClient implements ClusterClient {

  /** On top of the client's own timeout, in case the actor itself fails to answer. */
  private static final Duration ASK_SLACK = Duration.ofSeconds(10);

  /** How long the TLS probe of one node may take, after a request got no answer. */
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

  /** Loads logging and the configuration while the command line is parsed; see warmUp(). */
  private static volatile Thread warmUp;

  private final List<Endpoint> nodes;
  private final Duration timeout;
  private final Config tls;
  private Config config;
  private ActorSystem<ClientActor.Command> system;

  /**
   * Starts loading what every ActorSystem start needs and no argument changes (logback, the
   * parsed {@code application.conf} and {@code reference.conf}, which Typesafe Config caches) on
   * a second thread, so that it overlaps the parsing of the command line. The system waits for it:
   * logging must be configured before Akka's threads log, or SLF4J reports replayed calls.
   */
  static void warmUp() {
    Thread t =
        new Thread(
            () -> {
              LoggerFactory.getILoggerFactory();
              ConfigFactory.load();
            },
            "kv-client-warm-up");
    t.setDaemon(true);
    t.start();
    warmUp = t;
  }

  /** {@code tls}: {@link TlsSettings#forDir} for {@code --tls-dir}, or empty. */
  AkkaClusterClient(List<Endpoint> nodes, Duration timeout, Config tls) {
    this.nodes = List.copyOf(nodes);
    this.timeout = timeout;
    this.tls = tls;
  }


  /**
   * The address nodes can reach us at: loopback for nodes on loopback, otherwise the local
   * interface the route to the first remote node leaves through (a UDP connect sends nothing).
   */
  static String localHostname(List<Endpoint> nodes) {
    for (Endpoint e : nodes) {
      InetAddress address;
      try {
        address = InetAddress.getByName(e.host());
      } catch (UnknownHostException ex) {
        throw new IllegalArgumentException("unknown host " + e.host());
      }
      if (!address.isLoopbackAddress()) {
        try (DatagramSocket probe = new DatagramSocket()) {
          probe.connect(address, e.port());
          return probe.getLocalAddress().getHostAddress();
        } catch (IOException ex) {
          throw new UncheckedIOException("no route to " + e, ex);
        }
      }
    }
    return "127.0.0.1";
  }

  @Override
  public Result register(String clientId) {
    return diagnosed(ask(
        replyTo -> new ClientActor.Register(clientId, replyTo),
        () ->
            Result.error(
                ErrorCode.TIMEOUT,
                "outcome unknown: the client got no answer; the session may or may not have been"
                    + " registered")));
  }

  @Override
  public Result write(String clientId, long seq, Op op) {
    return diagnosed(ask(
        replyTo -> new ClientActor.Write(clientId, seq, op, replyTo),
        () ->
            Result.error(
                ErrorCode.TIMEOUT,
                "outcome unknown: the client got no answer; the write may or may not have been"
                    + " applied; retry with --client-id "
                    + clientId
                    + " --seq "
                    + seq)));
  }

  @Override
  public Result read(String key, Consistency consistency) {
    return diagnosed(ask(
        replyTo -> new ClientActor.Read(key, consistency, replyTo),
        () -> Result.error(ErrorCode.TIMEOUT, "the client got no answer")));
  }

  /**
   * A request that got no answer (a timeout, no node reachable), said more clearly when TLS is
   * why: every node refused the handshake, so none received the request.
   */
  private Result diagnosed(Result r) {
    if (r.ok() || (r.error() != ErrorCode.TIMEOUT && r.error() != ErrorCode.UNAVAILABLE)) {
      return r;
    }
    return tlsFailure()
        .map(why -> Result.error(ErrorCode.UNAVAILABLE, "TLS: " + why + "; nothing was sent"))
        .orElse(r);
  }

  @Override
  public Optional<String> tlsFailure() {
    if (config == null) {
      return Optional.empty(); // nothing was tried
    }
    Optional<TlsSettings> settings = TlsSettings.fromConfig(config, System.getenv());
    if (settings.isEmpty()) {
      for (Endpoint node : nodes) {
        if (!TlsProbe.speaksTls(node, PROBE_TIMEOUT)) {
          return Optional.empty();
        }
      }
      return !nodes.isEmpty()
          ? Optional.of("the nodes require TLS and this client has none: give --tls-dir DIR (or set RAFTKV_TLS_DIR)")
          : Optional.empty();
    }
    SSLContext context = settings.get().sslContext();
    String first = null;
    for (Endpoint node : nodes) {
      TlsProbe.Probe p = TlsProbe.probe(context, node, PROBE_TIMEOUT);
      if (p.reached() && p.refusal().isEmpty()) {
        return Optional.empty(); // this one accepts us: not a TLS problem
      }
      first = first == null ? p.refusal().orElse(null) : first;
    }
    return Optional.ofNullable(first); // every node that answered refused
  }

  @Override
  public ScanReply scan(
      String prefix, String after, int limit, boolean keysOnly, Consistency consistency) {
    return ask(
        replyTo -> new ClientActor.Scan(prefix, after, limit, keysOnly, consistency, replyTo),
        () -> ScanReply.failed(Result.error(ErrorCode.TIMEOUT, "the client got no answer")));
  }

  @Override
  public SnapshotChunkReply readSnapshot(Long cursorId, long seq) {
    return ask(
        replyTo -> new ClientActor.ReadSnapshot(cursorId, seq, replyTo),
        () -> SnapshotChunkReply.failed(Result.error(ErrorCode.TIMEOUT, "the client got no answer")));
  }

  @Override
  public ClusterStatus status() {
    return ask(
        ClientActor.Status::new,
        () ->
            new ClusterStatus(
                nodes.stream().map(e -> new ClientActor.NodeView(e, null)).toList()));
  }

  private <T> T ask(
      Function<akka.actor.typed.ActorRef<T>, ClientActor.Command> message,
      java.util.function.Supplier<T> onNoAnswer) {
    ActorSystem<ClientActor.Command> s = system();
    CompletionStage<T> answer =
        AskPattern.ask(s, message::apply, timeout.plus(ASK_SLACK), s.scheduler());
    try {
      return answer.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return onNoAnswer.get();
    } catch (ExecutionException e) {
      return onNoAnswer.get();
    }
  }

  private ActorSystem<ClientActor.Command> system() {
    if (system == null) {
      awaitWarmUp();
      config = ClientConfig.forHost(localHostname(nodes), tls);
      system = ActorSystem.create(ClientActor.create(nodes, timeout), NodeAddress.SYSTEM_NAME, config);
    }
    return system;
  }

  static void awaitWarmUp() {
    Thread t = warmUp;
    if (t == null) {
      LoggerFactory.getILoggerFactory();
      return;
    }
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (system == null) {
      return;
    }
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Exiting anyway: the JVM ends with us.
    }
  }
}
