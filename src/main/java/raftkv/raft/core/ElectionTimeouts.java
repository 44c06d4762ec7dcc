package raftkv.raft.core;

import java.time.Duration;
import java.util.Random;

/**
 * Draws election timeouts uniformly from {@code [min, max)}, in whole milliseconds (§5.2:
 * randomized timeouts make split votes rare). The {@link Random} is injected so tests can seed it.
 */
public final class ElectionTimeouts {
  private final long minMillis;
  private final int spanMillis;
  private final Random random;

  public ElectionTimeouts(Duration min, Duration max, Random random) {
    this.minMillis = min.toMillis();
    this.spanMillis = (int) (max.toMillis() - minMillis);
    if (spanMillis <= 0) {
      throw new IllegalArgumentException("empty election timeout range [" + min + ", " + max + ")");
    }
    this.random = random;
  }

  public Duration next() {
    return Duration.ofMillis(minMillis + random.nextInt(spanMillis));
  }
}
