package raftkv.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heap holds no key or value once applied: a state machine in a JVM with a 32 MiB heap takes
 * 200 MiB of values (about six times its heap), survives closing and reopening its store, and
 * reads every value back. With the keys in a {@code HashMap}, as they were, 200 MiB of values
 * cannot fit in that heap.
 */
class StateBeyondTheHeapTest {

  private static final int KEYS = 800; // of 256 Ki characters: 200 MiB
  private static final long DEADLINE_SECONDS = 180;

  @TempDir Path tmp;

  @Test
  void aDataSetSixTimesTheHeapLoadsSurvivesAReopenAndReadsBack() throws Exception {
    Path out = tmp.resolve("child.out");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m",
                "-cp",
                System.getProperty("java.class.path"),
                FillBeyondTheHeap.class.getName(),
                tmp.resolve("store").toString(),
                Integer.toString(KEYS))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    boolean done = child.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS);
    if (!done) {
      child.toHandle().destroyForcibly();
      child.waitFor();
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(done).as("finished within %d s: %s", DEADLINE_SECONDS, output).isTrue();
    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("ok " + KEYS + " " + (long) KEYS * FillBeyondTheHeap.VALUE_CHARS);
  }
}
