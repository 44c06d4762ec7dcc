package raftkv.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A {@code /v1/kv/...} request target, parsed from the raw request line: {@code /v1/kv/KEY},
 * {@code /v1/kv/KEY/cas} or {@code /v1/kv/KEY/incr}, the key one percent-encoded path segment (a
 * {@code /} in a key is {@code %2F}; {@code +} is a plus). The key is decoded strictly as UTF-8: a
 * key whose bytes are not UTF-8 is refused, never replaced with other characters.
 */
record KeyPath(String key, Action action) {

  static final String PREFIX = "/v1/kv/";

  enum Action {
    /** GET, PUT or DELETE on the key itself. */
    KEY,
    CAS,
    INCR
  }

  /** Why a target is not a key path: {@code notFound} for an unknown path, else a bad key. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean notFound;

    Invalid(String message, boolean notFound) {
      super(message, null, false, false);
      this.notFound = notFound;
    }
  }

  /** The collection of every key, {@code /v1/kv}: a GET there scans. */
  static final String KEYS = "/v1/kv";

  /** Whether a raw request target is the collection of keys ({@link #KEYS}), whatever its query. */
  static boolean isKeys(String target) {
    return path(target).equals(KEYS);
  }

  /** Parses a raw request target (origin form, or absolute form from a proxy). */
  static KeyPath parse(String target) throws Invalid {
    return parsePath(path(target));
  }

  /** The path of a raw request target: no scheme and authority, no query, no fragment. */
  private static String path(String target) {
    String path = target;
    int scheme = path.indexOf("://");
    if (scheme > 0 && scheme < path.indexOf('/')) {
      int slash = path.indexOf('/', scheme + 3);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    int fragment = path.indexOf('#');
    if (fragment >= 0) {
      path = path.substring(0, fragment);
    }
    return path;
  }

  private static KeyPath parsePath(String path) throws Invalid {
    if (!path.startsWith(PREFIX)) {
      throw new Invalid("no such path: " + path + "; keys are under " + PREFIX, true);
    }
    String rest = path.substring(PREFIX.length());
    String[] parts = rest.split("/", -1);
    Action action;
    if (parts.length == 1) {
      action = Action.KEY;
    } else if (parts.length == 2 && parts[1].equals("cas")) {
      action = Action.CAS;
    } else if (parts.length == 2 && parts[1].equals("incr")) {
      action = Action.INCR;
    } else {
      throw new Invalid(
          "no such path: " + path + "; a key is one path segment (encode '/' as %2F),"
              + " followed by nothing, /cas or /incr", true);
    }
    if (parts[0].isEmpty()) {
      throw new Invalid("key is empty", false);
    }
    return new KeyPath(decode(parts[0]), action);
  }

  /** Percent-decodes {@code s} and reads the bytes as UTF-8, refusing malformed input. */
  static String decode(String s) throws Invalid {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length() || hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0) {
          throw new Invalid("key holds a malformed percent escape", false);
        }
        bytes.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new Invalid("key is not UTF-8 once percent-decoded; keys are UTF-8 text", false);
    }
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }
}
