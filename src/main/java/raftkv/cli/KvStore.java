package raftkv.cli;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import raftkv.api.NodeAddress;
import raftkv.check.CheckHistory;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.common.TlsSettings;
import raftkv.http.HttpServer;
import raftkv.http.HttpSettings;
import raftkv.metrics.PrometheusMetrics;
import raftkv.raft.ArteryTransport;
import raftkv.raft.RaftNode;
import raftkv.raft.core.ClusterConfig;
import raftkv.storage.RocksDbStorage;
import raftkv.storage.StorageException;

/**
 * Runs one node: {@code kvstore --id 1 --port 9001 --peers 9002,9003}. As the jar's entry point it
 * also runs {@code kvstore check HISTORY}, the linearizability checker ({@link CheckHistory}), and
 * {@code kvstore restore FILE ...}, which makes a data directory from a backup ({@link Restore}).
 *
 * <p>Everything that can be checked is checked before Akka starts, and each failure is one line on
 * stderr: a bad command line exits 2 (with the usage), anything else 1. Then the node runs until
 * SIGTERM (exit 0, after a coordinated shutdown) or a failure (exit 1): a storage failure, or Akka
 * terminating the system. Nothing in the data directory is ever deleted.
 */
@Command(
    name = "kvstore",
    sortOptions = false,
    versionProvider = KvStore.Version.class,
    description = "Runs one node of a raftkv cluster.",
    footer = {
      "",
      "A peer is PORT (on --host) or HOST:PORT. Timing and limits have their",
      "defaults in the jar's reference.conf; override them in conf/application.conf",
      "(the distribution) or with JVM options such as -Draftkv.heartbeat-interval=30ms",
      "(in RAFTKV_JAVA_OPTS for scripts/kvstore and bin/kvstore).",
      "",
      "The HTTP API (--http-port) serves /v1/kv/KEY, /v1/sessions, /v1/status,",
      "/metrics (Prometheus), /health and /ready; see the README.",
      "",
      "With --tls-dir (or raftkv.tls) peers talk TLS with mutual authentication",
      "and the HTTP API is HTTPS with client certificates; see the README's TLS.",
      "",
      "kvstore check HISTORY checks a history file for linearizability (check --help).",
      "kvstore restore FILE --id N --peers ... makes a data directory from a backup",
      "(kv_client snapshot save FILE); see restore --help."
    })
public final class KvStore {
  /**
   * The node's logger, made on first use: {@code kvstore restore} chooses the logging set-up (its
   * stdout holds only its result) before anything touches SLF4J.
   */
  private static final class Log {
    static final Logger log = LoggerFactory.getLogger(KvStore.class);
  }

  private static Logger log() {
    return Log.log;
  }

