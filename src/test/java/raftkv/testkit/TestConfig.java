package raftkv.testkit;

import akka.actor.testkit.typed.javadsl.ManualTime;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Configurations for actor tests. The testkit does not read {@code application.conf} by itself, so
 * it is loaded here (for the serialization bindings and the {@code raftkv} defaults), with remoting
 * turned off: actors of one test JVM talk locally.
 */
public final class TestConfig {
  private TestConfig() {}

  /** application.conf with a local provider. */
  public static Config local() {
    return ConfigFactory.parseString(
            "akka.actor.provider = local\n"
                + "akka.loglevel = DEBUG\n"
                + "akka.actor.testkit.typed.single-expect-default = 5s\n")
        .withFallback(ConfigFactory.parseResources("application.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /** As {@link #local()}, with time that passes only when a test says so. */
  public static Config manualTime() {
    return ManualTime.config().withFallback(local());
  }
}
