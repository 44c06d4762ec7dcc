package raftkv.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.cli.KvStore;

/** The command line, run as the jar runs it: {@code kvstore check FILE}. */
class CheckHistoryTest {

  @TempDir Path dir;

  private record Outcome(int status, String out, String err) {}

  private static Outcome run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] withCheck = new String[args.length + 1];
    withCheck[0] = "check";
    System.arraycopy(args, 0, withCheck, 1, args.length);
    int status =
        KvStore.run(
            withCheck,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Path history(List<Operation> ops) throws IOException {
    Path file = dir.resolve("history.jsonl");
    HistoryFile.write(file, ops);
    return file;
  }

  @Test
  void aLinearizableHistoryExitsZeroWithASummary() throws IOException {
    HistoryBuilder h = new HistoryBuilder();
    h.put(1, "k", "a", 0, 1);
    h.putFailed(2, "k", "b", 1, 2);
    h.putUnknown(3, "j", "c", 2);
    h.get(1, "k", "a", 3, 4);

    Outcome o = run(history(h.ops()).toString());

    assertThat(o.status()).isZero();
    assertThat(o.out())
        .contains("operations: 4 (ok 2, fail 1, unknown 1), keys: 2", "linearizable: yes", "checked in ");
    assertThat(o.err()).isEmpty();
  }

  @Test
  void aViolationExitsOneAndPrintsTheWindow() throws IOException {
    HistoryBuilder h = new HistoryBuilder();
    h.put(1, "k", "a", 0, 1);
    h.put(1, "k", "b", 2, 3);
    h.get(2, "k", "a", 4, 5);

    Outcome o = run(history(h.ops()).toString());

    assertThat(o.status()).isEqualTo(1);
    assertThat(o.out())
        .contains(
            "linearizable: no (keys \"k\")",
            "  #1 p1 put k \"a\" -> ok  [0.000 ms .. 1.000 ms]",
            "  #2 p1 put k \"b\" -> ok  [2.000 ms .. 3.000 ms]",
            "  #3 p2 get k -> \"a\"  [4.000 ms .. 5.000 ms]");
  }

  @Test
  void anUndecidedSearchExitsTwo() throws IOException {
    HistoryBuilder h = new HistoryBuilder();
    for (int i = 0; i < 12; i++) {
      h.incr(i, "n", 1, Integer.toString(i + 1), 0, 100);
    }
    Outcome o = run("--max-states", "3", history(h.ops()).toString());
    assertThat(o.status()).isEqualTo(2);
    assertThat(o.out()).contains("linearizable: undecided");
  }

  @Test
  void badInputIsOneLineOnStderrAndExitsTwo() throws IOException {
    Path file = dir.resolve("bad.jsonl");
    Files.writeString(file, "{\"id\":1}\n");
    Outcome o = run(file.toString());
    assertThat(o.status()).isEqualTo(2);
    assertThat(o.err()).isEqualTo("check: " + file + ":1: no \"process\"" + System.lineSeparator());
    assertThat(o.out()).isEmpty();
  }

  @Test
  void aMissingFileExitsTwo() {
    Outcome o = run(dir.resolve("none.jsonl").toString());
    assertThat(o.status()).isEqualTo(2);
    assertThat(o.err()).startsWith("check: no such file: ").doesNotContain("Exception");
  }

  @Test
  void noFileIsAUsageError() {
    Outcome o = run();
    assertThat(o.status()).isEqualTo(2);
    assertThat(o.err()).startsWith("check: Missing required parameter").contains("Usage: check");
  }
}