  /** How long the coordinated shutdown waits for the node to stop before storage is closed. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(3);

  @Option(names = "--id", required = true, paramLabel = "ID", description = "This node's id, a positive integer.")
  private int id;

  @Option(names = "--port", required = true, paramLabel = "PORT", description = "The port to listen on.")
  private int port;

  @Option(
      names = "--peers",
      split = ",",
      paramLabel = "PEER",
      description = "The other members, comma-separated. None: a one-node cluster.")
  private List<String> peers = new ArrayList<>();

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      paramLabel = "HOST",
      description = "The address peers reach this node at (default: ${DEFAULT-VALUE}).")
  private String host;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "The HTTP API's port, on --host (default: --port + 1000; 0: no HTTP API).")
  private Integer httpPort;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "The node's store (default: data/node-ID).")
  private String dataDir;

  @Option(
      names = "--tls-dir",
      paramLabel = "DIR",
      defaultValue = "${env:RAFTKV_TLS_DIR}",
      description =
          "TLS for peers and HTTPS, with DIR/node-ID.p12, DIR/truststore.p12 and DIR/password"
              + " (as scripts/dev-certs.sh DIR makes them). Default: $RAFTKV_TLS_DIR, else the"
              + " raftkv.tls settings (off).")
  private String tlsDir;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  private boolean help;

  @Option(
      names = {"-V", "--version"},
      versionHelp = true,
      description = "Print the version, nearest tag and commit, and exit.")
  private boolean version;

  private KvStore() {}

  public static void main(String[] args) {
    Optional<String> badFormat = logFormatError(System.getenv("RAFTKV_LOG_FORMAT"));
    if (badFormat.isPresent()) {
      System.err.println("kvstore: " + badFormat.get());
      System.exit(2);
    }
    if (System.getProperty("logback.configurationFile") == null) {
      if (args.length > 0 && args[0].equals("restore")) {
        // As kv_client's: stdout holds only the result; warnings go to stderr.
        System.setProperty("logback.configurationFile", "logback-client.xml");
      } else if ("json".equals(System.getenv("RAFTKV_LOG_FORMAT"))) {
        System.setProperty("logback.configurationFile", "logback-json.xml");
      }
    }
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Why {@code RAFTKV_LOG_FORMAT} cannot be used, if it cannot: {@code text} (logback.xml) and
   * {@code json} (logback-json.xml) are the formats; a typo must not pass for the default.
   */
  static Optional<String> logFormatError(String format) {
    if (format == null || format.equals("text") || format.equals("json")) {
      return Optional.empty();
    }
    return Optional.of("RAFTKV_LOG_FORMAT is '" + format + "': text (the default) or json");
  }

  /**
   * Runs the node and returns the exit status once it has stopped, or at once if it cannot start;
   * or, with {@code check} first, runs the checker and returns its status.
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals("check")) {
      return CheckHistory.run(Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("restore")) {
      return Restore.run(Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    return run(args, out, err, true);
  }

  /** {@code checkPort} false leaves the port check to Akka's bind (for tests of that path). */
  static int run(String[] args, PrintStream out, PrintStream err, boolean checkPort) {
    KvStore options = new KvStore();
    CommandLine commandLine = new CommandLine(options);
    try {
      commandLine.parseArgs(args);
      if (commandLine.isUsageHelpRequested()) {
        commandLine.usage(out, CommandLine.Help.Ansi.OFF);
        return 0;
      }
      if (commandLine.isVersionHelpRequested()) {
        commandLine.printVersionHelp(out, CommandLine.Help.Ansi.OFF);
        return 0;
      }
      return options.start(err, checkPort);
    } catch (ParameterException e) {
      err.println("kvstore: " + oneLine(e.getMessage()));
      commandLine.usage(err, CommandLine.Help.Ansi.OFF);
      return 2;
    } catch (Failure e) {
      err.println("kvstore: " + oneLine(e.getMessage()));
      return 1;
    }
  }

  /**
   * The build's version, nearest tag and commit (both commands' {@code --version}), from the
   * {@code raftkv/version.properties} resource the build fills in: a jar built without git (from a
   * source archive) says "unknown" for the git values.
   */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      java.util.Properties p = new java.util.Properties();
      try (var in = KvStore.class.getResourceAsStream("/raftkv/version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {
        "raftkv "
            + value(p, "version")
            + " (tag "
            + value(p, "tag")
            + ", commit "
            + value(p, "commit")
            + ", "
            + value(p, "describe")
            + ")"
      };
    }

