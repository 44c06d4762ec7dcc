package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code scripts/chaos.sh --seconds 30 --nemesis mixed}: three node processes in network
 * namespaces, clients (by default 2 of the 5 over the HTTP API, the rest kv_client shells), faults
 * of every kind, then the final reads and the linearizability check. Clients of both kinds must
 * have had operations acknowledged, writes among them.
 * The run must pass: nothing lost, the history linearizable, and nothing left behind (no namespace
 * of the run, no process).
 */
class ChaosScriptIT {

  @TempDir Path state;

  @Test
  void aShortMixedRunPasses() throws Exception {
    Path out = state.resolve("chaos.out");
    ProcessBuilder pb =
        new ProcessBuilder("scripts/chaos.sh", "--seconds", "30", "--nemesis", "mixed")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    pb.environment().put("RAFTKV_STATE", state.toString());
    Process chaos = pb.start();
    boolean finished = chaos.waitFor(10, TimeUnit.MINUTES);
    if (!finished) {
      chaos.destroy(); // SIGTERM: the script's trap stops its processes and removes its namespaces
      chaos.waitFor(1, TimeUnit.MINUTES);
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(finished).as("finished within 10 minutes:\n%s", text).isTrue();
    assertThat(chaos.exitValue()).as("exit status:\n%s", text).isZero();
    assertThat(text)
        .contains("acknowledged writes lost: 0")
        .contains("linearizable: yes")
        .contains("result: PASS");
    Matcher faults = Pattern.compile("faults injected: (\\d+)").matcher(text);
    assertThat(faults.find()).as("faults line:\n%s", text).isTrue();
    assertThat(Integer.parseInt(faults.group(1))).as("faults injected").isPositive();

    // By default half the clients, rounded down, use the HTTP API: 2 of the 5. Both kinds made
    // acknowledged operations, writes among them.
    assertThat(text).contains("5 clients, 2 of them over HTTP");
    for (String transport : new String[] {"HTTP", "the shell"}) {
      Matcher ops =
          Pattern.compile("ops over " + transport + ": (\\d+) \\((\\d+) ok, (\\d+) of them writes;")
              .matcher(text);
      assertThat(ops.find()).as("ops over %s line:\n%s", transport, text).isTrue();
      assertThat(Integer.parseInt(ops.group(2))).as("ok ops over %s", transport).isPositive();
      assertThat(Integer.parseInt(ops.group(3))).as("ok writes over %s", transport).isPositive();
    }

    // Every process it started is gone (each PID file is removed when its process is stopped).
    try (var runs = Files.list(state.resolve("chaos"))) {
      for (Path run : runs.toList()) {
        try (var pids = Files.list(run.resolve("pids"))) {
          assertThat(pids.toList()).as("PID files left in %s", run).isEmpty();
        }
      }
    }
    // Its namespaces are gone.
    Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
    String namespaces = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    list.waitFor(10, TimeUnit.SECONDS);
    assertThat(namespaces).doesNotContain("raftkv-chaos-" + chaos.pid() + "-");
  }
}
