package raftkv.http;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.http.javadsl.ConnectionContext;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.ServerBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.common.Endpoint;
import raftkv.common.TlsSettings;
import raftkv.metrics.PrometheusMetrics;

/**
 * A node's HTTP API server, on the node's own ActorSystem: bound once, unbound by the coordinated
 * shutdown (new connections refused first, requests in flight given a moment to finish).
 */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
  private static final Duration UNBIND_GRACE = Duration.ofSeconds(1);

  private HttpServer() {}

  /** Plain HTTP: {@link #start(ActorSystem, Endpoint, List, PrometheusMetrics, HttpSettings, Optional, String, int)}. */
  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system,
      Endpoint self,
      List<Endpoint> members,
      PrometheusMetrics metrics,
      HttpSettings settings,
      String host,
      int port) {
    return start(system, self, members, metrics, settings, Optional.empty(), host, port);
  }

  /**
   * Binds the API of the node at {@code self} (a member of {@code members}) to {@code host}:{@code
   * port} (0: any free port), over HTTPS if {@code https} is given (see {@link
   * TlsSettings#httpsServerEngine}); the stage completes with the binding, or fails if the port
   * cannot be bound.
   */
  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system,
      Endpoint self,
      List<Endpoint> members,
      PrometheusMetrics metrics,
      HttpSettings settings,
      Optional<SSLContext> https,
      String host,
      int port) {
    HttpApi api = new HttpApi(system, new Gateway(system, self, members, settings), metrics, settings);
    ServerBuilder server = Http.get(system).newServerAt(host, port);
    if (https.isPresent()) {
      SSLContext context = https.get();
      server = server.enableHttps(ConnectionContext.httpsServer(() -> TlsSettings.httpsServerEngine(context)));
    }
    String scheme = https.isPresent() ? "HTTPS (client certificate required)" : "HTTP";
    return server
        .bind(api.route())
        .thenApply(
            binding -> {
              int bound = binding.localAddress().getPort();
              log.info("{} API listening on {}:{}", scheme, host, bound);
              String url = (https.isPresent() ? "https" : "http") + "://" + host + ":" + bound;
              system.systemActorOf(HttpAddressBook.behavior(url), HttpAddressBook.NAME, Props.empty());
              CoordinatedShutdown.get(system)
                  .addTask(
                      CoordinatedShutdown.PhaseServiceUnbind(),
                      "raftkv-http-unbind",
                      () -> binding.terminate(UNBIND_GRACE).thenApply(t -> Done.getInstance()));
              return binding;
            });
  }
}
