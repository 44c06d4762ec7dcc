package raftkv.common;

import java.util.Objects;

/**
 * Where a node listens: host and port. A Raft member is identified by its endpoint, since that is
 * what every node is told about its peers on the command line.
 */
public record Endpoint(String host, int port) implements Comparable<Endpoint> {

  public Endpoint {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("empty host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1-65535");
    }
  }

  /**
   * Parses {@code PORT} (on {@code defaultHost}) or {@code HOST:PORT}.
   *
   * @throws IllegalArgumentException with a one-line reason when the text is not an endpoint
   */
  public static Endpoint parse(String text, String defaultHost) {
    String s = text.trim();
    int colon = s.lastIndexOf(':');
    String host = colon < 0 ? defaultHost : s.substring(0, colon);
    String portText = colon < 0 ? s : s.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a port or host:port");
    }
    if (host.isBlank()) {
      throw new IllegalArgumentException("'" + text + "' has an empty host");
    }
    try {
      return new Endpoint(host, port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "': " + e.getMessage());
    }
  }

  @Override
  public int compareTo(Endpoint o) {
    int c = host.compareTo(o.host);
    return c != 0 ? c : Integer.compare(port, o.port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
