package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcStatTest {
  static final String STATUS =
      "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 3456789 kB\n"
          + "VmHWM:\t  412345 kB\nVmRSS:\t  398000 kB\nThreads:\t42\n";

  @Test
  void addsUserAndSystemTicksOfAStatLineWhoseNameHasSpaces() {
    String stat =
        "4242 (java main thread) S 1 4242 4242 0 -1 4194560 12345 0 0 0 250 50 0 0 20 0 30 0 100 0 0";
    assertThat(ProcStat.parseCpuMillis(stat)).isEqualTo(3000);
  }

  @Test
  void readsThePeakAndCurrentResidentSetOfAStatusFile() {
    assertThat(ProcStat.parseStatusKib(STATUS, "VmHWM")).hasValue(412345);
    assertThat(ProcStat.parseStatusKib(STATUS, "VmRSS")).hasValue(398000);
    assertThat(ProcStat.parseStatusKib(STATUS, "VmSwap")).isEmpty();
    assertThat(ProcStat.parseStatusKib("VmHWM:\tlots kB\n", "VmHWM")).isEmpty();
  }

  @Test
  void aFieldNameIsMatchedWhole() {
    assertThat(ProcStat.parseStatusKib("VmHWMx:\t1 kB\nVmHWM:\t2 kB\n", "VmHWM")).hasValue(2);
  }

  @Test
  void aProcessThatIsGoneHasNoMemory() {
    assertThat(ProcStat.peakRssKib(Long.MAX_VALUE)).isEmpty();
    assertThat(ProcStat.resetPeak(Long.MAX_VALUE)).isFalse();
  }
}
