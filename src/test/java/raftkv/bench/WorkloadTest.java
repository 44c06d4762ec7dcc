package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  @Test
  void keysAre16BytesOverTheKeySpace() {
    assertThat(Workload.key(5001)).isEqualTo("k000000000000001").hasSize(16);
    assertThat(Workload.key(70, 64)).isEqualTo("k000000000000006");
  }

  @Test
  void valuesHaveTheirSizeInUtf8() {
    assertThat(Workload.VALUE.getBytes(StandardCharsets.UTF_8)).hasSize(100);
    assertThat(Workload.value(7, 65536).getBytes(StandardCharsets.UTF_8)).hasSize(65536);
    assertThat(Workload.value(7, 1000)).isEqualTo(Workload.value(7, 1000));
  }

  @Test
  void largeValuesGetAKeySpaceThatBoundsTheLiveData() {
    assertThat(Workload.keysFor(100, 64L << 20)).isEqualTo(5000);
    assertThat(Workload.keysFor(65536, 64L << 20)).isEqualTo(1024);
    assertThat(Workload.keysFor(1 << 20, 64L << 20)).isEqualTo(64);
    assertThat(Workload.keysFor(1 << 20, 1)).isEqualTo(1);
  }

  @Test
  void theLargeSectionsValuesDifferAndHaveTheirSize() {
    String a = LargeData.value(1, 1 << 20);
    String b = LargeData.value(2, 1 << 20);
    assertThat(a.getBytes(StandardCharsets.UTF_8)).hasSize(1 << 20);
    assertThat(a).startsWith("v000000000000001:").isNotEqualTo(b);
    assertThat(a.substring(17, 200)).isNotEqualTo(b.substring(17, 200));
    assertThat(LargeData.value(1, 1 << 20)).isEqualTo(a);
    assertThat(LargeData.key(12)).isEqualTo("L000000000000012").hasSize(16);
  }

  @Test
  void progressLinesSayHowFarALoadHasGot() {
    assertThat(Load.progressLine("put-conc", Load.Size.ops(50_000), 12_345, 0, 1.5))
        .isEqualTo("  put-conc: 12,345 of 50,000 ops, 8,230 ops/s, 0 errors");
    assertThat(Load.progressLine("curve", Load.Size.seconds(10), 300, 2, 3.04))
        .isEqualTo("  curve: 300 ops in 3 of 10 s, 99 ops/s, 2 errors");
  }

  @Test
  void sizeLabels() {
    assertThat(Benchmark.sizeLabel(100)).isEqualTo("100 B");
    assertThat(Benchmark.sizeLabel(1024)).isEqualTo("1 KiB");
    assertThat(Benchmark.sizeLabel(65536)).isEqualTo("64 KiB");
    assertThat(Benchmark.sizeLabel(1 << 20)).isEqualTo("1 MiB");
  }
}
