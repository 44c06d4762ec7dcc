package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code scripts/demo.sh}, the narrated failover cycle, against real node processes (on free
 * ports, with its state in a temporary directory) and checks every step it reports. The script
 * checks each outcome itself and stops at the first that fails; this test holds it to finishing.
 */
class DemoScriptIT {

  @TempDir Path state;

  @Test
  void theDemoCompletesEveryStep() throws Exception {
    Path out = state.resolve("demo.out");
    ProcessBuilder pb =
        new ProcessBuilder("scripts/demo.sh")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    pb.environment().put("RAFTKV_STATE", state.toString());
    pb.environment().put("RAFTKV_BASE_PORT", String.valueOf(NodeProcesses.freeBasePort(3)));
    Process demo = pb.start();
    boolean finished = demo.waitFor(5, TimeUnit.MINUTES);
    if (!finished) {
      demo.destroyForcibly();
    }
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    String text = String.join("\n", lines);
    assertThat(finished).as("demo finished within 5 minutes:\n%s", text).isTrue();
    assertThat(demo.exitValue()).as("demo exit status:\n%s", text).isZero();
    assertThat(text)
        .contains("== 1. Start a 3-node cluster")
        .contains("== 2. Write through the leader")
        .contains("== 3. Kill the leader")
        .contains("== 4. A new leader takes over")
        .contains("within 1 s: yes")
        .contains("== 5. Write through the new leader")
        .contains("== 6. Read from a follower")
        .contains("== 7. Restart the killed node")
        .contains("== 8. Stop the cluster")
        .contains("Demo complete: every step passed.")
        .doesNotContain("FAILED");
    // Every node it started is gone.
    for (int i = 1; i <= 3; i++) {
      assertThat(state.resolve("run/node-" + i + ".pid")).doesNotExist();
    }
  }
}
