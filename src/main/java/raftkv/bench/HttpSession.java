package raftkv.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ErrorCode;
import raftkv.api.Result;

/**
 * One benchmark client of the HTTP API, as a program in another language would use it: HTTP/1.1
 * with keep-alive (the JDK's client pools its connections), one session registered once ({@code
 * POST /v1/sessions}) whose writes carry {@code Raftkv-Client-Id} and the next {@code Raftkv-Seq},
 * every request to one node. One attempt per request: the node's gateway does the retrying, so a
 * request that is not answered 2xx counts as an error.
 */
final class HttpSession {
  /** Shared by every session of one benchmark: its pool holds one connection per request in flight. */
  static final class Pool implements AutoCloseable {
    private final ExecutorService executor =
        Executors.newFixedThreadPool(2, r -> {
          Thread t = new Thread(r, "bench-http");
          t.setDaemon(true);
          return t;
        });
    final HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .executor(executor)
            .build();

    @Override
    public void close() {
      executor.shutdownNow();
    }
  }

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final Pool pool;
  private final URI base;
  private final String clientId;
  private long seq;
  private boolean registered;

  /** {@code base} is a node's HTTP address, e.g. {@code http://127.0.0.1:10401}. */
  HttpSession(Pool pool, URI base, String clientId) {
    this.pool = pool;
    this.base = base;
    this.clientId = clientId;
  }

  /** A put under the next seq; the session's first put registers it first (not timed). */
  CompletableFuture<Session.Ack> put(String key, String value) {
    long s;
    synchronized (this) {
      s = ++seq;
    }
    return register()
        .thenCompose(ok -> send(
            HttpRequest.newBuilder(keyUri(key, ""))
                .timeout(REQUEST_TIMEOUT)
                .header("Raftkv-Client-Id", clientId)
                .header("Raftkv-Seq", Long.toString(s))
                .header("Content-Type", "text/plain; charset=utf-8")
                .PUT(HttpRequest.BodyPublishers.ofString(value, StandardCharsets.UTF_8))
                .build()));
  }

  CompletableFuture<Session.Ack> get(String key, Consistency consistency) {
    String query = consistency == Consistency.STALE ? "?stale=true" : "";
    return send(HttpRequest.newBuilder(keyUri(key, query)).timeout(REQUEST_TIMEOUT).GET().build());
  }

  private synchronized CompletableFuture<Void> register() {
    if (registered) {
      return CompletableFuture.completedFuture(null);
    }
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("/v1/sessions"))
            .timeout(REQUEST_TIMEOUT)
            .header("Raftkv-Client-Id", clientId)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    return send(request).thenApply(ack -> {
      if (!ack.result().ok()) {
        throw new IllegalStateException("registering " + clientId + " over HTTP: " + ack.result().message());
      }
      synchronized (this) {
        registered = true;
      }
      return null;
    });
  }

  private URI keyUri(String key, String query) {
    // URLEncoder writes a space as '+', which the API reads as a plus: write %20.
    String path = URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
    return base.resolve("/v1/kv/" + path + query);
  }

  private CompletableFuture<Session.Ack> send(HttpRequest request) {
    long t0 = System.nanoTime();
    return pool.client
        .sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .handle((response, failure) -> new Session.Ack(t0, t0, System.nanoTime(), 1,
            failure == null ? result(response.statusCode(), response.body()) : unanswered(failure)));
  }

  /** The reply as a {@link Result}: 2xx with {@code "ok":true} is a success, anything else an error. */
  static Result result(int status, String body) {
    JsonNode n;
    try {
      n = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      return Result.error(ErrorCode.UNAVAILABLE, "HTTP " + status + " with a body that is not JSON");
    }
    if (status / 100 == 2 && n.path("ok").asBoolean(false)) {
      return n.has("value")
          ? Result.value(n.get("value").isNull() ? null : n.get("value").asText(), n.path("index").asLong(0))
          : Result.written(n.path("index").asLong(0));
    }
    String code = n.path("error").asText("unavailable");
    ErrorCode error;
    try {
      error = ErrorCode.valueOf(code.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException unknown) {
      error = ErrorCode.UNAVAILABLE;
    }
    return Result.error(error, "HTTP " + status + ": " + n.path("message").asText(code));
  }

  private static Result unanswered(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    return Result.error(ErrorCode.TIMEOUT, "no HTTP answer: " + cause);
  }
}
