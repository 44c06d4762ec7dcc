package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleTest {

  @Test
  void oneSeedAlwaysGivesTheSameSchedule() {
    assertThat(Schedule.plan(Schedule.Nemesis.MIXED, 42, 3, 60_000))
        .isEqualTo(Schedule.plan(Schedule.Nemesis.MIXED, 42, 3, 60_000));
    assertThat(Schedule.plan(Schedule.Nemesis.MIXED, 42, 3, 60_000))
        .isNotEqualTo(Schedule.plan(Schedule.Nemesis.MIXED, 43, 3, 60_000));
  }

  @Test
  void aNemesisInjectsOnlyItsOwnKinds() {
    for (Schedule.Nemesis n : Schedule.Nemesis.values()) {
      for (long seed = 0; seed < 20; seed++) {
        assertThat(Schedule.plan(n, seed, 3, 60_000))
            .allSatisfy(f -> assertThat(n.kinds).contains(f.kind()));
      }
    }
  }

  @Test
  void everyFaultIsBoundedAndFollowedByTimeToRecover() {
    for (long seed = 0; seed < 50; seed++) {
      List<Fault> plan = Schedule.plan(Schedule.Nemesis.MIXED, seed, 3, 60_000);
      assertThat(plan).isNotEmpty();
      for (Fault f : plan) {
        assertThat(f.durationMillis()).isBetween(1_000L, 6_000L);
        assertThat(f.recoverMillis()).isBetween(2_000L, 4_000L);
        assertThat(f.node()).isBetween(1, 3);
        if (f.kind() == Fault.Kind.LOSS) {
          assertThat(f.percent()).isBetween(10, 40);
        }
      }
    }
  }

  @Test
  void mixedUsesEveryKindSometimes() {
    List<Fault> plan = Schedule.plan(Schedule.Nemesis.MIXED, 7, 3, 3_600_000);
    assertThat(plan).extracting(Fault::kind).contains(Fault.Kind.values());
  }

  @Test
  void parsesTheNemesisNames() {
    assertThat(Schedule.Nemesis.parse("partition")).isEqualTo(Schedule.Nemesis.PARTITION);
    assertThatThrownBy(() -> Schedule.Nemesis.parse("KILL"))
        .hasMessageContaining("one of kill, pause, partition, mixed");
  }
}
