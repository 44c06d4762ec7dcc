package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MachineTest {
  @Test
  void readsTheCpuModelAndLoadAverage() {
    String cpuinfo =
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor @ 2.50GHz\n"
            + "processor\t: 1\nmodel name\t: other\n";
    assertThat(Machine.cpuModel(cpuinfo)).hasValue("Intel(R) Xeon(R) Processor @ 2.50GHz");
    assertThat(Machine.cpuModel("")).isEmpty();
    assertThat(Machine.loadAverage("2.19 3.87 4.59 3/512 12345\n")).isEqualTo("2.19 3.87 4.59");
    assertThat(Machine.loadAverage("")).isEqualTo("unknown");
  }

  @Test
  void describesThisMachine() {
    assertThat(Machine.describe().get("cores").asInt()).isPositive();
    assertThat(Machine.describe().get("java").asText()).isNotEmpty();
  }
}
