package raftkv.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.common.Endpoint;

/**
 * A data set larger than the nodes' heap: a cluster of its own whose nodes run with a small heap
 * loads {@code targetBytes} of distinct values (one key each, every value different), then reads a
 * sample of the keys back with linearizable gets and compares each value with what was written.
 * Stops early, and says why, when a node exits (an out-of-memory error ends a node's JVM) or writes
 * keep failing.
 */
final class LargeData {
  /** The figures; {@code stopped} says why the load ended early, empty if it did not. */
  record Outcome(
      int heapMib, int valueBytes, long targetBytes, int outstanding, long loadedOps,
      double loadSeconds, long errors, Histogram putLatency, int sampled, int verified,
      int mismatched, int unreadable, List<Double> peakRssMib, double nodeCpuMs, String stopped) {

    double loadedMib() {
      return loadedOps * (double) valueBytes / (1 << 20);
    }

    double mibPerSecond() {
      return loadedMib() / loadSeconds;
    }

    boolean served() {
      return stopped.isEmpty() && sampled > 0 && verified == sampled;
    }
  }

  private final NodeCluster cluster;
  private final Consumer<String> progress;

  LargeData(NodeCluster cluster, Consumer<String> progress) {
    this.cluster = cluster;
    this.progress = progress;
  }

  /** The key of value number {@code i}: 16 bytes, like the other workloads' keys. */
  static String key(long i) {
    return String.format(Locale.ROOT, "L%015d", i);
  }

  /**
   * Value number {@code i}, {@code bytes} long: its number, then a printable pattern shifted by
   * the number, so that every value differs and a mixed-up or truncated one is noticed.
   */
  static String value(long i, int bytes) {
    StringBuilder sb = new StringBuilder(bytes);
    sb.append(String.format(Locale.ROOT, "v%015d:", i));
    int shift = Math.floorMod(i * 7919, 94);
    while (sb.length() < bytes) {
      sb.append((char) ('!' + (sb.length() + shift) % 94));
    }
    sb.setLength(bytes);
    return sb.toString();
  }

