package raftkv.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A wall clock that tests control: it reads its milliseconds from a supplier (virtual time, say),
 * or, made with {@link #manual}, moves only when {@link #advance} is called.
 */
public final class TestClock extends Clock {
  private final LongSupplier millis;
  private long manual;

  public TestClock(LongSupplier millis) {
    this.millis = millis;
  }

  /** A clock that starts at {@code startMillis} and moves only by {@link #advance}. */
  public static TestClock manual(long startMillis) {
    TestClock[] c = new TestClock[1];
    c[0] = new TestClock(() -> c[0].manual);
    c[0].manual = startMillis;
    return c[0];
  }

  public synchronized void advance(Duration d) {
    manual += d.toMillis();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.getAsLong());
  }
}
