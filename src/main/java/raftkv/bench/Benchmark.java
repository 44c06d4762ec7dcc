package raftkv.bench;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.client.ClientProtocol.Consistency;
import raftkv.client.ClientProtocol.NodeStatus;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;

/**
 * The benchmark: a fresh three-node cluster of its own (processes started from this jar, as {@code
 * scripts/kvstore} starts them), driven through the client protocol by this JVM, in the etcd
 * baseline's workloads. Progress and {@code RESULT} lines go to stderr; the markdown block for
 * BENCHMARKS.md goes to stdout or {@code --out}. Every process it starts is killed by its PID when
 * it ends, also on failure or interrupt.
 */
@Command(
    name = "benchmark",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks a fresh 3-node raftkv cluster: failover, latency, throughput, CLI start.")
public final class Benchmark implements Callable<Integer> {
  static final Set<String> SECTIONS = Set.of("failover", "latency", "throughput", "cli");

  @Option(names = "--dir", required = true, paramLabel = "DIR",
      description = "Scratch directory, wiped first (only if missing, empty or made by a benchmark).")
  Path dir;

  @Option(names = "--base-port", defaultValue = "9400", paramLabel = "PORT",
      description = "Node N listens on PORT+N (default: ${DEFAULT-VALUE}).")
  int basePort;

  @Option(names = "--kills", defaultValue = "10", paramLabel = "N",
      description = "Leader kills in the failover section (default: ${DEFAULT-VALUE}).")
  int kills;

  @Option(names = "--writes", defaultValue = "2000", paramLabel = "N",
      description =
          "Sequential puts, then as many gets, in the latency section (default: ${DEFAULT-VALUE}).")
  int writes;

  @Option(names = "--throughput-ops", defaultValue = "20000", paramLabel = "N",
      description = "Operations per throughput workload (default: ${DEFAULT-VALUE}).")
  int throughputOps;

  @Option(names = "--concurrency", defaultValue = "64", paramLabel = "N",
      description = "Outstanding requests in the throughput section (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--attempt-timeout-ms", defaultValue = "50", paramLabel = "MS",
      description = "Failover writer: no answer within this long, retry at another node"
          + " (default: ${DEFAULT-VALUE}, as the etcd baseline).")
  long attemptTimeoutMs;

  @Option(names = "--load-attempt-timeout-ms", defaultValue = "2000", paramLabel = "MS",
      description = "The same for the latency and throughput clients (default: ${DEFAULT-VALUE}):"
          + " long, so that a slow answer under load is waited for, not retried.")
  long loadAttemptTimeoutMs;

  @Option(names = "--warmup-ops", defaultValue = "10000", paramLabel = "N",
      description = "Warm-up before latency and throughput: N puts and N gets with --concurrency"
          + " outstanding, N/10 sequential each, not recorded (default: ${DEFAULT-VALUE}).")
  int warmupOps;

  @Option(names = "--cli", paramLabel = "PATH",
      description = "scripts/kv_client, timed in the cli section (default: scripts/kv_client).")
  Path cli;

  @Option(names = "--cli-runs", defaultValue = "10", paramLabel = "N",
      description = "Timed CLI runs (default: ${DEFAULT-VALUE}).")
  int cliRuns;

  @Option(names = "--sections", split = ",", paramLabel = "S",
      defaultValue = "failover,latency,throughput,cli",
      description = "Sections to run, in order (default: ${DEFAULT-VALUE}).")
  List<String> sections;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Write the markdown here, not to stdout.")
  Path out;

  @Option(names = "--results", paramLabel = "FILE",
      description = "Also append the RESULT lines here (default: DIR/results.txt).")
  Path results;

  @Option(names = "--jar", paramLabel = "JAR",
      description = "The jar to run nodes from (default: this one).")
  Path jar;

  private final PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);

  public static void main(String[] args) {
    // Akka's few log lines go to stderr (logback-client.xml): stdout holds only the markdown.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-client.xml");
    }
    System.exit(new CommandLine(new Benchmark()).execute(args));
  }

  @Override
  public Integer call() {
    for (String s : sections) {
      if (!SECTIONS.contains(s)) {
        err.println(
            "benchmark: unknown section '" + s + "'; known: failover, latency, throughput, cli");
        return 2;
      }
    }
    if (kills < 1 || writes < 1 || throughputOps < 1 || concurrency < 1 || cliRuns < 1
        || attemptTimeoutMs < 1 || loadAttemptTimeoutMs < 1 || warmupOps < 1) {
      err.println("benchmark: every count and timeout must be positive");
      return 2;
    }
    try {
      dir = dir.toAbsolutePath().normalize();
      BenchDir.prepare(dir);
    } catch (BenchDir.NotABenchDir e) {
      err.println("benchmark: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("benchmark: cannot prepare " + dir + ": " + e);
      return 1;
    }
    try {
      String markdown = runAll();
      if (out != null) {
        Files.writeString(out, markdown, StandardCharsets.UTF_8);
      } else {
        PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        stdout.print(markdown);
        stdout.flush();
      }
      return 0;
    } catch (IllegalStateException e) {
      // What the benchmark saw go wrong (a port taken, no leader, a node that did not catch up).
      err.println("benchmark: failed: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      err.println("benchmark: failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  private void progress(String line) {
    err.println(line);
  }

  private String runAll() throws Exception {
    Path nodeJar = jar != null ? jar.toAbsolutePath() : ownJar();
    List<String> nodeOptions = extraJvmOptions();
    NodeCluster cluster = new NodeCluster(dir, nodeJar, basePort, 3, nodeOptions);
    cluster.checkPortsFree();
    Path cliPath = cli != null ? cli : Path.of("scripts", "kv_client");
    CliTiming cliTiming =
        new CliTiming(cliPath, dir.resolve("logs").resolve("cli.log"), this::progress);
    Thread cleanup =
        new Thread(
            () -> {
              cliTiming.close();
              cluster.close();
            },
            "benchmark-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    Report report =
        new Report(err, results != null ? results : dir.resolve("results.txt"), setup(nodeOptions));
    try (BenchClient client = new BenchClient()) {
      for (int id : cluster.ids()) {
        cluster.start(id);
      }
      progress("started nodes on ports " + (basePort + 1) + "-" + (basePort + 3) + " from " + nodeJar
          + "; data and logs under " + dir);
      NodeStatus leader = Failover.waitHealthy(cluster, client, null);
      progress("leader: n" + leader.id() + " in term " + leader.term());
      boolean warm = false;
      for (String section : sections) {
        switch (section) {
          case "failover" -> failover(cluster, client, report, runId);
          case "latency" -> {
            warm = warmUp(cluster, client, runId, warm);
            latency(cluster, client, report, runId);
          }
          case "throughput" -> {
            warm = warmUp(cluster, client, runId, warm);
            throughput(cluster, client, report, runId);
          }
          case "cli" -> cli(cluster, client, cliPath, cliTiming, report);
          default -> throw new IllegalStateException(section);
        }
      }
    } finally {
      cliTiming.close();
      cluster.close();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // Shutting down already: the hook runs anyway.
      }
    }
    return report.markdown();
  }


  private void failover(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    progress("failover: " + kills + " kills of the leader under one sequential writer");
    Failover f =
        new Failover(cluster, client, Duration.ofMillis(attemptTimeoutMs), "bench-failover-" + runId,
            this::progress, report::add);
    report.add(f.run(kills));
  }

  /** Fills the key space and exercises every path once, unrecorded; once per run. */
  private boolean warmUp(NodeCluster cluster, BenchClient client, String runId, boolean done)
      throws Exception {
    if (done) {
      return true;
    }
    int puts = Math.max(Workload.KEYSPACE, warmupOps); // every key gets a value for the gets
    int seq = Math.max(1, warmupOps / 10);
    progress("warm-up (not recorded): " + puts + " puts and " + warmupOps + " linearizable gets with "
        + concurrency + " outstanding, " + seq + " sequential puts and gets");
    Load load = new Load(cluster);
    load.concurrent("warm-up", "warm-up", sessions(cluster, client, "bench-warm-" + runId, false),
        puts, (s, i) -> s.put(Workload.key(i), Workload.VALUE));
    load.concurrent("warm-up", "warm-up", sessions(cluster, client, "bench-warm-get-" + runId, false),
        warmupOps, (s, i) -> s.get(Workload.key(i), Consistency.LINEARIZABLE));
    Session s = session(cluster, client, "bench-warm-seq-" + runId, leaderOrFirst(cluster, client));
    load.sequential("warm-up", "warm-up", s, seq, (x, i) -> x.put(Workload.key(i), Workload.VALUE));
    load.sequential("warm-up", "warm-up", s, seq,
        (x, i) -> x.get(Workload.key(i), Consistency.LINEARIZABLE));
    return true;
  }

  private void latency(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    Load load = new Load(cluster);
    Session s = session(cluster, client, "bench-latency-" + runId, leaderOrFirst(cluster, client));
    progress("latency: " + writes + " sequential puts");
    Load.Outcome put =
        load.sequential("put-seq", "put, 1 client sequential", s, writes,
            (x, i) -> x.put(Workload.key(i), Workload.VALUE));
    report.add(put);
    progress("latency: " + writes + " sequential linearizable gets");
    report.add(
        load.sequential("get-lin-seq", "linearizable get, 1 client sequential", s, writes,
            (x, i) -> x.get(Workload.key(i), Consistency.LINEARIZABLE)));
    // Not asked for, but the floor under the other two: one node answers from its own state.
    progress("latency: " + writes + " sequential stale gets (at the leader)");
    report.add(
        load.sequential("get-stale-seq", "stale get, 1 client sequential (leader)", s, writes,
            (x, i) -> x.get(Workload.key(i), Consistency.STALE)));
  }

  private void throughput(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    Load load = new Load(cluster);
    String n = concurrency + " outstanding";
    progress("throughput: " + throughputOps + " puts, " + n);
    report.add(
        load.concurrent("put-conc", "put, " + n,
            sessions(cluster, client, "bench-put-" + runId, false), throughputOps,
            (s, i) -> s.put(Workload.key(i), Workload.VALUE)));
    progress("throughput: " + throughputOps + " linearizable gets, " + n);
    report.add(
        load.concurrent("get-lin-conc", "linearizable get, " + n,
            sessions(cluster, client, "bench-get-" + runId, false), throughputOps,
            (s, i) -> s.get(Workload.key(i), Consistency.LINEARIZABLE)));
    progress("throughput: " + throughputOps + " stale gets, " + n + ", spread over the nodes");
    report.add(
        load.concurrent("get-stale-conc", "stale get, " + n + " (all nodes)",
            sessions(cluster, client, "bench-stale-" + runId, true), throughputOps,
            (s, i) -> s.get(Workload.key(i), Consistency.STALE)));
  }

  private void cli(
      NodeCluster cluster, BenchClient client, Path cliPath, CliTiming timing, Report report)
      throws Exception {
    if (!Files.isExecutable(cliPath)) {
      progress("cli: skipped: " + cliPath + " is not an executable file (give --cli)");
      report.note("CLI: skipped (" + cliPath + " not found).");
      return;
    }
    Endpoint node = leaderOrFirst(cluster, client);
    progress("cli: " + cliRuns + " timed runs of kv_client against " + node);
    List<Double> ms = timing.run(node, cliRuns);
    report.add(new Report.CliOutcome("kv_client --port " + node.port() + " get k", ms));
  }

  /**
   * {@code concurrency} sessions with client ids of their own: all starting at the leader, or
   * spread over the nodes ({@code spread}, for stale reads, which any node answers).
   */
  private List<Session> sessions(
      NodeCluster cluster, BenchClient client, String prefix, boolean spread)
      throws InterruptedException {
    Endpoint leader = leaderOrFirst(cluster, client);
    List<Endpoint> nodes = cluster.endpoints();
    List<Session> list = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      Endpoint first = spread ? nodes.get(i % nodes.size()) : leader;
      list.add(session(cluster, client, prefix + "-" + i, first));
    }
    return list;
  }

  private Session session(NodeCluster cluster, BenchClient client, String clientId, Endpoint first) {
    return new Session(
        client, cluster.endpoints(), first, clientId, Duration.ofMillis(loadAttemptTimeoutMs),
        Duration.ofSeconds(30));
  }

  private static Endpoint leaderOrFirst(NodeCluster cluster, BenchClient client)
      throws InterruptedException {
    return Failover.waitHealthy(cluster, client, null).endpoint();
  }

  /** The jar this class was loaded from. */
  private static Path ownJar() throws URISyntaxException {
    Path p =
        Path.of(Benchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!Files.isRegularFile(p) || !p.toString().endsWith(".jar")) {
      throw new IllegalStateException(
          "not running from a jar (" + p + "): give the shaded jar with --jar");
    }
    return p;
  }

  /** RAFTKV_JAVA_OPTS, which scripts/kvstore also adds to a node's JVM. */
  private static List<String> extraJvmOptions() {
    String opts = System.getenv("RAFTKV_JAVA_OPTS");
    if (opts == null || opts.isBlank()) {
      return List.of();
    }
    return List.of(opts.trim().split("\\s+"));
  }

  private String setup(List<String> nodeOptions) {
    RaftSettings rs = RaftSettings.fromConfig(ConfigFactory.load());
    String timing =
        String.format(
            Locale.ROOT,
            "election timeout %d-%d ms, heartbeat %d ms",
            rs.electionTimeoutMin().toMillis(), rs.electionTimeoutMax().toMillis(),
            rs.heartbeatInterval().toMillis());
    return "raftkv: 3 nodes on 127.0.0.1 (ports " + (basePort + 1) + "-" + (basePort + 3)
        + "), fsync on, " + timing
        + (nodeOptions.isEmpty() ? "" : ", node JVM options `" + String.join(" ", nodeOptions) + "`")
        + "; one load-generator JVM speaking the client protocol. Keys of 16 B over "
        + String.format(Locale.ROOT, "%,d", Workload.KEYSPACE)
        + " keys, values of 100 B. Writes and linearizable reads go to the leader (following"
        + " not_leader hints), stale reads to all three nodes. Sequential: " + writes
        + " ops each after a warm-up; " + concurrency + " outstanding: "
        + String.format(Locale.ROOT, "%,d", throughputOps) + " ops each, " + concurrency
        + " clients with a client id each.";
  }
}
