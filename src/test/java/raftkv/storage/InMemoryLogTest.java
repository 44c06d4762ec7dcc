package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryLogTest {
  static LogEntry e(long index, long term) {
    return new LogEntry(index, term, EntryType.COMMAND, new byte[] {(byte) index});
  }

  @Test
  void anAppendReplacesTheTailAndReturnsWhatItReplaced() {
    InMemoryLog log = new InMemoryLog();
    assertThat(log.append(List.of(e(1, 1), e(2, 1), e(3, 1)))).isEmpty();
    List<LogEntry> replaced = log.append(List.of(e(2, 2)));
    assertThat(replaced).extracting(LogEntry::index).containsExactly(2L, 3L);
    assertThat(log.lastIndex()).isEqualTo(2);
    assertThat(log.lastTerm()).isEqualTo(2);
    assertThat(log.termAt(0)).isZero();
    assertThat(log.from(2)).extracting(LogEntry::term).containsExactly(2L);
    assertThat(log.truncateFrom(2)).extracting(LogEntry::index).containsExactly(2L);
    assertThat(log.truncateFrom(5)).isEmpty();
    assertThat(log.copy()).extracting(LogEntry::index).containsExactly(1L);
  }

  @Test
  void refusesAGapNonConsecutiveIndexesAndADecreasingTerm() {
    InMemoryLog log = new InMemoryLog();
    log.append(List.of(e(1, 2)));
    assertThatThrownBy(() -> log.append(List.of(e(3, 2))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside [1, 2]");
    assertThatThrownBy(() -> log.append(List.of(e(2, 2), e(4, 2))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not consecutive");
    assertThatThrownBy(() -> log.append(List.of(e(2, 1))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("term decreases");
    assertThat(log.lastIndex()).isEqualTo(1);
  }

  @Test
  void readsAtLeastOneEntryAndStopsAtTheByteLimit() {
    InMemoryLog log = new InMemoryLog();
    log.append(List.of(e(1, 1), e(2, 1), e(3, 1)));
    int size = e(1, 1).sizeBytes();
    assertThat(log.entries(1, 3, 0)).hasSize(1);
    assertThat(log.entries(1, 3, 2L * size)).hasSize(2);
    assertThat(log.entries(2, 3, Long.MAX_VALUE)).extracting(LogEntry::index).containsExactly(2L, 3L);
    assertThatThrownBy(() -> log.entry(4)).isInstanceOf(IndexOutOfBoundsException.class);
  }
}
