package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogTimesTest {
  @Test
  void readsTheIsoTimeStampAtTheStartOfALineWithItsOffset() {
    assertThat(LogTimes.timeOf("2026-11-27T14:03:07.125Z INFO  [n2] RaftNode - Won election for term [3]: ..."))
        .isEqualTo(Instant.parse("2026-11-27T14:03:07.125Z"));
    assertThat(LogTimes.timeOf("2026-11-27T15:03:07.125+01:00 INFO  [n2] RaftNode - ..."))
        .isEqualTo(Instant.parse("2026-11-27T14:03:07.125Z"));
    assertThat(LogTimes.timeOf("Exception in thread main")).isNull();
    assertThat(LogTimes.timeOf("14:03:07.125 INFO  [n2] RaftNode - an old line without a date")).isNull();
    assertThat(LogTimes.timeOf("2026-13-45Tnonsense INFO")).isNull();
  }

  @Test
  void findsTheFirstWinOfANewerTerm() {
    List<String> lines =
        List.of(
            "2026-11-27T23:59:59.950Z INFO  [n3] RaftNode - Won election for term [4]: leader of 3 members",
            "  at some.stack.Trace(Won election for term [9])",
            "2026-11-28T00:00:00.100Z INFO  [n3] RaftNode - Term [4] -> [5]: election timeout",
            "2026-11-28T00:00:00.125Z INFO  [n3] RaftNode - Won election for term [5]: leader of 3 members, log ends at 12@4",
            "2026-11-28T00:00:02.000Z INFO  [n3] RaftNode - Won election for term [6]: leader of 3 members");
    assertThat(LogTimes.firstWinAfter(lines, 4))
        .contains(new LogTimes.Won(5, Instant.parse("2026-11-28T00:00:00.125Z").toEpochMilli()));
    assertThat(LogTimes.firstWinAfter(lines, 6)).isEmpty();
  }
}
