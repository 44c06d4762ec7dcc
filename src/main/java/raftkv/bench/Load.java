package raftkv.bench;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Runs a workload and measures it: latency from the call to its definitive answer (retries
 * included), throughput over the whole run, and the nodes' CPU time per operation.
 */
final class Load {
  /** One operation, number {@code i}, issued by {@code session}. */
  interface Op {
    CompletableFuture<Session.Ack> call(Session session, long i);
  }

  /** The figures of one workload; latencies in nanoseconds in {@code latency}. */
  record Outcome(
      String name, String label, long ops, long errors, long retries, double seconds,
      Histogram latency, double nodeCpuMicrosPerOp) {

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
  }

  private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(120);

  private final NodeCluster cluster;

  Load(NodeCluster cluster) {
    this.cluster = cluster;
  }

  /** {@code n} operations, one at a time, from one session. */
  Outcome sequential(String name, String label, Session session, long n, Op op)
      throws InterruptedException {
    Histogram h = new Histogram(HIGHEST_NANOS, 3);
    long errors = 0;
    long retries = 0;
    long cpu0 = cluster.cpuMillis();
    long start = System.nanoTime();
    for (long i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      try {
        Session.Ack ack = op.call(session, i).get();
        retries += ack.attempts() - 1;
        if (ack.result().ok()) {
          h.recordValue(Math.min(HIGHEST_NANOS, ack.ackNanos() - t0));
        } else {
          errors++;
        }
      } catch (ExecutionException e) {
        errors++;
      }
    }
    return outcome(name, label, n, errors, retries, start, h, cpu0);
  }

  /**
   * {@code total} operations with one outstanding per session: each session issues its next as
   * soon as the previous one is answered, so {@code sessions.size()} are in flight.
   */
  Outcome concurrent(String name, String label, List<Session> sessions, long total, Op op)
      throws InterruptedException {
    Histogram h = new ConcurrentHistogram(HIGHEST_NANOS, 3);
    AtomicLong issued = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong retries = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(sessions.size());
    long cpu0 = cluster.cpuMillis();
    long start = System.nanoTime();
    for (Session s : sessions) {
      next(s, op, total, issued, errors, retries, h, finished);
    }
    finished.await();
    return outcome(name, label, total, errors.get(), retries.get(), start, h, cpu0);
  }

  private static void next(
      Session s, Op op, long total, AtomicLong issued, AtomicLong errors, AtomicLong retries,
      Histogram h, CountDownLatch finished) {
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
              next(s, op, total, issued, errors, retries, h, finished);
            });
  }

  private Outcome outcome(
      String name, String label, long n, long errors, long retries, long start, Histogram h,
      long cpu0) {
    double seconds = (System.nanoTime() - start) / 1e9;
    long ok = n - errors;
    double cpuPerOp = ok == 0 ? Double.NaN : (cluster.cpuMillis() - cpu0) * 1000.0 / ok;
    return new Outcome(name, label, ok, errors, retries, seconds, h, cpuPerOp);
  }
}
