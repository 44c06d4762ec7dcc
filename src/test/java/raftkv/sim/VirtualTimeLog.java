package raftkv.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.PrintStream;
import org.slf4j.LoggerFactory;
import raftkv.testkit.VirtualTimeScheduler;

/**
 * The log of a replayed simulation: every line of the nodes' logs, and the simulation's own
 * events, stamped with virtual time (seconds since the run began) instead of the wall clock, so a
 * replay reads as the run happened.
 */
final class VirtualTimeLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final VirtualTimeScheduler time;
  private final long originNanos;
  private final PrintStream out;
  private final Logger raftkv = (Logger) LoggerFactory.getLogger("raftkv");
  private final Level levelBefore;
  private final boolean verbose;

  /**
   * When {@code verbose}, prints everything {@code raftkv} logs, down to DEBUG, to {@code out};
   * otherwise only errors are logged, as usual (a long run logs too much to keep).
   */
  VirtualTimeLog(VirtualTimeScheduler time, PrintStream out, boolean verbose) {
    this.time = time;
    this.originNanos = time.now().toNanos();
    this.out = out;
    this.verbose = verbose;
    this.levelBefore = raftkv.getLevel();
    raftkv.setLevel(verbose ? Level.DEBUG : Level.ERROR);
    if (verbose) {
      setContext(raftkv.getLoggerContext());
      setName("virtual-time");
      start();
      raftkv.addAppender(this);
      raftkv.setAdditive(false);
    }
  }

  /** A line of the simulation's own (faults, client operations). */
  void event(String what) {
    if (verbose) {
      out.printf("%11.6f SIM  %s%n", seconds(), what);
    }
  }

  @Override
  protected void append(ILoggingEvent e) {
    String node = e.getMDCPropertyMap().getOrDefault("nodeId", "-");
    out.printf("%11.6f %-5s [%s] %s - %s%n", seconds(), e.getLevel(), node, shortName(e.getLoggerName()), e.getFormattedMessage());
  }

  private double seconds() {
    return (time.now().toNanos() - originNanos) / 1e9;
  }

  private static String shortName(String logger) {
    return logger.substring(logger.lastIndexOf('.') + 1);
  }

  @Override
  public void close() {
    raftkv.setLevel(levelBefore);
    if (verbose) {
      raftkv.detachAppender(this);
      raftkv.setAdditive(true);
      stop();
    }
  }
}
