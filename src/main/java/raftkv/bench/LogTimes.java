package raftkv.bench;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads event times out of node logs. A node's text log starts each line with an ISO 8601 time
 * stamp with its UTC offset ({@code 2026-12-02T17:05:00.123Z}, logback.xml), so a line's instant
 * needs no guess about its day or zone.
 */
public final class LogTimes {
  private static final Pattern STAMP = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\S+) ");
  private static final Pattern WON = Pattern.compile("Won election for term \\[(\\d+)]");

  private LogTimes() {}

  /** The time stamp at the start of a log line, if it has one. */
  public static Instant timeOf(String line) {
    Matcher m = STAMP.matcher(line);
    if (!m.find()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(m.group(1)).toInstant();
    } catch (DateTimeParseException notAStamp) {
      return null;
    }
  }

  /** A line that says this node won the election for a term above {@code oldTerm}. */
  record Won(long term, long epochMillis) {}

  /**
   * The first line among {@code lines} that says "Won election for term [T]" with T above {@code
   * oldTerm}.
   */
  static Optional<Won> firstWinAfter(List<String> lines, long oldTerm) {
    for (String line : lines) {
      Matcher won = WON.matcher(line);
      if (!won.find()) {
        continue;
      }
      long term = Long.parseLong(won.group(1));
      Instant t = timeOf(line);
      if (term > oldTerm && t != null) {
        return Optional.of(new Won(term, t.toEpochMilli()));
      }
    }
    return Optional.empty();
  }
}
