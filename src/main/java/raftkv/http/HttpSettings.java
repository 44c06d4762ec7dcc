package raftkv.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The HTTP API's settings, from {@code raftkv.http} (defaults in the jar's {@code reference.conf}).
 *
 * @param requestTimeout how long one request may take, forwarding and retries included; then a
 *     write answers {@code timeout} (504, outcome unknown)
 * @param attemptTimeout how long one attempt at one node may take before the next node is tried
 * @param maxApplyLag the most committed entries a node may have left to apply and still be ready
 *     and healthy
 * @param redirectWrites whether a follower answers a write (and a session registration) with
 *     {@code 307} and the leader's address ({@code follower-writes = redirect}) rather than
 *     forwarding it ({@code forward}, the default)
 */
public record HttpSettings(
    Duration requestTimeout, Duration attemptTimeout, long maxApplyLag, boolean redirectWrites) {

  /** Forwarding writes from followers, as before there was a choice. */
  public HttpSettings(Duration requestTimeout, Duration attemptTimeout, long maxApplyLag) {
    this(requestTimeout, attemptTimeout, maxApplyLag, false);
  }

  public HttpSettings {
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("raftkv.http.request-timeout must be positive");
    }
    if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      throw new IllegalArgumentException("raftkv.http.attempt-timeout must be positive");
    }
    if (maxApplyLag < 0) {
      throw new IllegalArgumentException("raftkv.http.health-max-apply-lag must not be negative");
    }
  }

  public static HttpSettings fromConfig(Config config) {
    Config c = config.getConfig("raftkv.http");
    String followerWrites = c.getString("follower-writes");
    if (!followerWrites.equals("forward") && !followerWrites.equals("redirect")) {
      throw new IllegalArgumentException(
          "raftkv.http.follower-writes is '" + followerWrites + "': forward or redirect");
    }
    return new HttpSettings(
        c.getDuration("request-timeout"),
        c.getDuration("attempt-timeout"),
        c.getLong("health-max-apply-lag"),
        followerWrites.equals("redirect"));
  }
}
