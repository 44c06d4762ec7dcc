package raftkv.testkit;

import akka.dispatch.DispatcherPrerequisites;
import akka.dispatch.ExecutorServiceConfigurator;
import akka.dispatch.ExecutorServiceFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * An executor that runs nothing by itself: the tasks Akka hands it (an actor's mailbox run) wait in
 * a FIFO queue until the test calls {@link #drain()}, which runs them one by one on the calling
 * thread. Actors on a dispatcher backed by it therefore run on one thread, in an order fixed by what
 * the test does, so a simulation started from one seed always takes the same course. {@link
 * #drain()} returning means every such actor is idle.
 *
 * <p>Install it with {@link #dispatcherConfig(String)}; spawn actors on that dispatcher with {@code
 * DispatcherSelector.fromConfig(name)} (and their children with {@code sameAsParent()}).
 */
public final class DeterministicExecutor extends AbstractExecutorService {

  private static final Map<String, DeterministicExecutor> BY_KEY = new ConcurrentHashMap<>();

  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private long executed;
  private volatile boolean shutdown;

  /** The executor of the dispatcher configured under {@code key}. */
  public static DeterministicExecutor forKey(String key) {
    return BY_KEY.computeIfAbsent(key, k -> new DeterministicExecutor());
  }

  /**
   * Config defining dispatcher {@code name} on a fresh executor; returns it with the key that
   * {@link #forKey} takes in {@code keyOut[0]}.
   */
  public static Config dispatcherConfig(String name, String[] keyOut) {
    String key = UUID.randomUUID().toString();
    keyOut[0] = key;
    return ConfigFactory.parseString(
        name + " {\n"
            + "  type = Dispatcher\n"
            + "  executor = \"" + Configurator.class.getName() + "\"\n"
            + "  throughput = 1\n"
            + "  deterministic-key = \"" + key + "\"\n"
            + "}\n");
  }

  @Override
  public void execute(Runnable task) {
    synchronized (queue) {
      queue.add(task);
    }
  }

  /** Runs queued tasks, and the tasks they queue, until none is left; returns how many ran. */
  public long drain() {
    long ran = 0;
    while (true) {
      Runnable next;
      synchronized (queue) {
        next = queue.poll();
      }
      if (next == null) {
        return ran;
      }
      next.run();
      ran++;
      executed++;
    }
  }

  /** Tasks run so far. */
  public long executed() {
    return executed;
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    synchronized (queue) {
      List<Runnable> left = List.copyOf(queue);
      queue.clear();
      return left;
    }
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }

  /** What Akka instantiates for {@code executor = "...Configurator"}. */
  public static final class Configurator extends ExecutorServiceConfigurator {
    private final String key;

    public Configurator(Config config, DispatcherPrerequisites prerequisites) {
      super(config, prerequisites);
      this.key = config.getString("deterministic-key");
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
      return () -> forKey(key);
    }
  }
}
