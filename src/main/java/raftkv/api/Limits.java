package raftkv.api;

import java.util.Optional;

/**
 * Size limits and request checks, shared by the leader (before it appends) and the state machine
 * (when it applies): a refusal depends on the command alone, so every replica refuses the same
 * commands. Sizes are counted in UTF-8 bytes, the form the command takes in the log.
 *
 * <p>A string holding an unpaired surrogate has no UTF-8 form; it is refused as {@link
 * ErrorCode#INVALID_REQUEST}, so that what is logged is exactly what the client sent.
 */
public final class Limits {

  /** 1 KiB. */
  public static final int MAX_KEY_BYTES = 1024;
  /** 1 MiB, also for cas's expected value. */
  public static final int MAX_VALUE_BYTES = 1 << 20;

  public static final int MAX_CLIENT_ID_BYTES = 128;

  /** Keys in one scan page when the scan names no limit. */
  public static final int DEFAULT_SCAN_LIMIT = 1000;
  /** The most keys one scan page may be asked for. */
  public static final int MAX_SCAN_LIMIT = 10_000;
  /**
   * About how many bytes of keys and values one scan page holds (1.5 MiB): with a few bytes of
   * framing per entry, a page stays under Artery's 2 MiB frame. A page always holds at least one
   * entry, and one key and value are at most 1 KiB + 1 MiB.
   */
  public static final int MAX_SCAN_PAGE_BYTES = 3 << 19;
  /** What {@link #MAX_SCAN_PAGE_BYTES} counts for each entry on top of its key and value. */
  public static final int SCAN_ENTRY_OVERHEAD_BYTES = 16;

  private Limits() {}

  /** The refusal for a write, or empty when it may be applied. */
  public static Optional<Result> check(String clientId, long seq, Op op) {
    if (clientId == null) {
      return invalid("client id is missing");
    }
    Optional<Result> refused = checkClientId(clientId);
    if (refused.isPresent()) {
      return refused;
    }
    if (seq < 1) {
      return invalid("seq is " + seq + "; a seq starts at 1");
    }
    if (op == null) {
      return invalid("the request has no operation");
    }
    refused = checkKey(op.key());
    if (refused.isPresent()) {
      return refused;
    }
    if (op instanceof Op.Put p) {
      return checkValue("value", p.value(), "put");
    }
    if (op instanceof Op.Cas c) {
      refused = checkValue("value", c.value(), "cas");
      if (refused.isPresent() || c.expected() == null) {
        return refused;
      }
      return checkString("expected value", c.expected(), MAX_VALUE_BYTES, " (1 MiB)");
    }
    return Optional.empty();
  }

  /**
   * The refusal for a registration's client id, or empty when it is acceptable; {@code null} (the
   * cluster chooses) is acceptable.
   */
  public static Optional<Result> checkClientId(String clientId) {
    if (clientId == null) {
      return Optional.empty();
    }
    if (clientId.isEmpty()) {
      return invalid("client id is missing");
    }
    return checkString("client id", clientId, MAX_CLIENT_ID_BYTES, "");
  }

  /** The refusal for a key (reads use this alone), or empty when it is acceptable. */
  public static Optional<Result> checkKey(String key) {
    if (key == null || key.isEmpty()) {
      return invalid("key is empty");
    }
    return checkString("key", key, MAX_KEY_BYTES, " (1 KiB)");
  }

  /**
   * The refusal for a scan, or empty when it may run: a prefix ({@code null} or empty: every key)
   * within {@link #MAX_KEY_BYTES}, a continuation ({@code null}: from the first key) that {@link
   * ClientProtocol.Continuation#key} can read, and a limit from 0 (the default) to {@link
   * #MAX_SCAN_LIMIT}.
   */
  public static Optional<Result> checkScan(String prefix, String after, int limit) {
    if (prefix != null && !prefix.isEmpty()) {
      Optional<Result> refused = checkString("prefix", prefix, MAX_KEY_BYTES, " (1 KiB)");
      if (refused.isPresent()) {
        return refused;
      }
    }
    if (after != null && ClientProtocol.Continuation.key(after).isEmpty()) {
      return invalid(
          "continuation " + quote(after, 40) + " is malformed: pass on one a scan returned");
    }
    if (limit < 0 || limit > MAX_SCAN_LIMIT) {
      return invalid("limit is " + limit + "; a scan page holds 1 to " + MAX_SCAN_LIMIT + " keys");
    }
    return Optional.empty();
  }

  /**
   * The length of {@code s} in UTF-8 bytes, or -1 if it holds an unpaired surrogate (and so has no
   * UTF-8 form).
   */
  public static long utf8Length(String s) {
    long bytes = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          bytes += 4;
          i++;
        } else {
          return -1;
        }
      } else if (Character.isLowSurrogate(c)) {
        return -1;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /**
   * {@code s} in double quotes for a one-line message: at most {@code maxChars} characters (never
   * splitting a surrogate pair), then "..." if cut; quotes, backslashes and control characters
   * escaped.
   */
  public static String quote(String s, int maxChars) {
    int end = Math.min(s.length(), maxChars);
    if (end < s.length() && end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    StringBuilder b = new StringBuilder(end + 8).append('"');
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    b.append('"');
    if (end < s.length()) {
      b.append("...");
    }
    return b.toString();
  }

  private static Optional<Result> checkValue(String what, String value, String opName) {
    if (value == null) {
      return invalid(opName + " needs a value");
    }
    return checkString(what, value, MAX_VALUE_BYTES, " (1 MiB)");
  }

  private static Optional<Result> checkString(String what, String s, int limit, String unit) {
    long bytes = utf8Length(s);
    if (bytes < 0) {
      return invalid(what + " is not valid Unicode: it holds an unpaired surrogate");
    }
    if (bytes > limit) {
      return Optional.of(
          Result.error(
              ErrorCode.TOO_LARGE,
              what + " is " + bytes + " bytes; the limit is " + limit + unit));
    }
    return Optional.empty();
  }

  private static Optional<Result> invalid(String message) {
    return Optional.of(Result.error(ErrorCode.INVALID_REQUEST, message));
  }
}
