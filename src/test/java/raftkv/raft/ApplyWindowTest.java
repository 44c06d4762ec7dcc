package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.storage.EntryType;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;

/** Committed entries reach the state machine a bounded window at a time (issue 9 anomaly 5). */
class ApplyWindowTest {

  private static InMemoryStorage logOf(int n) {
    InMemoryStorage log = new InMemoryStorage();
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      entries.add(new LogEntry(i, 1, EntryType.COMMAND, new byte[76])); // 100 bytes each
    }
    log.append(entries);
    return log;
  }

  @Test
  void aLongCommittedLogIsHandedOverAFewBatchesAtATime() {
    ApplyWindow w = new ApplyWindow(logOf(10_000), 1000);
    List<List<LogEntry>> first = w.next(10_000);
    assertThat(first).hasSize(ApplyWindow.MAX_BATCHES_IN_FLIGHT);
    assertThat(first).allSatisfy(b -> assertThat(b.stream().mapToInt(LogEntry::sizeBytes).sum()).isLessThanOrEqualTo(1000));
    assertThat(w.next(10_000)).as("nothing more until one is applied").isEmpty();
    long firstBatchEnd = first.get(0).get(first.get(0).size() - 1).index();
    w.acknowledged(firstBatchEnd);
    List<List<LogEntry>> more = w.next(10_000);
    assertThat(more).hasSize(1);
    assertThat(more.get(0).get(0).index()).isEqualTo(w.handed() - more.get(0).size() + 1);
  }

  @Test
  void everyCommittedEntryIsHandedOverOnceInOrder() {
    ApplyWindow w = new ApplyWindow(logOf(500), 1000);
    long expected = 1;
    for (int round = 0; round < 1000 && expected <= 500; round++) {
      for (List<LogEntry> b : w.next(500)) {
        for (LogEntry e : b) {
          assertThat(e.index()).isEqualTo(expected++);
        }
      }
      w.acknowledged(w.handed());
    }
    assertThat(expected).isEqualTo(501);
    assertThat(w.next(500)).isEmpty();
  }
}
