package raftkv.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.common.Endpoint;

/**
 * Leader failover, as the etcd baseline's {@code Failover}: one sequential writer runs throughout;
 * the leader is killed with SIGKILL, and we measure
 *
 * <ul>
 *   <li>election (log): kill -> "Won election for term" in a survivor's log (millisecond time
 *       stamps of the same machine clock);
 *   <li>election (poll): kill -> a survivor's status says leader in a higher term (polled every
 *       few milliseconds);
 *   <li>first write: kill -> the first acknowledgement of a write attempt sent after the kill;
 *   <li>write gap: the last acknowledgement before the kill -> that first one after it;
 * </ul>
 *
 * then restart the killed node with the same command and wait until it follows the leader and has
 * applied the leader's commit index (catch-up time), before the next kill.
 */
final class Failover {
  private static final Duration STATUS_TIMEOUT = Duration.ofMillis(500);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(50);
  private static final long POLL_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  /** Steady load before each kill, as the etcd baseline. */
  private static final Duration STEADY = Duration.ofSeconds(1);

  /**
   * One kill; times in milliseconds, NaN when not observed; {@code killAtMs} from the start of the
   * writer.
   */
  record Rep(
      int rep, int killed, long oldTerm, long newTerm, double electionLogMs, double electionPollMs,
      double firstWriteMs, double writeGapMs, double catchUpMs, double killAtMs,
      List<Double> shellFirstWriteMs) {

    /** The slowest shell client's first write after the kill (NaN without shell clients). */
    double shellSlowestMs() {
      return shellFirstWriteMs.isEmpty()
          ? Double.NaN
          : shellFirstWriteMs.stream().mapToDouble(Double::doubleValue).map(d -> Double.isNaN(d) ? Double.POSITIVE_INFINITY : d).max().orElseThrow();
    }

    /**
     * Elections it took: the term rises by one per round (pre-vote keeps a round that cannot win
     * from raising it), so more than 1 means a first round failed (a split vote, say).
     */
    long rounds() {
      return newTerm - oldTerm;
    }
  }

  /**
   * Every acknowledgement of the writer ({@code ackNanos}, when each came back) from {@code
   * startNanos} to {@code endNanos}, for the picture.
   */
  record Series(long startNanos, long endNanos, long[] ackNanos) {}

  /** All kills, and the writer's totals. */
  record Outcome(
      List<Rep> reps, long acks, long retries, long errors, Duration attemptTimeout,
      Series series) {}

  private final NodeCluster cluster;
  private final BenchClient client;
  private final Duration attemptTimeout;
  private final String clientId;
  private final Consumer<String> progress;
  private final Consumer<Rep> onRep;
  /** {@code kv_client} for the shell writers, and how many run beside the benchmark's writer. */
  private final Path cli;
  private final int shellWriters;
  private final Path shellLog;
  private final List<ShellWriter> shells = new ArrayList<>();
  /** When the writer started: the origin of {@link Rep#killAtMs}. */
  private long startNanos;

  Failover(
      NodeCluster cluster, BenchClient client, Duration attemptTimeout, String clientId,
      Consumer<String> progress, Consumer<Rep> onRep, Path cli, int shellWriters, Path shellLog) {
    this.cli = cli;
    this.shellWriters = shellWriters;
    this.shellLog = shellLog;
    this.cluster = cluster;
    this.client = client;
    this.attemptTimeout = attemptTimeout;
    this.clientId = clientId;
    this.progress = progress;
    this.onRep = onRep;
  }

  /** The sequential writer: every acknowledgement is kept, with when its attempt was sent. */
  static final class Writer implements Runnable {
    private final Session session;
    private final List<Session.Ack> acks = new ArrayList<>();
    private long[] ackTimes = new long[1024];
    private int ackTimeCount;
    final AtomicLong ackCount = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    private volatile boolean running = true;

    Writer(Session session) {
      this.session = session;
    }

