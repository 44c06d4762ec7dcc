package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcStatTest {
  @Test
  void addsUserAndSystemTicksOfAStatLineWhoseNameHasSpaces() {
    String stat =
        "4242 (java main thread) S 1 4242 4242 0 -1 4194560 12345 0 0 0 250 50 0 0 20 0 30 0 100 0 0";
    assertThat(ProcStat.parseCpuMillis(stat)).isEqualTo(3000);
  }
}
