package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogTimesTest {
  static final ZoneId ZONE = ZoneId.of("Europe/Paris");

  static long at(String localDateTime) {
    return LocalDateTime.parse(localDateTime).atZone(ZONE).toInstant().toEpochMilli();
  }

  @Test
  void readsTheTimeStampAtTheStartOfALine() {
    assertThat(LogTimes.timeOf("14:03:07.125 INFO  [n2] RaftNode - Won election for term [3]: ..."))
        .isEqualTo(LocalTime.of(14, 3, 7, 125_000_000));
    assertThat(LogTimes.timeOf("Exception in thread main")).isNull();
  }

  @Test
  void placesATimeOnTheDayOfTheReference() {
    long kill = at("2026-11-27T14:03:06.900");
    assertThat(LogTimes.toEpochMillis(LocalTime.parse("14:03:07.125"), kill, ZONE))
        .isEqualTo(kill + 225);
  }

  @Test
  void aLineJustAfterMidnightBelongsToTheNextDay() {
    long kill = at("2026-11-27T23:59:59.900");
    assertThat(LogTimes.toEpochMillis(LocalTime.parse("00:00:00.150"), kill, ZONE))
        .isEqualTo(kill + 250);
  }

  @Test
  void findsTheFirstWinOfANewerTerm() {
    long kill = at("2026-11-27T14:03:06.900");
    List<String> lines =
        List.of(
            "14:03:06.950 INFO  [n3] RaftNode - Won election for term [4]: leader of 3 members",
            "  at some.stack.Trace(Won election for term [9])",
            "14:03:07.100 INFO  [n3] RaftNode - Term [4] -> [5]: election timeout",
            "14:03:07.125 INFO  [n3] RaftNode - Won election for term [5]: leader of 3 members, log ends at 12@4",
            "14:03:09.000 INFO  [n3] RaftNode - Won election for term [6]: leader of 3 members");
    assertThat(LogTimes.firstWinAfter(lines, 4, kill, ZONE))
        .contains(new LogTimes.Won(5, kill + 225));
    assertThat(LogTimes.firstWinAfter(lines, 6, kill, ZONE)).isEmpty();
  }
}