    /** A value the build left unfilled (no git) or empty (no tag yet) is "unknown" or "none". */
    private static String value(java.util.Properties p, String key) {
      String v = p.getProperty(key, "").strip();
      if (v.startsWith("${")) {
        return "unknown";
      }
      return v.isEmpty() ? "none" : v;
    }
  }

  /** A failure that is not the command line's fault: reported in one line, exit status 1. */
  private static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  private ParameterException usageError(String message) {
    return new ParameterException(new CommandLine(this), message);
  }

  private int start(PrintStream err, boolean checkPort) {
    ClusterConfig cluster = clusterConfig();
    int http = httpPort(cluster.self());
    if (checkPort) {
      checkPortFree(cluster.self());
      if (http > 0) {
        try {
          checkPortFree(new Endpoint(host, http));
        } catch (Failure f) {
          throw new Failure("HTTP " + f.getMessage() + " (--http-port)");
        }
      }
    }
    Config config = config(cluster.self(), tlsLayer());
    RaftSettings settings;
    HttpSettings httpSettings;
    Optional<TlsSettings> tls;
    try {
      settings = RaftSettings.fromConfig(config);
      httpSettings = HttpSettings.fromConfig(config);
      tls = TlsSettings.fromConfig(config, System.getenv());
    } catch (ConfigException | IllegalArgumentException e) {
      throw new Failure("configuration: " + e.getMessage());
    }
    Optional<SSLContext> https;
    try {
      https = tls.map(TlsSettings::sslContext); // loads both stores: a bad one fails here, in one line
    } catch (IllegalArgumentException e) {
      throw new Failure(e.getMessage());
    }
    if (tls.isPresent()) {
      config = tls.get().akkaConfig().withFallback(config);
    }
    Path dir = dataDir();
    RocksDbStorage storage = openStorage(dir, cluster.selfId(), settings.stateCacheBytes());

    MDC.put("nodeId", "n" + cluster.selfId());
    if (cluster.peers().isEmpty()) {
      log().warn("No peers: a one-node cluster, whose writes are stored on this node alone");
    }
    log().info(
        "Starting node [n{}] at [{}], peers {}, data [{}]; election timeout [{}..{}) ms, heartbeat [{}] ms, pre-vote [{}], check-quorum [{}]",
        cluster.selfId(),
        NodeAddress.nodePath(cluster.self()),
        cluster.peers(),
        dir.toAbsolutePath().normalize(),
        settings.electionTimeoutMin().toMillis(),
        settings.electionTimeoutMax().toMillis(),
        settings.heartbeatInterval().toMillis(),
        settings.preVote() ? "on" : "off",
        settings.checkQuorum() ? "on" : "off");
    tls.ifPresentOrElse(
        t -> log().info(
            "TLS on (Artery tls-tcp and HTTPS, client certificates required): key store [{}], trust store [{}], hostname verification [{}]",
            t.keyStore(), t.trustStore(), t.hostnameVerification() ? "on" : "off"),
        () -> log().info("TLS off: plain TCP between nodes, plain HTTP"));

    PrometheusMetrics metrics = new PrometheusMetrics().withRocksDb(storage::property);
    ActorSystem<NodeGuardian.Command> system;
    try {
      system =
          ActorSystem.create(
              NodeGuardian.create(
                  cluster.selfId(),
                  sys ->
                      RaftNode.create(
                          cluster, settings, storage, new ArteryTransport(sys), Clock.systemUTC(), new Random(),
                          metrics)),
              NodeAddress.SYSTEM_NAME,
              config);
    } catch (RuntimeException e) {
      storage.close();
      if (causedBy(e, BindException.class)) {
        throw portInUse(cluster.self());
      }
      throw new Failure("cannot start Akka: " + e.getMessage());
    }
    registerShutdown(system, storage);
    if (http > 0) {
      startHttp(system, cluster, metrics, httpSettings, https, http);
    }

    system.getWhenTerminated().toCompletableFuture().join();
    storage.close(); // closed already by the shutdown task, unless it timed out
    CoordinatedShutdown.Reason reason =
        CoordinatedShutdown.get(system).getShutdownReason().orElse(CoordinatedShutdown.unknownReason());
    if (reason == CoordinatedShutdown.jvmExitReason()) {
      return 0; // SIGTERM; the shutdown task normally halts with 0 before this
    }
    if (reason == NodeGuardian.NodeFailed.INSTANCE) {
      err.println("kvstore: node n" + cluster.selfId() + " stopped after a failure; see the log");
    } else {
      // Akka ended the system itself, for example after too many failed reconnects to a peer.
      err.println("kvstore: the actor system terminated (" + reason + "); see the log");
    }
    return 1;
  }

  /** The HTTP port: given, or the Raft port + 1000; 0 for none. */
  private int httpPort(Endpoint self) {
    int p = httpPort != null ? httpPort : self.port() + 1000;
    if (httpPort == null && p > 65535) {
      throw usageError(
          "--port " + self.port() + " + 1000 is above 65535: give --http-port (0: no HTTP API)");
    }
    if (p < 0 || p > 65535) {
      throw usageError("--http-port " + p + " is outside 0-65535");
    }
    if (p == self.port()) {
      throw usageError("--http-port " + p + " is the Raft port");
    }
    return p;
  }

  /** Binds the HTTP API, or stops the node and fails in one line if it cannot. */
  private void startHttp(
      ActorSystem<NodeGuardian.Command> system,
      ClusterConfig cluster,
      PrometheusMetrics metrics,
      HttpSettings settings,
      Optional<SSLContext> https,
      int http) {
    List<Endpoint> members = new ArrayList<>(cluster.peers());
    members.add(0, cluster.self());
    try {
      HttpServer.start(system, cluster.self(), members, metrics, settings, https, host, http)
          .toCompletableFuture()
          .get(STOP_TIMEOUT.toMillis() * 3, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw httpFailed(system, http, e);
    } catch (ExecutionException | TimeoutException e) {
      throw httpFailed(system, http, e.getCause() != null ? e.getCause() : e);
    }
  }

  private Failure httpFailed(ActorSystem<NodeGuardian.Command> system, int http, Throwable why) {
    log().error("Cannot listen for HTTP on {}:{}: {}", host, http, why.toString());
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    if (causedBy(why, BindException.class)) {
      return new Failure("HTTP port " + http + " on " + host + " is already in use");
    }
    return new Failure("cannot listen for HTTP on " + host + ":" + http + ": " + why.getMessage());
  }

  private ClusterConfig clusterConfig() {
    if (id < 1) {
      throw usageError("--id must be a positive integer, not " + id);
    }
    if (port < 1 || port > 65535) {
      throw usageError("--port " + port + " is outside 1-65535");
    }
    if (host.isBlank()) {
      throw usageError("--host is empty");
    }
    InetAddress self = resolve(host);
    if (self != null && self.isAnyLocalAddress()) {
      throw usageError(
          "--host " + host + " is a wildcard address; give the address peers reach this node at");
    }
    Endpoint me = new Endpoint(host, port);
    List<Endpoint> members = new ArrayList<>();
    for (String text : peers) {
      if (text.isBlank()) {
        continue; // --peers "" is a one-node cluster
      }
      Endpoint peer;
      try {
        peer = Endpoint.parse(text, host);
      } catch (IllegalArgumentException e) {
        throw usageError("--peers: " + e.getMessage());
      }
      if (sameNode(peer, me) && !peer.equals(me)) {
        throw usageError("peer " + peer + " is this node itself (" + me + ")");
      }
      for (Endpoint earlier : members) {
        if (sameNode(peer, earlier) && !peer.equals(earlier)) {
          throw usageError("peer " + peer + " is listed twice (also as " + earlier + ")");
        }
      }
      members.add(peer);
    }
    try {
      // Checks the rest: the peer that is this node, the peer listed twice.
      return new ClusterConfig(id, me, members);
    } catch (IllegalArgumentException e) {
      throw usageError(e.getMessage());
    }
  }

  /** Same port, and hosts that name the same address (where both resolve). */
  private static boolean sameNode(Endpoint a, Endpoint b) {
    if (a.port() != b.port()) {
      return false;
    }
    if (a.host().equals(b.host())) {
      return true;
    }
    InetAddress x = resolve(a.host());
    return x != null && x.equals(resolve(b.host()));
  }

  /** The host's address, or null if it does not resolve (a peer's may resolve later). */
  private static InetAddress resolve(String host) {
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }

  /** Binds a socket where Akka will, so a taken port is one clear line rather than Akka's error. */
  private static void checkPortFree(Endpoint self) {
    InetAddress address = resolve(self.host());
    if (address == null) {
      throw new Failure("--host " + self.host() + " does not resolve");
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(address, self.port()));
    } catch (BindException e) {
      if (String.valueOf(e.getMessage()).contains("in use")) {
        throw portInUse(self);
      }
      throw new Failure("cannot listen on " + self + ": " + e.getMessage());
    } catch (IOException e) {
      throw new Failure("cannot listen on " + self + ": " + e.getMessage());
    }
  }

  private static Failure portInUse(Endpoint self) {
    return new Failure("port " + self.port() + " on " + self.host() + " is already in use");
  }

  private Path dataDir() {
    String text = dataDir != null ? dataDir : "data/node-" + id;
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw usageError("--data-dir: " + e.getMessage());
    }
  }

  private static RocksDbStorage openStorage(Path dir, int nodeId, long stateCacheBytes) {
    try {
      return RocksDbStorage.open(dir, nodeId, stateCacheBytes);
    } catch (StorageException e) {
      throw new Failure(e.getMessage()); // already one line for an operator
    } catch (LinkageError e) {
      throw new Failure("cannot load RocksDB: " + e);
    }
  }

  /** What {@code --tls-dir} says, above the rest of the configuration; empty without it. */
  private Config tlsLayer() {
    if (tlsDir == null || tlsDir.isBlank()) {
      return ConfigFactory.empty();
    }
    try {
      return TlsSettings.forDir(Path.of(tlsDir), "node-" + id + ".p12");
    } catch (InvalidPathException e) {
      throw usageError("--tls-dir: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new Failure(e.getMessage());
    }
  }

  /**
   * The node's host and port, then {@code --tls-dir}, over {@code application.conf} (and any -D
   * overrides).
   */
  private static Config config(Endpoint self, Config tls) {
    return ConfigFactory.parseMap(
            Map.of(
                "akka.remote.artery.canonical.hostname", self.host(),
                "akka.remote.artery.canonical.port", self.port(),
                "akka.remote.artery.bind.hostname", self.host(),
                "akka.remote.artery.bind.port", self.port()),
            "command line")
        .withFallback(tls)
        .withFallback(ConfigFactory.load());
  }

  /**
   * On any shutdown (SIGTERM, or the guardian after a storage failure): stop the node, then close
   * the store, while the system is still up.
   */
  private static void registerShutdown(ActorSystem<NodeGuardian.Command> system, RocksDbStorage storage) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceStop(),
        "raftkv-stop-node-close-storage",
        () ->
            AskPattern.<NodeGuardian.Command, Done>ask(
                    system, NodeGuardian.StopNode::new, STOP_TIMEOUT, system.scheduler())
                .handle(
                    (done, failure) -> {
                      if (failure != null) {
                        log().warn("Node did not stop within {} ms; closing storage anyway", STOP_TIMEOUT.toMillis());
                      }
                      storage.close(); // synchronized with the store's writes: never under one
                      log().info("Node stopped; storage closed");
                      return Done.getInstance();
                    }));
    // A JVM stopped by a signal exits 143 (128 + SIGTERM) once its hooks are done. A SIGTERM is
    // how a node is meant to be stopped, and by now everything is closed: report success.
    shutdown.addTask(
        CoordinatedShutdown.PhaseActorSystemTerminate(),
        "raftkv-exit-0-on-sigterm",
        () -> {
          if (shutdown.getShutdownReason().orElse(null) != CoordinatedShutdown.jvmExitReason()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          CompletionStage<Done> halted =
              system
                  .getWhenTerminated()
                  .thenApply(
                      terminated -> {
                        System.out.flush();
                        System.err.flush();
                        Runtime.getRuntime().halt(0);
                        return Done.getInstance();
                      });
          return halted;
        });
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String oneLine(String message) {
    return String.valueOf(message).replaceAll("\\s+", " ").strip();
  }
}
