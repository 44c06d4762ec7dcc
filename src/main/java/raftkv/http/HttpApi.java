package raftkv.http;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpCharset;
import akka.http.javadsl.model.HttpCharsets;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.Location;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.Route;
import akka.http.scaladsl.model.EntityStreamSizeException;
import akka.stream.Materializer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.api.ResultJson;
import raftkv.metrics.PrometheusMetrics;

/**
 * The routes of a node's HTTP API: the key-value operations under {@code /v1/kv/}, sessions,
 * status, and the operations endpoints. Every answer is JSON (but {@code /metrics}); every error is
 * {@code {"ok":false,"error":CODE,"message":...}} with the CLI's codes. The README documents it.
 *
 * <p>Writes are exactly-once under a session named in two headers, {@value #CLIENT_ID_HEADER} and
 * {@value #SEQ_HEADER}; a write without them registers a fresh session and writes seq 1 of it,
 * and every write's answer names the session and seq it used, so that a client whose request
 * timed out can retry it with the same two headers.
 */
public final class HttpApi extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  public static final String CLIENT_ID_HEADER = "Raftkv-Client-Id";
  public static final String SEQ_HEADER = "Raftkv-Seq";
  /** Added by Akka HTTP ({@code akka.http.server.raw-request-uri-header = on}). */
  private static final String RAW_URI_HEADER = "Raw-Request-URI";

  /** A cas body holds two values as JSON strings: escapes can make it several times their size. */
  static final long MAX_CAS_BODY_BYTES = 8L * Limits.MAX_VALUE_BYTES;
  private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(1);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Gateway gateway;
  private final PrometheusMetrics metrics;
  private final HttpSettings settings;
  private final Materializer materializer;

  HttpApi(ActorSystem<?> system, Gateway gateway, PrometheusMetrics metrics, HttpSettings settings) {
    this.gateway = gateway;
    this.metrics = metrics;
    this.settings = settings;
    this.materializer = Materializer.matFromSystem(system);
  }

  Route route() {
    return extractRequest(
        request -> mapResponse(
            response -> observed(request, response),
            () -> handleExceptions(
                exceptions(),
                () -> handleRejections(rejections(), () -> routes(request)))));
  }

  private Route routes(HttpRequest request) {
    return concat(
        pathPrefix("v1", () -> concat(
            pathPrefix("kv", () -> completeWithFuture(kv(request))),
            path("sessions", () -> post(() -> completeWithFuture(register(request)))),
            path("status", () -> get(() -> completeWithFuture(status()))))),
        path("metrics", () -> get(() -> completeWithFuture(metrics()))),
        path("health", () -> get(() -> completeWithFuture(probe(true)))),
        path("ready", () -> get(() -> completeWithFuture(probe(false)))));
  }

  private HttpResponse observed(HttpRequest request, HttpResponse response) {
    metrics.httpRequest(request.method().name(), response.status().intValue());
    log.debug("{} {} -> {}", request.method().name(), rawTarget(request), response.status().intValue());
    return response;
  }

  // ---------------------------------------------------------------------------------------------
  // Keys

  private CompletionStage<HttpResponse> kv(HttpRequest request) {
    if (KeyPath.isKeys(rawTarget(request))) {
      String method = request.method().name();
      return method.equals("GET") ? scan(request) : done(methodNotAllowed(method, "GET"));
    }
    KeyPath target;
    try {
      target = KeyPath.parse(rawTarget(request));
    } catch (KeyPath.Invalid e) {
      return done(error(e.notFound ? 404 : 400, ErrorCode.INVALID_REQUEST, e.getMessage()));
    }
    String method = request.method().name();
    String key = target.key();
    return switch (target.action()) {
      case KEY -> switch (method) {
        case "GET" -> read(request, key);
        case "PUT" -> body(request, Limits.MAX_VALUE_BYTES, bytes -> {
          Optional<String> value = Responses.utf8(bytes);
          return value.isEmpty()
              ? done(error(415, Responses.notUtf8()))
              : write(request, new Op.Put(key, value.get()));
        });
        case "DELETE" -> write(request, new Op.Delete(key));
        default -> done(methodNotAllowed(method, "GET, PUT, DELETE"));
      };
      case CAS -> method.equals("POST")
          ? body(request, MAX_CAS_BODY_BYTES, bytes -> cas(request, key, bytes))
          : done(methodNotAllowed(method, "POST"));
      case INCR -> method.equals("POST") ? incr(request, key) : done(methodNotAllowed(method, "POST"));
    };
  }

  private CompletionStage<HttpResponse> read(HttpRequest request, String key) {
    Optional<Boolean> stale = flag(request, "stale");
    if (stale.isEmpty()) {
      return done(error(400, ErrorCode.INVALID_REQUEST, "stale must be true or false"));
    }
    Consistency consistency = stale.get() ? Consistency.STALE : Consistency.LINEARIZABLE;
    Optional<Result> refused = Limits.checkKey(key);
    if (refused.isPresent()) {
      return done(result(ResultJson.Kind.GET, refused.get(), List.of()));
    }
    return gateway.read(key, consistency).thenApply(r -> result(ResultJson.Kind.GET, r, List.of()));
  }

  /**
   * {@code GET /v1/kv?prefix=P&limit=N&keys_only=B&stale=B&after=C}: one page of the keys that
   * start with P (none given: every key), strictly after continuation C, linearizable unless
   * stale. The answer's {@code continuation} is the next page's {@code after}, null on the last.
   */
  private CompletionStage<HttpResponse> scan(HttpRequest request) {
    Optional<Boolean> stale = flag(request, "stale");
    Optional<Boolean> keysOnly = flag(request, "keys_only");
    if (stale.isEmpty() || keysOnly.isEmpty()) {
      return done(error(400, ErrorCode.INVALID_REQUEST,
          (stale.isEmpty() ? "stale" : "keys_only") + " must be true or false"));
    }
    String prefix = request.getUri().query().get("prefix").orElse("");
    String after = request.getUri().query().get("after").orElse(null);
    Optional<String> limitText = request.getUri().query().get("limit");
    int limit = 0;
    if (limitText.isPresent()) {
      try {
        limit = Integer.parseInt(limitText.get());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1) {
        return done(error(400, ErrorCode.INVALID_REQUEST,
            "limit must be a decimal integer from 1 to " + Limits.MAX_SCAN_LIMIT));
      }
    }
    Optional<Result> refused = Limits.checkScan(prefix, after, limit);
    if (refused.isPresent()) {
      return done(scanPage(ScanReply.failed(refused.get()), keysOnly.get()));
    }
    boolean keys = keysOnly.get();
    return gateway
        .scan(prefix, after, limit, keys, stale.get() ? Consistency.STALE : Consistency.LINEARIZABLE)
        .thenApply(page -> scanPage(page, keys));
  }

  private static HttpResponse scanPage(ScanReply page, boolean keysOnly) {
    return json(
        Responses.status(ResultJson.Kind.WRITE, page.result()), ResultJson.scan(page, keysOnly), List.of());
  }

  /**
   * A true/false query parameter: false when absent, true when given empty ({@code ?stale}); empty
   * when it is anything else.
   */
  private static Optional<Boolean> flag(HttpRequest request, String name) {
    Optional<String> text = request.getUri().query().get(name);
    if (text.isEmpty() || text.get().equals("false")) {
      return Optional.of(false);
    }
    if (text.get().equals("true") || text.get().isEmpty()) {
      return Optional.of(true);
    }
    return Optional.empty();
  }

  private CompletionStage<HttpResponse> cas(HttpRequest request, String key, byte[] bytes) {
    if (!Responses.utf8(bytes).isPresent()) {
      return done(error(415, Responses.notUtf8()));
    }
    JsonNode body;
    try {
      body = JSON.readTree(bytes);
    } catch (java.io.IOException e) {
      body = null;
    }
    String usage = "cas takes a JSON body {\"expected\":OLD,\"value\":NEW}; expected null: the key must be absent";
    if (body == null || !body.isObject() || !body.has("expected") || !body.has("value")) {
      return done(error(400, ErrorCode.INVALID_REQUEST, usage));
    }
    JsonNode expected = body.get("expected");
    JsonNode value = body.get("value");
    if (!(expected.isNull() || expected.isTextual()) || !value.isTextual() || body.size() != 2) {
      return done(error(400, ErrorCode.INVALID_REQUEST, usage));
    }
    return write(request, new Op.Cas(key, expected.isNull() ? null : expected.textValue(), value.textValue()));
  }

  private CompletionStage<HttpResponse> incr(HttpRequest request, String key) {
    Optional<String> text = request.getUri().query().get("delta");
    long delta = 1;
    if (text.isPresent()) {
      try {
        delta = Long.parseLong(text.get());
      } catch (NumberFormatException e) {
        return done(error(400, ErrorCode.INVALID_REQUEST, "delta must be a 64-bit decimal integer"));
      }
    }
    return write(request, new Op.Incr(key, delta));
  }

  /**
   * A write under the session the headers name, or, with neither header, under a fresh session
   * registered for it (seq 1).
   */
  private CompletionStage<HttpResponse> write(HttpRequest request, Op op) {
    return redirectedOr(request, () -> writeHere(request, op));
  }

  /**
   * With {@code follower-writes = redirect}, a 307 to the same target at the leader's API when
   * another node leads; otherwise (or when the leader is not known) {@code here}.
   */
  private CompletionStage<HttpResponse> redirectedOr(
      HttpRequest request, Supplier<CompletionStage<HttpResponse>> here) {
    if (!settings.redirectWrites()) {
      return here.get();
    }
    return gateway.leaderElsewhere().thenCompose(leader -> {
      if (leader.isEmpty()) {
        return here.get();
      }
      String location = leader.get() + rawTarget(request);
      ObjectNode body = ResultJson.object();
      body.put("ok", false);
      body.put("error", ErrorCode.NOT_LEADER.code());
      body.put("message", "this node is a follower: send writes to the leader, " + location);
      body.put("leader", leader.get());
      return done(json(307, body, List.of(Location.create(location))));
    });
  }

  private CompletionStage<HttpResponse> writeHere(HttpRequest request, Op op) {
    Optional<String> clientId = header(request, CLIENT_ID_HEADER);
    Optional<String> seqText = header(request, SEQ_HEADER);
    ResultJson.Kind kind = ResultJson.kindOf(op);
    if (clientId.isPresent() != seqText.isPresent()) {
      return done(error(400, ErrorCode.INVALID_REQUEST,
          "give both " + CLIENT_ID_HEADER + " and " + SEQ_HEADER + ", or neither (a fresh session)"));
    }
    long seq = 1;
    if (seqText.isPresent()) {
      try {
        seq = Long.parseLong(seqText.get().strip());
      } catch (NumberFormatException e) {
        return done(error(400, ErrorCode.INVALID_REQUEST, SEQ_HEADER + " must be a decimal integer"));
      }
    }
    // Refused here, before a session is registered for it: the leader would refuse it the same way.
    Optional<Result> refused = Limits.check(clientId.orElse("-"), seq, op);
    if (refused.isPresent()) {
      return done(result(kind, refused.get(), List.of()));
    }
    if (clientId.isPresent()) {
      return write(clientId.get(), seq, op);
    }
    return gateway.register(null).thenCompose(r -> {
      if (!r.ok()) {
        return done(error(503, ErrorCode.UNAVAILABLE,
            "no session could be registered (" + r.message() + "); the write was not sent"));
      }
      return write(r.value(), 1, op);
    });
  }

  private CompletionStage<HttpResponse> write(String clientId, long seq, Op op) {
    List<HttpHeader> session =
        List.of(RawHeader.create(CLIENT_ID_HEADER, clientId), RawHeader.create(SEQ_HEADER, Long.toString(seq)));
    return gateway.write(clientId, seq, op).thenApply(r -> result(ResultJson.kindOf(op), r, session));
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions, status, operations

  private CompletionStage<HttpResponse> register(HttpRequest request) {
    return redirectedOr(request, () -> registerHere(request));
  }

  private CompletionStage<HttpResponse> registerHere(HttpRequest request) {
    Optional<String> clientId = header(request, CLIENT_ID_HEADER);
    Optional<Result> refused = Limits.checkClientId(clientId.orElse(null));
    if (refused.isPresent()) {
      return done(result(ResultJson.Kind.WRITE, refused.get(), List.of()));
    }
    return gateway.register(clientId.orElse(null)).thenApply(r -> {
      if (!r.ok()) {
        return result(ResultJson.Kind.WRITE, r, List.of());
      }
      ObjectNode n = ResultJson.object();
      n.put("ok", true);
      n.put("clientId", r.value());
      n.put("index", r.index());
      return json(200, n, List.of(RawHeader.create(CLIENT_ID_HEADER, r.value())));
    });
  }

  private CompletionStage<HttpResponse> status() {
    return ownStatus().thenApply(s -> s == null
        ? error(503, ErrorCode.UNAVAILABLE, notAnswering())
        : json(200, ResultJson.statusWithPeers(s), List.of()));
  }

  private CompletionStage<HttpResponse> metrics() {
    return ownStatus().thenApply(s -> {
      metrics.update(s);
      return HttpResponse.create()
          .withStatus(200)
          .withEntity(ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape());
    });
  }

  /** {@code /health} ({@code leader}: a leader must be known) or {@code /ready}. */
  private CompletionStage<HttpResponse> probe(boolean leader) {
    return ownStatus().thenApply(s -> {
      ObjectNode n = ResultJson.object();
      if (s == null) {
        n.put("ok", false);
        n.put("reason", notAnswering());
        return json(503, n, List.of());
      }
      Optional<String> why =
          leader ? Responses.notHealthy(s, settings.maxApplyLag()) : Responses.notReady(s, settings.maxApplyLag());
      n.put("ok", why.isEmpty());
      if (why.isPresent()) {
        n.put("reason", why.get());
      }
      n.put("role", s.role());
      n.put("term", s.term());
      n.put("leader", s.leaderId());
      n.put("commitIndex", s.commitIndex());
      n.put("lastApplied", s.lastApplied());
      return json(why.isEmpty() ? 200 : 503, n, List.of());
    });
  }

  /** This node's status, or null if it does not answer in time. */
  private CompletionStage<NodeStatus> ownStatus() {
    return gateway.status(STATUS_TIMEOUT).handle((s, failure) -> failure == null ? s : null);
  }

  private static String notAnswering() {
    return "the node did not answer its status within " + STATUS_TIMEOUT.toMillis() + " ms";
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Reads the whole body, at most {@code maxBytes} (else 413), then runs {@code then} on it. */
  private CompletionStage<HttpResponse> body(
      HttpRequest request, long maxBytes, Function<byte[], CompletionStage<HttpResponse>> then) {
    Optional<HttpCharset> charset = request.entity().getContentType().getCharsetOption();
    if (charset.isPresent()
        && !charset.get().equals(HttpCharsets.UTF_8)
        && !charset.get().equals(HttpCharsets.US_ASCII)) {
      return done(error(415, ErrorCode.INVALID_REQUEST,
          "the body's charset is " + charset.get().value() + "; send UTF-8 text"));
    }
    return request.entity()
        .withSizeLimit(maxBytes)
        .toStrict(BODY_TIMEOUT.toMillis(), materializer)
        .handle((strict, failure) -> {
          if (failure == null) {
            return then.apply(strict.getData().toArray());
          }
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
          if (cause instanceof EntityStreamSizeException) {
            return done(error(413, ErrorCode.TOO_LARGE,
                "the body is over " + maxBytes + " bytes; a value is at most " + Limits.MAX_VALUE_BYTES + " bytes (1 MiB)"));
          }
          return done(error(400, ErrorCode.INVALID_REQUEST, "the body could not be read: " + cause.getMessage()));
        })
        .thenCompose(response -> response);
  }

  private static String rawTarget(HttpRequest request) {
    return request.getHeader(RAW_URI_HEADER).map(HttpHeader::value).orElse(request.getUri().path());
  }

  private static Optional<String> header(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value);
  }

  private static HttpResponse result(ResultJson.Kind kind, Result r, List<HttpHeader> headers) {
    return json(Responses.status(kind, r), ResultJson.of(kind, r), headers);
  }

  static HttpResponse error(int status, ErrorCode code, String message) {
    return error(status, Result.error(code, message));
  }

  static HttpResponse error(int status, Result r) {
    return json(status, ResultJson.of(ResultJson.Kind.WRITE, r), List.of());
  }

  private static HttpResponse methodNotAllowed(String method, String allowed) {
    return error(405, ErrorCode.INVALID_REQUEST, "method " + method + " is not allowed here; use " + allowed);
  }

  static HttpResponse json(int status, ObjectNode body, List<HttpHeader> headers) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, bytes)
        .addHeaders(headers);
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  /** Anything thrown in a route: one JSON line, never a stack trace; the log has the rest. */
  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> {
          log.warn("HTTP request failed: {}", e.toString());
          return complete(error(500, ErrorCode.UNAVAILABLE, "internal error: " + e.getClass().getSimpleName()));
        })
        .build();
  }

  /** Akka HTTP's own refusals (no such path, wrong method, ...), as JSON errors. */
  private static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler()
        .mapRejectionResponse(response -> {
          if (response.entity() instanceof HttpEntity.Strict strict
              && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
            int code = response.status().intValue();
            String text = strict.getData().decodeString(StandardCharsets.UTF_8).strip();
            return error(code, code == 413 ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_REQUEST,
                code == 404 ? "no such path; see the README for the API" : text);
          }
          return response;
        });
  }
}
