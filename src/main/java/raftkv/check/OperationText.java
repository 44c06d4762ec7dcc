package raftkv.check;

import java.util.Locale;

/**
 * Operations as one line of text for people, e.g. {@code #41 p3 get k7 -> "v12"  [12.301 ms ..
 * 12.410 ms]}, with times relative to an origin.
 */
public final class OperationText {

  /** Longer values are cut, with their length noted. */
  private static final int MAX_QUOTED_CHARS = 40;

  private OperationText() {}

  /** {@code op} in one line, its times in milliseconds after {@code originNanos}. */
  public static String line(Operation op, long originNanos) {
    String complete =
        op.outcome() == Operation.Outcome.UNKNOWN ? "?" : millis(op.completeNanos() - originNanos);
    return "#" + op.id() + " p" + op.process() + " " + request(op) + " -> " + answer(op)
        + "  [" + millis(op.invokeNanos() - originNanos) + " .. " + complete + "]";
  }

  private static String request(Operation op) {
    String key = op.key();
    switch (op.kind()) {
      case PUT:
        return "put " + key + " " + quote(op.value());
      case CAS:
        return "cas " + key + " " + quote(op.expected()) + " -> " + quote(op.value());
      case INCR:
        return "incr " + key + " " + op.value();
      default:
        return op.kind().name().toLowerCase(Locale.ROOT) + " " + key;
    }
  }

  private static String answer(Operation op) {
    switch (op.outcome()) {
      case UNKNOWN:
        return "unknown";
      case FAIL:
        return "failed" + (op.error() == null ? "" : " (" + op.error() + ")");
      default:
        break;
    }
    if (op.error() != null) {
      return op.kind() == Operation.Kind.CAS ? op.error() + ", found " + quote(op.output()) : op.error();
    }
    if (op.kind() == Operation.Kind.GET || op.kind() == Operation.Kind.INCR) {
      return quote(op.output());
    }
    return "ok";
  }

  /** A value in double quotes with quotes, backslashes and control characters escaped; null is absent. */
  static String quote(String value) {
    if (value == null) {
      return "absent";
    }
    String shown = value.length() > MAX_QUOTED_CHARS ? value.substring(0, MAX_QUOTED_CHARS) : value;
    StringBuilder b = new StringBuilder("\"");
    for (char c : shown.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    b.append('"');
    if (shown.length() < value.length()) {
      b.append("...(").append(value.length()).append(" chars)");
    }
    return b.toString();
  }

  private static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }
}
