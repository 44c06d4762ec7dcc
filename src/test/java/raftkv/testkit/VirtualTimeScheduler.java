package raftkv.testkit;

import akka.actor.Cancellable;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.event.LoggingAdapter;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * A scheduler whose clock moves only when a test calls {@link #advance}: the controllable clock of
 * the in-JVM cluster tests. Akka's {@code ManualTime} does the same but sleeps 100 ms of real time on
 * every step, which makes thousands of small steps (needed to interleave heartbeats and timeouts
 * faithfully) take minutes; here a step costs microseconds, and the caller settles the actors
 * instead. Due tasks run on the calling thread, in due-time order (ties in scheduling order).
 */
public final class VirtualTimeScheduler implements akka.actor.Scheduler {

  /** Config that installs this scheduler in an ActorSystem. */
  public static Config config() {
    return ConfigFactory.parseString(
        "akka.scheduler.implementation = \"" + VirtualTimeScheduler.class.getName() + "\"");
  }

  /** The scheduler of a system started with {@link #config()}. */
  public static VirtualTimeScheduler of(ActorSystem<?> system) {
    return (VirtualTimeScheduler) Adapter.toClassic(system).scheduler();
  }

  private record Key(long due, long seq) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final class Task implements Cancellable {
    final Runnable runnable;
    final long intervalNanos; // 0: once
    volatile boolean cancelled;
    volatile Key key;

    Task(Runnable runnable, long intervalNanos) {
      this.runnable = runnable;
      this.intervalNanos = intervalNanos;
    }

    @Override
    public boolean cancel() {
      boolean was = !cancelled;
      cancelled = true;
      Key k = key;
      return was && k != null && tasks.remove(k) != null;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }
  }

  private final ConcurrentSkipListMap<Key, Task> tasks = new ConcurrentSkipListMap<>();
  private final AtomicLong seq = new AtomicLong();
  private volatile long nowNanos;

  public VirtualTimeScheduler(Config config, LoggingAdapter log, ThreadFactory threadFactory) {}

  /** Virtual time since the system started. */
  public Duration now() {
    return Duration.ofNanos(nowNanos);
  }

  /** Moves the clock forward by {@code d}, running every task that falls due, in order. */
  public synchronized void advance(Duration d) {
    long target = nowNanos + d.toNanos();
    while (true) {
      var first = tasks.firstEntry();
      if (first == null || first.getKey().due() > target) {
        break;
      }
      tasks.remove(first.getKey());
      Task t = first.getValue();
      nowNanos = Math.max(nowNanos, first.getKey().due());
      if (t.cancelled) {
        continue;
      }
      try {
        t.runnable.run();
      } finally {
        if (t.intervalNanos > 0 && !t.cancelled) {
          enqueue(t, nowNanos + t.intervalNanos);
        }
      }
    }
    nowNanos = target;
  }

  /**
   * Runs the earliest task if it falls due by the virtual time {@code deadline} (moving the clock to
   * its due time); returns false, with the clock unmoved, when none does. Lets a caller react to
   * each event before the next one happens; {@link #advance} then moves the clock the rest of the
   * way.
   */
  public synchronized boolean runNextDueBy(Duration deadline) {
    long target = deadline.toNanos();
    while (true) {
      var first = tasks.firstEntry();
      if (first == null || first.getKey().due() > target) {
        return false;
      }
      tasks.remove(first.getKey());
      Task t = first.getValue();
      if (t.cancelled) {
        continue;
      }
      nowNanos = Math.max(nowNanos, first.getKey().due());
      try {
        t.runnable.run();
      } finally {
        if (t.intervalNanos > 0 && !t.cancelled) {
          enqueue(t, nowNanos + t.intervalNanos);
        }
      }
      return true;
    }
  }

  private Task enqueue(Task t, long due) {
    Key k = new Key(due, seq.incrementAndGet());
    t.key = k;
    tasks.put(k, t);
    return t;
  }

  @Override
  public Cancellable scheduleOnce(
      FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
    return enqueue(new Task(runnable, 0), nowNanos + Math.max(0, delay.toNanos()));
  }

  @Override
  @Deprecated
  public Cancellable schedule(
      FiniteDuration initialDelay,
      FiniteDuration interval,
      Runnable runnable,
      ExecutionContext executor) {
    return enqueue(
        new Task(runnable, Math.max(1, interval.toNanos())),
        nowNanos + Math.max(0, initialDelay.toNanos()));
  }

  @Override
  public double maxFrequency() {
    return 1000;
  }
}
