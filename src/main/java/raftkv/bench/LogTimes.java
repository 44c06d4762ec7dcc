package raftkv.bench;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads event times out of node logs. A node's logback pattern starts each line with {@code
 * HH:mm:ss.SSS} in local time, with no date: a time is placed on the day that puts it nearest to a
 * reference instant known to be close (the kill), which also handles a run across midnight.
 */
public final class LogTimes {
  private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");
  private static final Pattern WON = Pattern.compile("Won election for term \\[(\\d+)]");

  private LogTimes() {}

  /** The epoch milliseconds of local time {@code t} on the day nearest to {@code referenceMillis}. */
  static long toEpochMillis(LocalTime t, long referenceMillis, ZoneId zone) {
    ZonedDateTime ref = Instant.ofEpochMilli(referenceMillis).atZone(zone);
    LocalDate day = ref.toLocalDate();
    long best = 0;
    long bestDistance = Long.MAX_VALUE;
    for (LocalDate d : List.of(day.minusDays(1), day, day.plusDays(1))) {
      long ms = d.atTime(t).atZone(zone).toInstant().toEpochMilli();
      long distance = Math.abs(ms - referenceMillis);
      if (distance < bestDistance) {
        best = ms;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** The time stamp at the start of a log line, if it has one. */
  public static LocalTime timeOf(String line) {
    Matcher m = TIME.matcher(line);
    return m.find() ? LocalTime.parse(m.group(1)) : null;
  }

  /** A line that says this node won the election for a term above {@code oldTerm}. */
  record Won(long term, long epochMillis) {}

  /**
   * The first line among {@code lines} that says "Won election for term [T]" with T above {@code
   * oldTerm}, placed near {@code referenceMillis}.
   */
  static Optional<Won> firstWinAfter(
      List<String> lines, long oldTerm, long referenceMillis, ZoneId zone) {
    for (String line : lines) {
      Matcher won = WON.matcher(line);
      if (!won.find()) {
        continue;
      }
      long term = Long.parseLong(won.group(1));
      LocalTime t = timeOf(line);
      if (term > oldTerm && t != null) {
        return Optional.of(new Won(term, toEpochMillis(t, referenceMillis, zone)));
      }
    }
    return Optional.empty();
  }
}
