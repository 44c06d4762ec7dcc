package raftkv.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import raftkv.check.HistoryFile;
import raftkv.check.Operation;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;

/**
 * The driver of {@code scripts/chaos.sh}: inside the network namespaces the script made, it starts
 * three nodes and the clients, lets a nemesis inject faults on a seeded schedule while the clients
 * run their workload, then heals everything, waits for the cluster to settle, reads every key, and
 * checks the whole history for linearizability.
 *
 * <p>Clients are processes in the client namespace, each driven line by line through a {@link
 * ShellClient}: {@code kv_client --json shell}, or for the last {@code --http-clients} of them (by
 * default half, rounded down) {@link HttpShell}, which runs the same commands over the nodes' HTTP
 * API and answers in the same JSON lines. Each operation is timed around its line with {@link
 * System#nanoTime()} and recorded as an {@link Operation}, read from the line by {@link
 * Workload#completed} whichever kind of client answered it. A client whose operation ended
 * UNKNOWN carries on as a new process of the history (its unknown operation may still take effect
 * at any later time); a client that stops answering is killed and replaced. The summary counts the
 * operations over HTTP and over the shell apart.
 *
 * <p>Exit status: 0 the run passed; 1 it found something wrong (not linearizable, a lost write, a
 * cluster that did not recover, a node that died by itself); 2 a usage error.
 */
@Command(
    name = "chaos",
    sortOptions = false,
    description = "Runs a chaos test against a 3-node cluster in network namespaces (see scripts/chaos.sh).")
public final class ChaosRun {

  static final int NODES = 3;
  static final int KEYS = 10;
  /** The workers' client timeout: long enough to ride out a leader change. */
  static final String CLIENT_TIMEOUT = "3s";
  /** How long a worker waits for a shell's line: its own timeout, the ask slack, and more. */
  static final Duration REPLY_WAIT = Duration.ofSeconds(20);
  /** How long the cluster gets to be whole again after a fault before the run gives up on it. */
  static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(60);
  static final Duration SETTLE_DEADLINE = Duration.ofSeconds(90);

  @Option(names = "--seconds", defaultValue = "60", description = "How long the nemesis runs.")
  int seconds;

  @Option(names = "--clients", defaultValue = "5", description = "Concurrent clients.")
  int clients;

  @Option(
      names = "--http-clients",
      description = "How many of the clients use the HTTP API (default: half, rounded down; 0: none).")
  Integer httpClients;

  @Option(names = "--nemesis", defaultValue = "mixed", description = "kill, pause, partition or mixed.")
  String nemesis;

  @Option(names = "--seed", description = "The seed of the fault schedule and the workload.")
  Long seed;

  @Option(names = "--run-dir", required = true, description = "Where logs, data and the history go.")
  Path runDir;

  @Option(names = "--netns-prefix", required = true, description = "The namespaces' common prefix.")
  String prefix;

  @Option(names = "--subnet", required = true, description = "The first three octets, e.g. 10.211.0.")
  String subnet;

  @Option(names = "--kvstore", required = true, description = "scripts/kvstore")
  Path kvstore;

  @Option(names = "--kv-client", required = true, description = "scripts/kv_client")
  Path kvClient;

  private final PrintStream out;
  private final ObjectMapper json = new ObjectMapper();
  private final List<Operation> history = Collections.synchronizedList(new ArrayList<>());
  private final List<Summary.Injected> injected = new ArrayList<>();
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong ids = new AtomicLong();
  private final Set<Long> finalReadIds = ConcurrentHashMap.newKeySet();
  /** The operations an HTTP client made; the rest went through a kv_client shell. */
  private final Set<Long> httpIds = ConcurrentHashMap.newKeySet();
  private final AtomicInteger processes = new AtomicInteger();
  private volatile boolean stopping;
  private long startNanos;
  private Network network;
  private Nodes nodes;
  private ShellClient control;

