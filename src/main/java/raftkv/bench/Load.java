package raftkv.bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Runs a workload and measures it: latency from the call to its definitive answer (retries
 * included), throughput over the whole run, the nodes' CPU time per operation, and each node's
 * peak resident memory during the run. A progress line every few seconds while it runs.
 */
final class Load {
  /**
   * One operation, number {@code i}, issued by {@code session}: a {@link Session} of the Akka
   * client, or an {@link HttpSession}.
   */
  interface Op<S> {
    CompletableFuture<Session.Ack> call(S session, long i);
  }

  /**
   * The figures of one workload: {@code outstanding} requests in flight, values of {@code
   * valueBytes} (0 for reads), latencies in nanoseconds in {@code latency}, {@code peakRssMib} per
   * node in node order (NaN for a node that was not running).
   */
  record Outcome(
      String name, String label, int outstanding, int valueBytes, long ops, long errors,
      long retries, double seconds, Histogram latency, double nodeCpuMicrosPerOp,
      List<Double> peakRssMib) {

    double opsPerSecond() {
      return ops / seconds;
    }

    double ms(double percentile) {
      return latency.getTotalCount() == 0
          ? Double.NaN
          : latency.getValueAtPercentile(percentile) / 1e6;
    }

    double maxMs() {
      return latency.getTotalCount() == 0 ? Double.NaN : latency.getMaxValue() / 1e6;
    }

    /** The largest of the nodes' peaks (NaN if none was read). */
    double maxPeakRssMib() {
      return peakRssMib.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d))
          .max().orElse(Double.NaN);
    }
  }

  /** The size of a workload: a number of operations, or a duration. */
  record Size(long ops, long nanos) {
    static Size ops(long n) {
      return new Size(n, 0);
    }

    static Size seconds(double s) {
      return new Size(Long.MAX_VALUE, (long) (s * 1e9));
    }

    String describe() {
      return nanos > 0
          ? Stats.Fmt.plain(nanos / 1e9) + " s"
          : String.format(Locale.ROOT, "%,d ops", ops);
    }
  }

  private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(120);
  private static final long PROGRESS_EVERY_SECONDS = 3;

  private final NodeCluster cluster;
  private final Consumer<String> progress;

  Load(NodeCluster cluster, Consumer<String> progress) {
    this.cluster = cluster;
    this.progress = progress;
  }

  /** {@code n} operations, one at a time, from one session; puts of {@code valueBytes}. */
  <S> Outcome sequential(String name, String label, int valueBytes, S session, long n, Op<S> op)
      throws InterruptedException {
    Histogram h = new Histogram(HIGHEST_NANOS, 3);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long retries = 0;
    Measurement m = new Measurement(name, Size.ops(n), done, errors);
    for (long i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      try {
        Session.Ack ack = op.call(session, i).get();
        retries += ack.attempts() - 1;
        if (ack.result().ok()) {
          h.recordValue(Math.min(HIGHEST_NANOS, ack.ackNanos() - t0));
        } else {
          errors.incrementAndGet();
        }
      } catch (ExecutionException e) {
        errors.incrementAndGet();
      }
      done.incrementAndGet();
    }
    return m.finish(label, 1, valueBytes, retries, h);
  }

  <S> Outcome concurrent(
      String name, String label, int valueBytes, List<S> sessions, long total, Op<S> op)
      throws InterruptedException {
    return concurrent(name, label, valueBytes, sessions, Size.ops(total), op);
  }

  /**
   * Operations with one outstanding per session until {@code size} is reached: each session issues
   * its next as soon as the previous one is answered, so {@code sessions.size()} are in flight.
   */
  <S> Outcome concurrent(
      String name, String label, int valueBytes, List<S> sessions, Size size, Op<S> op)
      throws InterruptedException {
    Histogram h = new ConcurrentHistogram(HIGHEST_NANOS, 3);
    AtomicLong issued = new AtomicLong();
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong retries = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(sessions.size());
    Measurement m = new Measurement(name, size, done, errors);
    long deadline = size.nanos() > 0 ? m.startNanos + size.nanos() : 0;
    Run<S> run = new Run<>(op, size.ops(), deadline, issued, done, errors, retries, h, finished);
    for (S s : sessions) {
      run.next(s);
    }
    finished.await();
    return m.finish(label, sessions.size(), valueBytes, retries.get(), h);
  }

  /** The shared state of one concurrent run. */
  private record Run<S>(
      Op<S> op, long total, long deadlineNanos, AtomicLong issued, AtomicLong done, AtomicLong errors,
      AtomicLong retries, Histogram h, CountDownLatch finished) {

    void next(S s) {
      if (deadlineNanos != 0 && System.nanoTime() - deadlineNanos >= 0) {
        finished.countDown();
        return;
      }
      long i = issued.getAndIncrement();
      if (i >= total) {
        finished.countDown();
        return;
      }
      long t0 = System.nanoTime();
      op.call(s, i)
          .whenComplete(
              (ack, failure) -> {
                if (failure == null) {
                  retries.addAndGet(ack.attempts() - 1);
                }
                if (failure == null && ack.result().ok()) {
                  h.recordValue(Math.min(HIGHEST_NANOS, ack.ackNanos() - t0));
                } else {
                  errors.incrementAndGet();
                }
                done.incrementAndGet();
                next(s);
              });
    }
  }

  /**
   * What is measured around a workload: the nodes' CPU time and peak memory from its start, a
   * progress line every few seconds while it runs.
   */
  private final class Measurement {
    final long startNanos;
    private final String name;
    private final long cpu0;
    private final long n;
    private final AtomicLong done;
    private final AtomicLong errors;
    private final ScheduledExecutorService ticker;

    Measurement(String name, Size size, AtomicLong done, AtomicLong errors) {
      this.name = name;
      this.done = done;
      this.errors = errors;
      this.n = size.ops();
      cluster.resetPeakRss();
      this.cpu0 = cluster.cpuMillis();
      this.startNanos = System.nanoTime();
      this.ticker =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "load-progress");
                t.setDaemon(true);
                return t;
              });
      ticker.scheduleWithFixedDelay(
          () -> progress.accept(progressLine(name, size, done.get(), errors.get(),
              (System.nanoTime() - startNanos) / 1e9)),
          PROGRESS_EVERY_SECONDS, PROGRESS_EVERY_SECONDS, TimeUnit.SECONDS);
    }

    Outcome finish(String label, int outstanding, int valueBytes, long retries, Histogram h) {
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      ticker.shutdownNow();
      long cpu = cluster.cpuMillis() - cpu0;
      List<Double> rss = cluster.peakRssMib();
      long finished = n == Long.MAX_VALUE ? done.get() : n;
      long ok = finished - errors.get();
      double cpuPerOp = ok == 0 ? Double.NaN : cpu * 1000.0 / ok;
      return new Outcome(name, label, outstanding, valueBytes, ok, errors.get(), retries,
          seconds, h, cpuPerOp, rss);
    }

  }

  /** {@code  put-conc: 12,345 of 50,000 ops, 8,123 ops/s, 0 errors, 1.5 s}. */
  static String progressLine(String name, Size size, long done, long errors, double seconds) {
    String of =
        size.nanos() > 0
            ? String.format(Locale.ROOT, "%,d ops in %s of %s s", done, Stats.Fmt.plain(
                Math.floor(seconds * 10) / 10), Stats.Fmt.plain(size.nanos() / 1e9))
            : String.format(Locale.ROOT, "%,d of %,d ops", done, size.ops());
    return String.format(Locale.ROOT, "  %s: %s, %s ops/s, %d errors", name, of,
        Stats.Fmt.count(seconds > 0 ? done / seconds : 0), errors);
  }
}
