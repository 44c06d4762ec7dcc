package raftkv.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** A small HTTP client for tests of the HTTP API, on 127.0.0.1 only. */
public final class HttpCalls {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpCalls() {}

  /** One answer: status, headers, body as text, and the body as JSON when it parses. */
  public record Answer(int status, HttpResponse<byte[]> raw) {
    public String body() {
      return new String(raw.body(), StandardCharsets.UTF_8);
    }

    public JsonNode json() {
      try {
        return JSON.readTree(raw.body());
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body(), e);
      }
    }

    public Optional<String> header(String name) {
      return raw.headers().firstValue(name);
    }

    @Override
    public String toString() {
      return status + " " + body();
    }
  }

  public static Answer get(int port, String path) {
    return send(port, "GET", path, (byte[]) null, Map.of());
  }

  public static Answer send(int port, String method, String path, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(20))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    try {
      HttpResponse<byte[]> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(r.statusCode(), r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * One request line sent as it is, over a socket (java.net.http refuses malformed targets); the
   * answer's status only, and its body as text.
   */
  public static RawAnswer raw(int port, String requestLine) {
    try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(
          (requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(all.split(" ", 3)[1]);
      int body = all.indexOf("\r\n\r\n");
      return new RawAnswer(status, body < 0 ? "" : all.substring(body + 4));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public record RawAnswer(int status, String body) {}

  public static Answer send(int port, String method, String path, String body, Map<String, String> headers) {
    return send(port, method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
  }
}