  private ChaosRun(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.exit(run(args, out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    ChaosRun run = new ChaosRun(out);
    CommandLine cl = new CommandLine(run);
    Schedule.Nemesis kind;
    try {
      cl.parseArgs(args);
      if (run.seconds < 10 || run.seconds > 86_400) {
        throw new ParameterException(cl, "--seconds must be from 10 to 86400, not " + run.seconds);
      }
      if (run.clients < 1 || run.clients > 50) {
        throw new ParameterException(cl, "--clients must be from 1 to 50, not " + run.clients);
      }
      if (run.httpClients == null) {
        run.httpClients = run.clients / 2;
      }
      if (run.httpClients < 0 || run.httpClients > run.clients) {
        throw new ParameterException(
            cl, "--http-clients must be from 0 to --clients (" + run.clients + "), not " + run.httpClients);
      }
      kind = Schedule.Nemesis.parse(run.nemesis);
    } catch (ParameterException | IllegalArgumentException e) {
      err.println("chaos: " + e.getMessage());
      return 2;
    }
    try {
      return run.execute(kind) ? 0 : 1;
    } catch (RuntimeException e) {
      err.println("chaos: " + e.getMessage());
      return 1;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The run

  private boolean execute(Schedule.Nemesis kind) {
    // A fresh seed short enough to type back in.
    long runSeed = seed != null ? seed : new Random().nextInt(1_000_000_000);
    out.printf(
        "chaos: seed %d, nemesis %s, %d s, %d clients, %d of them over HTTP (repeat the schedule"
            + " with --seed %d)%n",
        runSeed, kind.name().toLowerCase(Locale.ROOT), seconds, clients, httpClients, runSeed);
    for (String dir : List.of("logs", "data", "pids")) {
      mkdirs(runDir.resolve(dir));
    }
    network = new Network(prefix, subnet, NODES, runDir.resolve("logs/network.log"));
    nodes = new Nodes(network, kvstore, runDir, NODES);
    long endNanos = System.nanoTime();
    try {
      endNanos = exercise(kind, runSeed);
    } catch (RuntimeException e) {
      // A step of the run itself failed (a node that cannot be started, a rule that cannot be
      // added): reported with what the history shows so far.
      problems.add("the run stopped early: " + e.getMessage());
    } finally {
      stopping = true;
      if (control != null) {
        control.close();
      }
      nodes.close();
      try {
        network.heal();
      } catch (RuntimeException e) {
        // The namespaces go with the script's clean-up anyway.
      }
    }
    return report(kind, endNanos);
  }

  /**
   * Starts the nodes, runs the workload under the nemesis, heals, settles and reads every key.
   * Returns when the workload stopped.
   */
  private long exercise(Schedule.Nemesis kind, long runSeed) {
    for (int i = 1; i <= NODES; i++) {
      nodes.start(i);
    }
    control = client("control", "1s");
    startNanos = System.nanoTime();
    Optional<Integer> leader = awaitLeader(SETTLE_DEADLINE);
    if (leader.isEmpty()) {
      problems.add("no leader within " + SETTLE_DEADLINE.toSeconds() + " s of start");
      return System.nanoTime();
    }
    out.printf("cluster up: %s, leader n%d%n", nodes.endpoints(), leader.get());

    processes.set(clients);
    List<Thread> workers = new ArrayList<>();
    CountDownLatch ready = new CountDownLatch(clients);
    for (int w = 0; w < clients; w++) {
      int worker = w;
      Thread t = new Thread(() -> work(worker, runSeed, ready), "worker-" + w);
      t.start();
      workers.add(t);
    }
    // The clock starts once every client has answered once: JVM start-up is not unavailability.
    await(ready, SETTLE_DEADLINE);
    startNanos = System.nanoTime();
    runNemesis(Schedule.plan(kind, runSeed, NODES, seconds * 1000L));
    long endNanos = System.nanoTime();

    stopping = true;
    for (Thread t : workers) {
      join(t, REPLY_WAIT.plusSeconds(10));
    }
    out.printf("%s  workload stopped; healing and waiting for the cluster to settle%n", at(endNanos));
    healAll();
    if (settle()) {
      finalReads();
    }
    return endNanos;
  }

  /** Applies the faults in order, each after the cluster is whole again, while they fit. */
  private void runNemesis(List<Fault> plan) {
    long windowEnd = startNanos + TimeUnit.SECONDS.toNanos(seconds);
    sleepUntil(startNanos + TimeUnit.MILLISECONDS.toNanos(Schedule.WARM_UP_MILLIS));
    for (Fault f : plan) {
      if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(f.durationMillis()) > windowEnd) {
        break;
      }
      if (!awaitWhole(RECOVERY_DEADLINE)) {
        problems.add(
            "the cluster was not whole again (all nodes up, one leader) within "
                + RECOVERY_DEADLINE.toSeconds() + " s of the last fault's end");
        break;
      }
      inject(f);
      sleepUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(f.recoverMillis()));
      int died = nodes.exitedUnexpectedly();
      if (died != 0) {
        problems.add("node n" + died + " exited by itself; see logs/node-" + died + ".log");
        break;
      }
    }
    sleepUntil(windowEnd);
  }

  private void inject(Fault f) {
    int node = f.node();
    String target = "n" + node;
    if (f.leader()) {
      Optional<Integer> leader = leader();
      if (leader.isPresent()) {
        node = leader.get();
        target = "n" + node + " (leader)";
      } else {
        target = "n" + node + " (no leader known)";
      }
    }
    String what =
        f.kind() == Fault.Kind.LOSS ? "loss " + f.percent() + "% on every link" : f.kind().label + " " + target;
    long start = System.nanoTime();
    out.printf("%s  %s for %s%n", at(start), what, Summary.seconds(f.durationMillis() * 1_000_000));
    apply(f, node);
    sleepUntil(start + TimeUnit.MILLISECONDS.toNanos(f.durationMillis()));
    undo(f, node);
    long end = System.nanoTime();
    injected.add(
        new Summary.Injected(
            f, what + String.format(Locale.ROOT, " at %.1f s", (start - startNanos) / 1e9), start, end));
  }

  private void apply(Fault f, int node) {
    switch (f.kind()) {
      case KILL -> nodes.kill(node);
      case PAUSE -> nodes.pause(node);
      case ISOLATE -> {
        for (int other : network.others(node)) {
          network.cut(node, other);
          network.cut(other, node);
        }
      }
      case CUT_OUT -> network.others(node).forEach(other -> network.cut(node, other));
      case CUT_IN -> network.others(node).forEach(other -> network.cut(other, node));
      case LOSS -> {
        for (int a = 1; a <= NODES; a++) {
          for (int b : network.others(a)) {
            network.loss(a, b, f.percent());
          }
        }
      }
      case SLOW -> network.slow(node, network.others(node));
    }
  }

  private void undo(Fault f, int node) {
    switch (f.kind()) {
      case KILL -> nodes.start(node);
      case PAUSE -> nodes.resume(node);
      default -> network.heal();
    }
  }

  private void healAll() {
    network.heal();
    for (int i = 1; i <= NODES; i++) {
      nodes.resume(i);
      if (!nodes.running(i)) {
        nodes.start(i);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Clients

  private ShellClient client(String name, String timeout) {
    List<String> command =
        List.of(
            "ip", "netns", "exec", network.clientNamespace(),
            kvClient.toString(), "--json", "--timeout", timeout, "--peers", nodes.endpoints(),
            "shell");
    return ShellClient.start(
        command, runDir.resolve("logs/" + name + ".log"), runDir.resolve("pids/" + name + ".pid"));
  }

  /** Whether worker {@code worker} speaks HTTP: the last {@code --http-clients} of them do. */
  private boolean overHttp(int worker) {
    return worker >= clients - httpClients;
  }

  /**
   * An {@link HttpShell} in the client namespace, on this JVM's java and class path (the jar
   * chaos.sh runs, a copy that no build replaces), starting at a node of its own.
   */
  private ShellClient httpClient(String name, int worker) {
    List<String> command =
        List.of(
            "ip", "netns", "exec", network.clientNamespace(),
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m",
            "-cp", System.getProperty("java.class.path"),
            HttpShell.class.getName(),
            "--nodes", nodes.httpEndpoints(),
            "--timeout", CLIENT_TIMEOUT,
            "--first", String.valueOf(worker % NODES));
    return ShellClient.start(
        command, runDir.resolve("logs/" + name + ".log"), runDir.resolve("pids/" + name + ".pid"));
  }

  /** One client: operations back to back, with a short pause, until the run stops. */
  private void work(int worker, long runSeed, CountDownLatch ready) {
    Random random = new Random(runSeed * 31 + worker);
    Workload workload = new Workload(KEYS, random);
    int process = worker;
    ShellClient shell = warmClient(worker);
    ready.countDown();
    try {
      while (!stopping) {
        Workload.Request r = workload.next();
        long invoked = System.nanoTime();
        Optional<String> reply = shell.call(r.line(), REPLY_WAIT);
        long completed = System.nanoTime();
        long id = ids.incrementAndGet();
        Operation op;
        if (reply.isPresent()) {
          op = Workload.completed(r, id, process, reply.get(), invoked, completed);
        } else {
          // No line: the shell hung or died mid-request. Its reply may never come: replace it.
          op = Workload.unknown(r, id, process, invoked);
          shell.kill();
          pause(500); // not a tight loop, should shells keep dying at once
          shell = warmClient(worker);
        }
        if (overHttp(worker)) {
          httpIds.add(id);
        }
        history.add(op);
        workload.observe(op);
        if (op.outcome() == Outcome.UNKNOWN) {
          process = processes.getAndIncrement();
        }
        pause(10 + random.nextInt(20));
      }
    } catch (RuntimeException e) {
      problems.add("client " + worker + ": " + e.getMessage());
    } finally {
      shell.close();
    }
  }

  /** A started client that has answered once (a read, not recorded: it changes nothing). */
  private ShellClient warmClient(int worker) {
    return ShellClient.answering(
        () -> overHttp(worker)
            ? httpClient("http-client-" + worker, worker)
            : client("client-" + worker, CLIENT_TIMEOUT),
        "get " + Workload.key(0), REPLY_WAIT, 3);
  }

  // ---------------------------------------------------------------------------------------------
  // Cluster state, through the control client

  private Optional<JsonNode> status() {
    Optional<String> line = control.call("status", REPLY_WAIT);
    if (line.isEmpty()) {
      control.kill();
      control = client("control", "1s");
      return Optional.empty();
    }
    try {
      return Optional.of(json.readTree(line.get()));
    } catch (IOException e) {
      throw new IllegalStateException("status is not JSON: " + line.get());
    }
  }

  private Optional<Integer> leader() {
    return status()
        .map(s -> s.get("leader"))
        .filter(n -> n != null && n.isInt())
        .map(JsonNode::asInt);
  }

  private Optional<Integer> awaitLeader(Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < end) {
      Optional<Integer> leader = leader();
      if (leader.isPresent()) {
        return leader;
      }
      pause(200);
    }
    return Optional.empty();
  }

  /** Every node answers and one of them leads. */
  private boolean awaitWhole(Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < end) {
      Optional<JsonNode> s = status();
      if (s.isPresent() && whole(s.get())) {
        return true;
      }
      pause(200);
    }
    return false;
  }

  private static boolean whole(JsonNode s) {
    if (!s.path("leader").isInt()) {
      return false;
    }
    for (JsonNode n : s.path("nodes")) {
      if (!n.path("reachable").asBoolean()) {
        return false;
      }
    }
    return true;
  }

  /** Whole, and every node has committed and applied the same index. */
  private boolean settle() {
    long begin = System.nanoTime();
    long end = begin + SETTLE_DEADLINE.toNanos();
    while (System.nanoTime() < end) {
      Optional<JsonNode> s = status();
      if (s.isPresent() && whole(s.get()) && caughtUp(s.get())) {
        out.printf(
            "%s  settled in %s: leader n%d, every node at commit index %d%n",
            at(System.nanoTime()),
            Summary.seconds(System.nanoTime() - begin),
            s.get().path("leader").asInt(),
            s.get().path("nodes").path(0).path("commitIndex").asLong());
        return true;
      }
      pause(200);
    }
    problems.add("the cluster did not settle within " + SETTLE_DEADLINE.toSeconds() + " s of the heal");
    return false;
  }

  private static boolean caughtUp(JsonNode s) {
    long commit = -1;
    for (JsonNode n : s.path("nodes")) {
      long c = n.path("commitIndex").asLong();
      if (commit >= 0 && c != commit) {
        return false;
      }
      commit = c;
      if (n.path("lastApplied").asLong() != c) {
        return false;
      }
    }
    return true;
  }

  /** A linearizable read of every key, each retried until it answers; all part of the history. */
  private void finalReads() {
    long end = System.nanoTime() + SETTLE_DEADLINE.toNanos();
    int process = processes.getAndIncrement();
    for (int k = 0; k < KEYS; k++) {
      Workload.Request r =
          new Workload.Request(Kind.GET, Workload.key(k), null, null, "get " + Workload.key(k));
      while (true) {
        long invoked = System.nanoTime();
        Optional<String> reply = control.call(r.line(), REPLY_WAIT);
        long completed = System.nanoTime();
        Operation op =
            reply.isPresent()
                ? Workload.completed(r, ids.incrementAndGet(), process, reply.get(), invoked, completed)
                : Workload.unknown(r, ids.incrementAndGet(), process, invoked);
        if (reply.isEmpty()) {
          control.kill(); // it missed this answer: a new one, lest the next read get it
          control = client("control", "1s");
        }
        history.add(op);
        finalReadIds.add(op.id());
        if (op.outcome() == Outcome.OK) {
          break;
        }
        if (op.outcome() == Outcome.UNKNOWN) {
          process = processes.getAndIncrement();
        }
        if (System.nanoTime() > end) {
          problems.add("no final read of " + r.key() + " succeeded");
          return;
        }
        pause(200);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Report

  private boolean report(Schedule.Nemesis kind, long endNanos) {
    List<Operation> ops = new ArrayList<>(history);
    ops.sort(Comparator.comparingLong(Operation::invokeNanos));
    Path historyFile = runDir.resolve("history.jsonl");
    writeHistory(historyFile, ops);
    int[] outcomes = Summary.outcomes(ops);
    out.println();
    out.println("== chaos summary (" + kind.name().toLowerCase(Locale.ROOT) + ")");
    out.printf(
        "ops: %d ok, %d failed, %d unknown (%d in all, %d of them final reads)%n",
        outcomes[0], outcomes[1], outcomes[2], ops.size(), finalReadIds.size());
    List<Operation> overHttp = ops.stream().filter(op -> httpIds.contains(op.id())).toList();
    List<Operation> overShell = ops.stream().filter(op -> !httpIds.contains(op.id())).toList();
    out.printf(
        "ops over HTTP: %s, by %s%n", Summary.describe(Summary.counts(overHttp)), count(httpClients, "client"));
    out.printf(
        "ops over the shell: %s, by %s and the control client (final reads)%n",
        Summary.describe(Summary.counts(overShell)), count(clients - httpClients, "client"));
    out.printf(
        "faults injected: %d (%s)%n",
        injected.size(), Summary.describeKinds(Summary.byKind(injected)));
    List<Summary.Unavailability> gaps = Summary.unavailability(ops, injected, endNanos);
    out.println("longest stretch without a successful write, after each fault:");
    long worst = 0;
    for (Summary.Unavailability u : gaps) {
      out.printf("  %-44s %s%n", u.fault().description(), Summary.seconds(u.longestNanos()));
      worst = Math.max(worst, u.longestNanos());
    }
    out.printf("  max: %s%n", Summary.seconds(worst));
    Verification v = Verification.of(ops, finalReadIds);
    for (String line : v.lines()) {
      out.println(line);
    }
    out.println("history: " + historyFile);
    if (!v.passed()) {
      problems.add(v.problem());
    }
    if (outcomes[0] == 0) {
      problems.add("no operation succeeded");
    }
    if (problems.isEmpty()) {
      out.println("result: PASS");
      return true;
    }
    for (String p : problems) {
      out.println("problem: " + p);
    }
    out.println("result: FAIL (node logs: " + runDir.resolve("logs") + ")");
    return false;
  }

  private static void writeHistory(Path file, List<Operation> ops) {
    try {
      HistoryFile.write(file, ops);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** "1 client", "2 clients". */
  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** Seconds since the workload started, for the log lines. */
  private String at(long nanos) {
    return String.format(Locale.ROOT, "%7.2f s", (nanos - startNanos) / 1e9);
  }

  private static void mkdirs(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  private static void sleepUntil(long nanos) {
    long left = nanos - System.nanoTime();
    if (left > 0) {
      pause(TimeUnit.NANOSECONDS.toMillis(left) + 1);
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  private static void await(CountDownLatch latch, Duration wait) {
    try {
      latch.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void join(Thread t, Duration wait) {
    try {
      t.join(wait.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
