package raftkv.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
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
        "Benchmarks a fresh 3-node raftkv cluster: failover, latency, throughput, curves of"
            + " throughput against outstanding requests and value size, CLI start, and a data set"
            + " larger than the nodes' heap.")
public final class Benchmark implements Callable<Integer> {
  static final List<String> SECTIONS =
      List.of("failover", "latency", "throughput", "http", "curves", "cli", "large");

  @Option(names = "--dir", required = true, paramLabel = "DIR",
      description = "Scratch directory, wiped first (only if missing, empty or made by a benchmark).")
  Path dir;

  @Option(names = "--base-port", defaultValue = "9400", paramLabel = "PORT",
      description = "Node N listens on PORT+N (default: ${DEFAULT-VALUE}).")
  int basePort;

  @Option(names = "--kills", defaultValue = "30", paramLabel = "N",
      description = "Leader kills in the failover section (default: ${DEFAULT-VALUE}).")
  int kills;

  @Option(names = "--writes", defaultValue = "5000", paramLabel = "N",
      description =
          "Sequential puts, then as many gets, in the latency section (default: ${DEFAULT-VALUE}).")
  int writes;

  @Option(names = "--throughput-ops", defaultValue = "50000", paramLabel = "N",
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

  /**
   * Long enough for the JIT: after 10,000 ops the nodes' C2 compiler threads were still a third of
   * their CPU through the throughput workloads, so those measured warm-up, not steady state (2026-12-02,
   * BENCHMARKS.md).
   */
  @Option(names = "--warmup-ops", defaultValue = "150000", paramLabel = "N",
      description = "Warm-up before latency and throughput: N puts and N gets with --concurrency"
          + " outstanding, N/10 sequential each, not recorded (default: ${DEFAULT-VALUE}: the"
          + " nodes' JIT is still compiling after fewer).")
  int warmupOps;

  @Option(names = "--cli", paramLabel = "PATH",
      description = "scripts/kv_client, timed in the cli section (default: scripts/kv_client).")
  Path cli;

  @Option(names = "--shell-writers", defaultValue = "5", paramLabel = "N",
      description = "kv_client --json shell writers beside the benchmark's own in the failover"
          + " section, each timed from the kill to its first acknowledged write (default:"
          + " ${DEFAULT-VALUE}; 0: none).")
  int shellWriters;

  @Option(names = "--cli-runs", defaultValue = "10", paramLabel = "N",
      description = "Timed CLI runs (default: ${DEFAULT-VALUE}).")
  int cliRuns;

  @Option(names = "--curve-outstanding", split = ",", paramLabel = "N",
      defaultValue = "1,4,16,64,256",
      description = "Points of the outstanding-requests curve (default: ${DEFAULT-VALUE}).")
  List<Integer> curveOutstanding;

  @Option(names = "--curve-value-bytes", split = ",", paramLabel = "B",
      defaultValue = "100,1024,65536,1048576",
      description = "Points of the value-size curve (default: ${DEFAULT-VALUE}).")
  List<Integer> curveValueBytes;

  @Option(names = "--curve-value-outstanding", defaultValue = "16", paramLabel = "N",
      description = "Outstanding requests on the value-size curve (default: ${DEFAULT-VALUE}).")
  int curveValueOutstanding;

  @Option(names = "--curve-seconds", defaultValue = "10", paramLabel = "S",
      description = "How long each point of a curve runs (default: ${DEFAULT-VALUE}).")
  double curveSeconds;

  @Option(names = "--large-mib", defaultValue = "2048", paramLabel = "MIB",
      description = "The large section's data set (default: ${DEFAULT-VALUE}).")
  long largeMib;

  @Option(names = "--large-heap-mib", defaultValue = "256", paramLabel = "MIB",
      description = "The large section's node heap, -Xmx (default: ${DEFAULT-VALUE}).")
  int largeHeapMib;

  @Option(names = "--large-value-bytes", defaultValue = "1048576", paramLabel = "B",
      description = "The large section's value size (default: ${DEFAULT-VALUE}).")
  int largeValueBytes;

  @Option(names = "--large-outstanding", defaultValue = "4", paramLabel = "N",
      description = "The large section's writers (default: ${DEFAULT-VALUE}).")
  int largeOutstanding;

  @Option(names = "--large-sample", defaultValue = "64", paramLabel = "N",
      description = "Values the large section reads back and checks (default: ${DEFAULT-VALUE}).")
  int largeSample;

  @Option(names = "--sections", split = ",", paramLabel = "S",
      defaultValue = "failover,latency,throughput,http,curves,cli",
      description = "Sections to run, in order, of failover, latency, throughput, http, curves,"
          + " cli, large (default: ${DEFAULT-VALUE}).")
  List<String> sections;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Write every figure here as JSON (default: DIR/results.json).")
  Path json;

  @Option(names = "--svg", paramLabel = "FILE",
      description = "Draw the failover series here (default: DIR/failover.svg).")
  Path svg;

  @Option(names = "--commit", defaultValue = "unknown", paramLabel = "ID",
      description = "The commit measured, for the JSON document.")
  String commit;

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
        err.println("benchmark: unknown section '" + s + "'; known: " + String.join(", ", SECTIONS));
        return 2;
      }
    }
    if (kills < 1 || writes < 1 || throughputOps < 1 || concurrency < 1 || cliRuns < 1
        || attemptTimeoutMs < 1 || loadAttemptTimeoutMs < 1 || warmupOps < 1
        || curveValueOutstanding < 1 || !(curveSeconds > 0) || largeMib < 1 || largeHeapMib < 16
        || largeValueBytes < 1 || largeValueBytes > raftkv.api.Limits.MAX_VALUE_BYTES
        || largeOutstanding < 1 || largeSample < 1
        || curveOutstanding.stream().anyMatch(n -> n < 1)
        || curveValueBytes.stream().anyMatch(n -> n < 1 || n > raftkv.api.Limits.MAX_VALUE_BYTES)) {
      err.println("benchmark: every count, size and timeout must be positive (values at most 1 MiB,"
          + " a heap at least 16 MiB)");
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
    NodeCluster largeCluster = largeCluster(nodeJar, nodeOptions);
    if (sections.contains("large")) {
      largeCluster.checkPortsFree();
    }
    Path cliPath = cli != null ? cli : Path.of("scripts", "kv_client");
    CliTiming cliTiming =
        new CliTiming(cliPath, dir.resolve("logs").resolve("cli.log"), this::progress);
    Thread cleanup =
        new Thread(
            () -> {
              cliTiming.close();
              cluster.close();
              largeCluster.close();
            },
            "benchmark-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    Report report =
        new Report(err, results != null ? results : dir.resolve("results.txt"), setup(cluster));
    ObjectNode meta = meta(cluster, largeCluster);
    try (BenchClient client = new BenchClient()) {
      List<String> onMain = sections.stream().filter(x -> !x.equals("large")).toList();
      if (!onMain.isEmpty()) {
        startCluster(cluster, client);
      }
      boolean warm = false;
      int k = 0;
      for (String section : sections) {
        k++;
        progress("== section " + k + " of " + sections.size() + ": " + section);
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
          case "http" -> {
            warm = warmUp(cluster, client, runId, warm);
            http(cluster, client, report, runId);
          }
          case "curves" -> {
            warm = warmUp(cluster, client, runId, warm);
            curves(cluster, client, report, runId);
          }
          case "cli" -> cli(cluster, client, cliPath, cliTiming, report);
          case "large" -> {
            cluster.close(); // one cluster at a time on this machine
            large(largeCluster, client, report, runId);
          }
          default -> throw new IllegalStateException(section);
        }
      }
    } finally {
      cliTiming.close();
      cluster.close();
      largeCluster.close();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // Shutting down already: the hook runs anyway.
      }
    }
    Path jsonFile = json != null ? json : dir.resolve("results.json");
    Files.writeString(jsonFile, report.json(meta), StandardCharsets.UTF_8);
    progress("wrote " + jsonFile);
    Path svgFile = svg != null ? svg : dir.resolve("failover.svg");
    java.util.Optional<String> picture =
        report.failoverSvg("raftkv failover, commit " + commit + ": acknowledged writes of one"
            + " sequential writer per " + FailoverChart.BIN_MS + " ms; dashed: kill -9 of the"
            + " leader (orange: a second election round)");
    if (picture.isPresent()) {
      Files.writeString(svgFile, picture.get(), StandardCharsets.UTF_8);
      progress("wrote " + svgFile);
    }
    return report.markdown();
  }

  private void startCluster(NodeCluster cluster, BenchClient client) throws Exception {
    for (int id : cluster.ids()) {
      cluster.start(id);
    }
    progress("started nodes on ports " + cluster.endpoint(1).port() + "-"
        + cluster.endpoint(cluster.size()).port() + " with " + String.join(" ",
            cluster.jvmOptions()) + "; data and logs under " + dir);
    NodeStatus leader = Failover.waitHealthy(cluster, client, null);
    progress("leader: n" + leader.id() + " in term " + leader.term());
  }

  /** The large section's cluster: its own ports, directory and a small heap. */
  private NodeCluster largeCluster(Path nodeJar, List<String> nodeOptions) {
    return new NodeCluster(dir.resolve("large"), nodeJar, basePort + 10, 3, nodeOptions,
        largeHeapMib);
  }

  private void failover(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    progress("failover: " + kills + " kills of the leader under one sequential writer and "
        + shellWriters + " kv_client shell writers");
    Path cliPath = cli != null ? cli : Path.of("scripts", "kv_client");
    Failover f =
        new Failover(cluster, client, Duration.ofMillis(attemptTimeoutMs), "bench-failover-" + runId,
            this::progress, report::add, cliPath, shellWriters,
            dir.resolve("logs").resolve("shell-writers.log"));
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
    Load load = new Load(cluster, this::progress);
    load.concurrent("warm-up", "warm-up", 100,
        sessions(cluster, client, "bench-warm-" + runId, concurrency, false),
        puts, (s, i) -> s.put(Workload.key(i), Workload.VALUE));
    load.concurrent("warm-up", "warm-up", 0,
        sessions(cluster, client, "bench-warm-get-" + runId, concurrency, false),
        warmupOps, (s, i) -> s.get(Workload.key(i), Consistency.LINEARIZABLE));
    Session s = session(cluster, client, "bench-warm-seq-" + runId, leaderOrFirst(cluster, client));
    load.sequential("warm-up", "warm-up", 100, s, seq, (x, i) -> x.put(Workload.key(i), Workload.VALUE));
    load.sequential("warm-up", "warm-up", 0, s, seq,
        (x, i) -> x.get(Workload.key(i), Consistency.LINEARIZABLE));
    return true;
  }

  private void latency(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    Load load = new Load(cluster, this::progress);
    Session s = session(cluster, client, "bench-latency-" + runId, leaderOrFirst(cluster, client));
    progress("latency: " + writes + " sequential puts");
    report.add(
        load.sequential("put-seq", "put, 1 client sequential", 100, s, writes,
            (x, i) -> x.put(Workload.key(i), Workload.VALUE)));
    progress("latency: " + writes + " sequential linearizable gets");
    report.add(
        load.sequential("get-lin-seq", "linearizable get, 1 client sequential", 0, s, writes,
            (x, i) -> x.get(Workload.key(i), Consistency.LINEARIZABLE)));
    // Not asked for, but the floor under the other two: one node answers from its own state.
    progress("latency: " + writes + " sequential stale gets (at the leader)");
    report.add(
        load.sequential("get-stale-seq", "stale get, 1 client sequential (leader)", 0, s,
            writes,
            (x, i) -> x.get(Workload.key(i), Consistency.STALE)));
  }

  private void throughput(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    Load load = new Load(cluster, this::progress);
    String n = concurrency + " outstanding";
    progress("throughput: " + throughputOps + " puts, " + n);
    report.add(
        load.concurrent("put-conc", "put, " + n, 100,
            sessions(cluster, client, "bench-put-" + runId, concurrency, false), throughputOps,
            (s, i) -> s.put(Workload.key(i), Workload.VALUE)));
    progress("throughput: " + throughputOps + " linearizable gets, " + n);
    report.add(
        load.concurrent("get-lin-conc", "linearizable get, " + n, 0,
            sessions(cluster, client, "bench-get-" + runId, concurrency, false), throughputOps,
            (s, i) -> s.get(Workload.key(i), Consistency.LINEARIZABLE)));
    progress("throughput: " + throughputOps + " stale gets, " + n + ", spread over the nodes");
    report.add(
        load.concurrent("get-stale-conc", "stale get, " + n + " (all nodes)", 0,
            sessions(cluster, client, "bench-stale-" + runId, concurrency, true), throughputOps,
            (s, i) -> s.get(Workload.key(i), Consistency.STALE)));
  }

  /**
   * The latency and throughput workloads again, through the leader's HTTP API instead of the Akka
   * client: what the HTTP path costs a program that is not on the JVM.
   */
  private void http(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    Load load = new Load(cluster, this::progress);
    Endpoint leader = leaderOrFirst(cluster, client);
    int id = cluster.ids().stream().filter(i -> cluster.endpoint(i).equals(leader)).findFirst().orElseThrow();
    URI base = URI.create("http://" + leader.host() + ":" + cluster.httpPort(id));
    try (HttpSession.Pool pool = new HttpSession.Pool()) {
      HttpSession one = new HttpSession(pool, base, "bench-http-seq-" + runId);
      progress("http: " + writes + " sequential puts and as many linearizable gets at " + base);
      report.add(Report.HTTP,
          load.sequential("http-put-seq", "HTTP put, 1 client sequential", 100, one, writes,
              (x, i) -> x.put(Workload.key(i), Workload.VALUE)));
      report.add(Report.HTTP,
          load.sequential("http-get-lin-seq", "HTTP linearizable get, 1 client sequential", 0, one,
              writes, (x, i) -> x.get(Workload.key(i), Consistency.LINEARIZABLE)));
      String n = concurrency + " outstanding";
      List<HttpSession> many = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        many.add(new HttpSession(pool, base, "bench-http-" + runId + "-" + i));
      }
      progress("http: " + throughputOps + " puts and as many linearizable gets, " + n);
      report.add(Report.HTTP,
          load.concurrent("http-put-conc", "HTTP put, " + n, 100, many, throughputOps,
              (s, i) -> s.put(Workload.key(i), Workload.VALUE)));
      report.add(Report.HTTP,
          load.concurrent("http-get-lin-conc", "HTTP linearizable get, " + n, 0, many,
              throughputOps, (s, i) -> s.get(Workload.key(i), Consistency.LINEARIZABLE)));
    }
  }

  /** Live values on the value-size curve, at most: the nodes keep the map in their heap. */
  static final long CURVE_LIVE_BYTES = 64L << 20;

  private void curves(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    Load load = new Load(cluster, this::progress);
    Load.Size size = Load.Size.seconds(curveSeconds);
    for (int n : curveOutstanding) {
      progress("curve: puts of 100 B, " + n + " outstanding, for " + size.describe());
      report.add(Report.OUTSTANDING,
          load.concurrent("curve-outstanding-" + n, "put, " + n + " outstanding", 100,
              sessions(cluster, client, "bench-curve-" + n + "-" + runId, n, false), size,
              (s, i) -> s.put(Workload.key(i), Workload.VALUE)));
    }
    for (int bytes : curveValueBytes) {
      int keys = Workload.keysFor(bytes, CURVE_LIVE_BYTES);
      String value = Workload.value(bytes, bytes);
      progress("curve: puts of " + bytes + " B over " + keys + " keys, " + curveValueOutstanding
          + " outstanding, for " + size.describe());
      report.add(Report.VALUE_SIZE,
          load.concurrent("curve-value-" + bytes,
              "put of " + sizeLabel(bytes) + ", " + curveValueOutstanding + " outstanding, "
                  + String.format(Locale.ROOT, "%,d", keys) + " keys", bytes,
              sessions(cluster, client, "bench-value-" + bytes + "-" + runId,
                  curveValueOutstanding, false), size,
              (s, i) -> s.put(Workload.key(i, keys), value)));
    }
  }

  /** 100 B, 1 KiB, 64 KiB, 1 MiB. */
  static String sizeLabel(int bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " B";
  }

  private void large(NodeCluster cluster, BenchClient client, Report report, String runId)
      throws Exception {
    progress("large: starting a cluster of its own with " + String.join(" ", cluster.jvmOptions()));
    startCluster(cluster, client);
    LargeData l = new LargeData(cluster, this::progress);
    Endpoint leader = leaderOrFirst(cluster, client);
    // One follower sits the load out, and catches up afterwards through a snapshot.
    int down = cluster.ids().stream().filter(id -> !cluster.endpoint(id).equals(leader)).reduce((a, b) -> b)
        .orElseThrow();
    progress("large: stopping n" + down + " for the load (kill -9)");
    cluster.kill(down);
    int[] round = {0};
    LargeData.Outcome o =
        l.run(
            prefix -> {
              int count = prefix.endsWith("put") ? largeOutstanding : 1;
              List<Session> list = new ArrayList<>();
              for (int i = 0; i < count; i++) {
                list.add(new Session(client, cluster.endpoints(), leader,
                    "bench-" + prefix + "-" + runId + "-" + round[0]++ + "-" + i,
                    LargeData.ATTEMPT_TIMEOUT, LargeData.GIVE_UP));
              }
              return list;
            },
            largeHeapMib, largeValueBytes, largeMib << 20, largeSample);
    report.add(o);
    if (o.served()) {
      report.add(l.catchUp(client, down, dir.resolve("large").resolve("data")));
    }
    cluster.close();
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
   * {@code count} sessions with client ids of their own: all starting at the leader, or
   * spread over the nodes ({@code spread}, for stale reads, which any node answers).
   */
  private List<Session> sessions(
      NodeCluster cluster, BenchClient client, String prefix, int count, boolean spread)
      throws InterruptedException {
    Endpoint leader = leaderOrFirst(cluster, client);
    List<Endpoint> nodes = cluster.endpoints();
    List<Session> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
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

  private String setup(NodeCluster cluster) {
    RaftSettings rs = RaftSettings.fromConfig(ConfigFactory.load());
    String timing =
        String.format(
            Locale.ROOT,
            "election timeout %d-%d ms, heartbeat %d ms",
            rs.electionTimeoutMin().toMillis(), rs.electionTimeoutMax().toMillis(),
            rs.heartbeatInterval().toMillis());
    return "raftkv: 3 nodes on 127.0.0.1 (ports " + (basePort + 1) + "-" + (basePort + 3)
        + "), fsync on, " + timing + "; node JVM flags `" + String.join(" ", cluster.jvmOptions())
        + "`; one load-generator JVM (`" + String.join(" ", loadGeneratorFlags())
        + "`) speaking the client protocol. Writes and linearizable reads go to the leader"
        + " (following not_leader hints), stale reads to all three nodes. Sequential: "
        + String.format(Locale.ROOT, "%,d", writes) + " ops each after a warm-up; "
        + concurrency + " outstanding: " + String.format(Locale.ROOT, "%,d", throughputOps)
        + " ops each, " + concurrency + " clients with a client id each. Curves: "
        + Stats.Fmt.plain(curveSeconds) + " s per point. Node CPU: user + system time of the"
        + " three node processes (/proc/PID/stat) per operation; peak RSS: each node's VmHWM"
        + " (/proc/PID/status), reset at the start of each workload.";
  }

  /** The load generator's own JVM flags. */
  private static List<String> loadGeneratorFlags() {
    return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> !a.startsWith("-Dlogback"))
        .toList();
  }

  /** When, where and how, for the JSON document. */
  private ObjectNode meta(NodeCluster cluster, NodeCluster largeCluster) {
    RaftSettings rs = RaftSettings.fromConfig(ConfigFactory.load());
    ObjectNode meta = Json.object()
        .put("started_utc", java.time.Instant.now().toString())
        .put("commit", commit);
    meta.set("machine", Machine.describe());
    meta.set("node_jvm_flags", Json.tree(cluster.jvmOptions()));
    meta.set("large_node_jvm_flags", Json.tree(largeCluster.jvmOptions()));
    meta.set("load_generator_jvm_flags", Json.tree(loadGeneratorFlags()));
    meta.putObject("raft")
        .put("election_timeout_min_ms", rs.electionTimeoutMin().toMillis())
        .put("election_timeout_max_ms", rs.electionTimeoutMax().toMillis())
        .put("heartbeat_ms", rs.heartbeatInterval().toMillis());
    ObjectNode options = meta.putObject("options");
    options.set("sections", Json.tree(sections));
    options.put("kills", kills)
        .put("sequential_ops", writes)
        .put("concurrent_ops", throughputOps)
        .put("concurrency", concurrency);
    options.set("curve_outstanding", Json.tree(curveOutstanding));
    options.set("curve_value_bytes", Json.tree(curveValueBytes));
    options.put("curve_value_outstanding", curveValueOutstanding)
        .put("curve_seconds", curveSeconds)
        .put("large_mib", largeMib)
        .put("large_heap_mib", largeHeapMib)
        .put("large_value_bytes", largeValueBytes);
    return meta;
  }
}