  Outcome run(
      Function<String, List<Session>> sessions, int heapMib, int valueBytes, long targetBytes,
      int sample) throws InterruptedException {
    long n = Math.max(1, targetBytes / valueBytes);
    List<Session> writers = sessions.apply("large-put");
    int outstanding = writers.size();
    progress.accept(String.format(Locale.ROOT,
        "large: loading %,d values of %,d B (%s MiB) with %d outstanding into nodes with a %d MiB"
            + " heap", n, valueBytes, Stats.Fmt.plain(n * (double) valueBytes / (1 << 20)),
        outstanding, heapMib));
    Histogram h = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3);
    AtomicLong next = new AtomicLong();
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    cluster.resetPeakRss();
    long cpu0 = cluster.cpuMillis();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    String[] stopped = {""};
    for (Session s : writers) {
      Thread t =
          new Thread(
              () -> {
                for (long i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                  if (!stopped[0].isEmpty()) {
                    return;
                  }
                  long t0 = System.nanoTime();
                  try {
                    Session.Ack a = s.put(key(i), value(i, valueBytes)).get(60, TimeUnit.SECONDS);
                    if (a.result().ok()) {
                      h.recordValue(Math.min(h.getHighestTrackableValue(), a.ackNanos() - t0));
                      ok.incrementAndGet();
                    } else {
                      errors.incrementAndGet();
                    }
                  } catch (ExecutionException | TimeoutException e) {
                    errors.incrementAndGet();
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "large-writer");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long lastReport = start;
    long end = 0;
    double[] peakMib = new double[cluster.size()];
    java.util.Arrays.fill(peakMib, Double.NaN);
    while (threads.stream().anyMatch(Thread::isAlive)) {
      Thread.sleep(200);
      samplePeaks(peakMib);
      List<Integer> dead = cluster.exited();
      if (!dead.isEmpty() && stopped[0].isEmpty()) {
        stopped[0] = describeExits(dead);
        progress.accept("large: stopping: " + stopped[0]);
      }
      if (errors.get() > 20 && stopped[0].isEmpty()) {
        stopped[0] = errors.get() + " writes failed";
        progress.accept("large: stopping: " + stopped[0]);
      }
      long now = System.nanoTime();
      if (now - lastReport > TimeUnit.SECONDS.toNanos(5)) {
        lastReport = now;
        double secs = (now - start) / 1e9;
        double mib = ok.get() * (double) valueBytes / (1 << 20);
        progress.accept(String.format(Locale.ROOT,
            "  large: %,d of %,d values, %s MiB, %s MiB/s, node RSS now %s MiB, %d errors",
            ok.get(), n, Stats.Fmt.plain(Math.round(mib)), Stats.Fmt.plain(mib / secs),
            rssNow(), errors.get()));
      }
      if (!stopped[0].isEmpty()) {
        // The writers stop at their next value; one still waiting on a node that is gone is
        // left behind (a daemon thread; its session gives up by itself).
        end = System.nanoTime();
        for (Thread t : threads) {
          t.join(TimeUnit.SECONDS.toMillis(2));
        }
        break;
      }
    }
    double loadSeconds = ((end != 0 ? end : System.nanoTime()) - start) / 1e9;
    long cpuMs = cluster.cpuMillis() - cpu0;

    int sampled = 0;
    int verified = 0;
    int mismatched = 0;
    int unreadable = 0;
    if (stopped[0].isEmpty()) {
      long loaded = Math.min(n, next.get());
      Session reader = sessions.apply("large-get").get(0);
      int count = (int) Math.min(sample, loaded);
      progress.accept("large: reading " + count + " of the values back (linearizable gets)");
      for (int k = 0; k < count; k++) {
        long i = count == 1 ? 0 : (loaded - 1) * k / (count - 1);
        sampled++;
        try {
          Session.Ack a = reader.get(key(i), Consistency.LINEARIZABLE).get(60, TimeUnit.SECONDS);
          String v = a.result().ok() ? a.result().value() : null;
          if (v == null) {
            unreadable++;
          } else if (v.equals(value(i, valueBytes))) {
            verified++;
          } else {
            mismatched++;
          }
        } catch (ExecutionException | TimeoutException e) {
          unreadable++;
        }
        samplePeaks(peakMib);
        if (!cluster.exited().isEmpty()) {
          stopped[0] = "while reading back: " + describeExits(cluster.exited());
          break;
        }
      }
    } else {
      // Every node that has gone by now, not only the first.
      Thread.sleep(500);
      stopped[0] = describeExits(cluster.exited());
    }
    samplePeaks(peakMib);
    List<Double> rss = new ArrayList<>();
    for (double d : peakMib) {
      rss.add(d);
    }
    return new Outcome(heapMib, valueBytes, targetBytes, outstanding, ok.get(), loadSeconds,
        errors.get(), h, sampled, verified, mismatched, unreadable, rss, cpuMs, stopped[0]);
  }

  /** Raises each running node's entry in {@code peakMib} to its peak resident memory so far. */
  private void samplePeaks(double[] peakMib) {
    List<Double> now = cluster.peakRssMib();
    for (int k = 0; k < peakMib.length; k++) {
      double v = now.get(k);
      if (!Double.isNaN(v) && (Double.isNaN(peakMib[k]) || v > peakMib[k])) {
        peakMib[k] = v;
      }
    }
  }

  private String rssNow() {
    List<String> parts = new ArrayList<>();
    for (int id : cluster.ids()) {
      parts.add(cluster.isAlive(id)
          ? Stats.Fmt.plain(Math.round(ProcStat.rssKib(cluster.pid(id)).orElse(0) / 1024.0))
          : "-");
    }
    return String.join(" / ", parts);
  }

  private String describeExits(List<Integer> dead) {
    List<String> parts = new ArrayList<>();
    for (int id : dead) {
      parts.add("n" + id + " exited with status " + cluster.exitValue(id)
          + cluster.lastLogLineMatching(id, "OutOfMemoryError|Exception|Error").map(l -> " (" + l + ")")
              .orElse(""));
    }
    return String.join("; ", parts);
  }

  /**
   * A follower that was down for the whole load, restarted: how long until it applied what the
   * leader had committed (it catches up through InstallSnapshot, the leader's log being compacted
   * past what it holds), the leader's state size, and each node's disk use and log afterwards.
   */
  record CatchUp(
      int node, double seconds, long stateBytes, boolean throughSnapshot, List<Long> diskBytes,
      List<Long> logBytes, List<Long> snapshotIndex, String failed) {

    double mibPerSecond() {
      return stateBytes / (double) (1 << 20) / seconds;
    }
  }

  /** Restarts {@code down} (killed before the load) and times its catch-up, see {@link CatchUp}. */
  CatchUp catchUp(BenchClient client, int down, Path dataRoot) throws Exception {
    List<NodeStatus> before = client.statusAll(cluster.endpoints(), Duration.ofSeconds(2));
    Optional<NodeStatus> leader = BenchClient.leaderOf(before);
    if (leader.isEmpty()) {
      return new CatchUp(down, 0, 0, false, List.of(), List.of(), List.of(), "no leader");
    }
    long target = leader.get().commitIndex();
    long state = leader.get().stateBytes();
    progress.accept(String.format(Locale.ROOT,
        "large: restarting n%d, down during the load; the leader's state is %s MiB at index %,d",
        down, Stats.Fmt.plain(state / 1048576.0), target));
    long start = System.nanoTime();
    cluster.start(down);
    Endpoint e = cluster.endpoint(down);
    long deadline = start + TimeUnit.MINUTES.toNanos(10);
    while (true) {
      NodeStatus s = client.status(e, Duration.ofSeconds(2)).exceptionally(f -> null).join();
      if (s != null && s.lastApplied() >= target) {
        break;
      }
      if (System.nanoTime() > deadline || !cluster.isAlive(down)) {
        return new CatchUp(down, 0, state, false, List.of(), List.of(), List.of(),
            cluster.isAlive(down) ? "not caught up in 10 minutes" : "n" + down + " exited");
      }
      Thread.sleep(100);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    boolean snapshot = cluster.lastLogLineMatching(down, "Installed a snapshot up to index").isPresent();
    List<NodeStatus> after = client.statusAll(cluster.endpoints(), Duration.ofSeconds(2));
    List<Long> disk = new ArrayList<>();
    List<Long> log = new ArrayList<>();
    List<Long> snap = new ArrayList<>();
    for (int k = 0; k < after.size(); k++) {
      disk.add(directoryBytes(dataRoot.resolve("node-" + cluster.ids().get(k))));
      log.add(after.get(k) == null ? -1 : after.get(k).logBytes());
      snap.add(after.get(k) == null ? -1 : after.get(k).snapshotIndex());
    }
    progress.accept(String.format(Locale.ROOT,
        "large: n%d caught up in %s s (%s MiB/s of state, %s); disk MiB per node %s",
        down, Stats.Fmt.plain(seconds), Stats.Fmt.plain(state / 1048576.0 / seconds),
        snapshot ? "through a snapshot" : "from the log", disk.stream()
            .map(b -> Stats.Fmt.plain(Math.round(b / 1048576.0))).toList()));
    return new CatchUp(down, seconds, state, snapshot, disk, log, snap, "");
  }

  private static long directoryBytes(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return -1;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /** The attempt timeout and give-up time of the large workload's sessions. */
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration GIVE_UP = Duration.ofSeconds(60);
}
