package raftkv.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.Optional;
import raftkv.common.TlsSettings;

/** The configuration of a client's ActorSystem, shared by the CLI and the benchmark. */
public final class ClientConfig {
  private ClientConfig() {}

  /**
   * {@code application.conf} (serialization, frame size) with the client's own address on an
   * ephemeral port and its log level; {@code -D} system properties still win.
   *
   * <p>Artery terminates the whole ActorSystem when a stream restarts more than {@code
   * *-max-restarts} times within 5 s, which is what repeated sends to a node that is down do
   * (every connection refused is a restart). A client that keeps trying other nodes (a shell, a
   * long timeout) must survive that, whatever the nodes' own setting: the limits are lifted.
   */
  public static Config forHost(String hostname) {
    return forHost(hostname, ConfigFactory.empty());
  }

  /**
   * As {@link #forHost(String)}, with {@code tls} ({@link TlsSettings#forDir}, or empty) over
   * {@code application.conf}: when {@code raftkv.tls} is then on, the client's Artery uses TLS with
   * its certificate (the nodes require one their CA signed).
   *
   * @throws IllegalArgumentException with a one-line reason when TLS is on but its stores cannot
   *     be used (missing, wrong password)
   */
  public static Config forHost(String hostname, Config tls) {
    Config client =
        ConfigFactory.parseMap(
            Map.of(
                "akka.remote.artery.canonical.hostname", hostname,
                "akka.remote.artery.canonical.port", 0,
                "akka.remote.artery.advanced.outbound-max-restarts", Integer.MAX_VALUE,
                "akka.remote.artery.advanced.inbound-max-restarts", Integer.MAX_VALUE,
                "akka.loglevel", "WARNING",
                // Start-up and shutdown log through a stdout logger: stdout holds only results.
                "akka.stdout-loglevel", "OFF",
                "akka.remote.warn-unsafe-watch-outside-cluster", "off",
                "akka.coordinated-shutdown.run-by-jvm-shutdown-hook", "off"));
    Config config =
        ConfigFactory.systemProperties()
            .withFallback(client)
            .withFallback(tls)
            .withFallback(ConfigFactory.load())
            .resolve();
    Optional<TlsSettings> settings = TlsSettings.fromConfig(config, System.getenv());
    if (settings.isEmpty()) {
      return config;
    }
    settings.get().sslContext(); // loads both stores: a bad one is refused before any connection
    return settings.get().akkaConfig().withFallback(config);
  }
}
