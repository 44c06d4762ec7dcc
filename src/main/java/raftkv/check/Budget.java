package raftkv.check;

import java.time.Duration;

/**
 * How far a search may go: at most {@code maxStates} configurations for each key, and not past
 * {@code deadlineNanos} on {@link System#nanoTime}'s clock.
 */
record Budget(long maxStates, long deadlineNanos) {

  static Budget of(long maxStates, Duration time) {
    return new Budget(maxStates, System.nanoTime() + time.toNanos());
  }

  boolean pastDeadline() {
    return System.nanoTime() - deadlineNanos > 0;
  }
}