    @Override
    public void run() {
      long i = 0;
      while (running) {
        try {
          Session.Ack ack = session.put(Workload.key(i++), Workload.VALUE).get();
          if (ack.result().ok()) {
            synchronized (acks) {
              acks.add(ack);
              if (ackTimeCount == ackTimes.length) {
                ackTimes = java.util.Arrays.copyOf(ackTimes, 2 * ackTimes.length);
              }
              ackTimes[ackTimeCount++] = ack.ackNanos();
            }
            ackCount.incrementAndGet();
            retries.addAndGet(ack.attempts() - 1);
          } else {
            errors.incrementAndGet();
          }
        } catch (ExecutionException e) {
          errors.incrementAndGet(); // gave up on this seq; the next write takes a new one
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stop() {
      running = false;
    }

    void clearAcks() {
      synchronized (acks) {
        acks.clear();
      }
    }

    List<Session.Ack> acks() {
      synchronized (acks) {
        return List.copyOf(acks);
      }
    }

    /** When every acknowledgement so far came back (never cleared). */
    long[] ackTimes() {
      synchronized (acks) {
        return java.util.Arrays.copyOf(ackTimes, ackTimeCount);
      }
    }
  }

  Outcome run(int kills) throws IOException, InterruptedException {
    List<Endpoint> nodes = cluster.endpoints();
    NodeStatus leader = waitHealthy(cluster, client, null);
    Session session =
        new Session(
            client, nodes, leader.endpoint(), clientId, attemptTimeout, Duration.ofSeconds(30));
    Writer writer = new Writer(session);
    Thread thread = new Thread(writer, "failover-writer");
    thread.setDaemon(true);
    startNanos = System.nanoTime();
    thread.start();
    List<Rep> reps = new ArrayList<>();
    long endNanos;
    try {
      startShells();
      for (int rep = 1; rep <= kills; rep++) {
        reps.add(kill(rep, kills, writer));
      }
      waitHealthy(cluster, client, writer);
    } finally {
      endNanos = System.nanoTime();
      for (ShellWriter w : shells) {
        w.close();
      }
      writer.stop();
      thread.join(TimeUnit.SECONDS.toMillis(35));
    }
    return new Outcome(
        reps, writer.ackCount.get(), writer.retries.get(), writer.errors.get(), attemptTimeout,
        new Series(startNanos, endNanos, writer.ackTimes()));
  }

  private Rep kill(int rep, int kills, Writer writer) throws IOException, InterruptedException {
    NodeStatus leader = waitHealthy(cluster, client, writer);
    writer.clearAcks();
    Thread.sleep(STEADY.toMillis());
    // Leadership may have moved during the steady second.
    leader = waitHealthy(cluster, client, writer);
    int killed = cluster.idOf(leader.endpoint());
    long oldTerm = leader.term();
    List<Integer> survivors = cluster.ids().stream().filter(id -> id != killed).toList();
    long[] logOffsets = new long[cluster.size() + 1];
    for (int id : survivors) {
      logOffsets[id] = Files.size(cluster.log(id));
    }

    long killMillis = System.currentTimeMillis();
    long killNanos = System.nanoTime();
    cluster.kill(killed);
    client.forget(leader.endpoint());

    // (b) poll the survivors until one says it leads in a higher term
    long polledNanos = 0;
    NodeStatus newLeader = null;
    while (polledNanos == 0 && System.nanoTime() - killNanos < TimeUnit.SECONDS.toNanos(20)) {
      List<CompletableFuture<Optional<Timed>>> asked = new ArrayList<>();
      for (int id : survivors) {
        asked.add(
            client
                .status(cluster.endpoint(id), POLL_TIMEOUT)
                .thenApply(s -> Optional.of(new Timed(s, System.nanoTime())))
                .exceptionally(failure -> Optional.empty()));
      }
      for (CompletableFuture<Optional<Timed>> a : asked) {
        Optional<Timed> t = a.join();
        if (t.isPresent()
            && "leader".equals(t.get().status().role())
            && t.get().status().term() > oldTerm
            && (polledNanos == 0 || t.get().nanos() < polledNanos)) {
          polledNanos = t.get().nanos();
          newLeader = t.get().status();
        }
      }
      if (polledNanos == 0) {
        LockSupport.parkNanos(POLL_PAUSE_NANOS);
      }
    }
    if (newLeader == null) {
      throw new IllegalStateException("no new leader within 20 s of killing node " + killed);
    }

    // (c), (d) from the writer's acknowledgements
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (firstAckSentAfter(writer.acks(), killNanos).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    List<Session.Ack> acks = writer.acks();
    double firstWriteMs = firstWriteMs(acks, killNanos);
    List<Double> shellMs = new ArrayList<>();
    for (ShellWriter w : shells) {
      while (Double.isNaN(w.firstWriteMs(killNanos)) && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      shellMs.add(w.firstWriteMs(killNanos));
    }
    double writeGapMs = writeGapMs(acks, killNanos);

    // (a) the survivors' logs; logback flushes every line, but give them a moment
    Optional<LogTimes.Won> won = Optional.empty();
    long logDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (won.isEmpty() && System.nanoTime() < logDeadline) {
      won =
          survivors.stream()
              .map(id -> wonIn(id, logOffsets[id], oldTerm))
              .flatMap(Optional::stream)
              .min(Comparator.comparingLong(LogTimes.Won::epochMillis));
      if (won.isEmpty()) {
        Thread.sleep(20);
      }
    }
    double electionLogMs = won.map(w -> (double) (w.epochMillis() - killMillis)).orElse(Double.NaN);
    long newTerm = won.map(LogTimes.Won::term).orElse(newLeader.term());
    double electionPollMs = (polledNanos - killNanos) / 1e6;

    // restart the killed node and wait for it to catch up
    long restartNanos = System.nanoTime();
    cluster.start(killed);
    waitCaughtUp(killed, Duration.ofSeconds(90));
    double catchUpMs = (System.nanoTime() - restartNanos) / 1e6;

    Rep r =
        new Rep(rep, killed, oldTerm, newTerm, electionLogMs, electionPollMs, firstWriteMs,
            writeGapMs, catchUpMs, (killNanos - startNanos) / 1e6, List.copyOf(shellMs));
    progress.accept(
        String.format(
            java.util.Locale.ROOT,
            "failover %d/%d: killed n%d (term %d -> %d%s): election %s ms (log %s ms),"
                + " first write %s ms (shell clients: %s), write gap %s ms; restarted, caught up"
                + " in %s ms",
            rep, kills, killed, oldTerm, newTerm, newTerm - oldTerm > 1 ? ", 2+ rounds" : "",
            Stats.Fmt.ms(electionPollMs),
            Stats.Fmt.ms(electionLogMs), Stats.Fmt.ms(firstWriteMs),
            shellMs.stream().map(Stats.Fmt::ms).reduce((x, y) -> x + ", " + y).map(x -> x + " ms").orElse("none"),
            Stats.Fmt.ms(writeGapMs), Stats.Fmt.ms(catchUpMs)));
    onRep.accept(r);
    return r;
  }

  private record Timed(NodeStatus status, long nanos) {}

  /** Starts the shell writers and waits until each has had a write acknowledged. */
  private void startShells() throws IOException, InterruptedException {
    if (shellWriters == 0) {
      return;
    }
    if (!Files.isExecutable(cli)) {
      progress.accept("failover: no shell writers: " + cli + " is not an executable file");
      return;
    }
    for (int i = 0; i < shellWriters; i++) {
      shells.add(new ShellWriter(cli, cluster.endpoints(), "shell" + i, shellLog));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (ShellWriter w : shells) {
      while (!w.acknowledgedAny()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("a kv_client shell writer had no write acknowledged within 60 s; see " + shellLog);
        }
        Thread.sleep(20);
      }
    }
    progress.accept("failover: " + shells.size() + " kv_client --json shell writers are writing too");
  }

  private Optional<LogTimes.Won> wonIn(int id, long offset, long oldTerm) {
    try {
      return LogTimes.firstWinAfter(readFrom(cluster.log(id), offset), oldTerm);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static List<String> readFrom(Path p, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
      long length = f.length();
      if (length <= offset) {
        return List.of();
      }
      f.seek(offset);
      byte[] b = new byte[(int) (length - offset)];
      f.readFully(b);
      return List.of(new String(b, StandardCharsets.UTF_8).split("\n"));
    }
  }

  /** The first acknowledgement of an attempt sent at or after {@code killNanos}. */
  static Optional<Session.Ack> firstAckSentAfter(List<Session.Ack> acks, long killNanos) {
    return acks.stream()
        .filter(a -> a.sentNanos() - killNanos >= 0)
        .min(Comparator.comparingLong(Session.Ack::ackNanos));
  }

  /** Kill -> the first acknowledgement of a write sent after it, in ms (NaN if none). */
  static double firstWriteMs(List<Session.Ack> acks, long killNanos) {
    return firstAckSentAfter(acks, killNanos)
        .map(a -> (a.ackNanos() - killNanos) / 1e6)
        .orElse(Double.NaN);
  }

  /** The last acknowledgement received before the kill -> the first one after it, in ms. */
  static double writeGapMs(List<Session.Ack> acks, long killNanos) {
    Optional<Session.Ack> after = firstAckSentAfter(acks, killNanos);
    Optional<Session.Ack> before =
        acks.stream()
            .filter(a -> a.ackNanos() - killNanos < 0)
            .max(Comparator.comparingLong(Session.Ack::ackNanos));
    if (after.isEmpty() || before.isEmpty()) {
      return Double.NaN;
    }
    return (after.get().ackNanos() - before.get().ackNanos()) / 1e6;
  }

  /**
   * Every node answers; one leads and the others follow it in its term, within 100 entries of its
   * commit index; and the writer (if any) is making progress. Returns the leader's status.
   */
  static NodeStatus waitHealthy(NodeCluster cluster, BenchClient client, Writer writer)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      List<NodeStatus> all = client.statusAll(cluster.endpoints(), STATUS_TIMEOUT);
      long acks0 = writer == null ? 0 : writer.ackCount.get();
      Thread.sleep(100);
      boolean progressing = writer == null || writer.ackCount.get() > acks0;
      Optional<NodeStatus> leader = BenchClient.leaderOf(all);
      last = describe(all);
      if (leader.isEmpty() || !progressing) {
        continue;
      }
      NodeStatus l = leader.get();
      boolean followed =
          all.stream()
              .allMatch(
                  s ->
                      s != null
                          && s.term() == l.term()
                          && (s == l
                              || ("follower".equals(s.role())
                                  && l.endpoint().equals(s.leader())
                                  && s.lastApplied() >= l.commitIndex() - 100)));
      if (followed) {
        return l;
      }
    }
    throw new IllegalStateException("the cluster did not become healthy within 120 s: " + last);
  }

  /** Until node {@code id} follows the leader and has applied the leader's commit index. */
  private void waitCaughtUp(int id, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    Endpoint self = cluster.endpoint(id);
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      // The leader first, then the node: its lastApplied is then compared with a commit index
      // the leader had already reached when the node was asked.
      List<NodeStatus> others =
          client.statusAll(
              cluster.endpoints().stream().filter(e -> !e.equals(self)).toList(), STATUS_TIMEOUT);
      Optional<NodeStatus> leader = BenchClient.leaderOf(others);
      NodeStatus s = client.status(self, STATUS_TIMEOUT).exceptionally(failure -> null).join();
      if (leader.isPresent() && s != null) {
        last = "n" + id + " " + s.role() + " applied " + s.lastApplied() + ", leader commit "
            + leader.get().commitIndex();
        if ("follower".equals(s.role())
            && leader.get().endpoint().equals(s.leader())
            && s.lastApplied() >= leader.get().commitIndex()) {
          return;
        }
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException(
        "restarted node n" + id + " did not catch up within " + max.toSeconds() + " s: " + last);
  }

  private static String describe(List<NodeStatus> all) {
    StringBuilder sb = new StringBuilder();
    for (NodeStatus s : all) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(
          s == null
              ? "(no answer)"
              : "n" + s.id() + " " + s.role() + " term " + s.term() + " applied " + s.lastApplied());
    }
    return sb.toString();
  }
}
