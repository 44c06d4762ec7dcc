package raftkv.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryFileTest {

  @TempDir Path dir;

  @Test
  void writesOneLowerCaseJsonLinePerOperationAndReadsItBack() throws IOException {
    HistoryBuilder h = new HistoryBuilder();
    h.put(1, "k", "a \"quoted\"\nvalue", 0, 1);
    h.casMismatch(2, "k", null, "b", "a", 2, 3);
    h.incrError(3, "n", 1, "not_a_number", 4, 5);
    h.putUnknown(4, "k", "c", 6);
    h.putFailed(5, "k", "d", 7, 8);
    Path file = dir.resolve("history.jsonl");

    HistoryFile.write(file, h.ops());

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(5);
    assertThat(lines.get(1))
        .isEqualTo(
            "{\"id\":2,\"process\":2,\"kind\":\"cas\",\"key\":\"k\",\"value\":\"b\",\"expected\":null,"
                + "\"outcome\":\"ok\",\"error\":\"cas_mismatch\",\"output\":\"a\",\"invokeNanos\":2000000,"
                + "\"completeNanos\":3000000}");
    assertThat(lines.get(3)).contains("\"outcome\":\"unknown\"", "\"completeNanos\":" + Long.MAX_VALUE);
    assertThat(HistoryFile.read(file)).isEqualTo(h.ops());
  }

  @Test
  void nullFieldsMayBeLeftOutAndBlankLinesAreSkipped() throws IOException {
    Path file = write(
        "{\"id\":1,\"process\":0,\"kind\":\"get\",\"key\":\"k\",\"outcome\":\"ok\",\"invokeNanos\":5,\"completeNanos\":9}",
        "");
    assertThat(HistoryFile.read(file))
        .containsExactly(new Operation(1, 0, Operation.Kind.GET, "k", null, null, Operation.Outcome.OK, null, null, 5, 9));
  }

  @Test
  void badLinesAreNamedByNumberInOneLine() throws IOException {
    String good = "{\"id\":1,\"process\":0,\"kind\":\"put\",\"key\":\"k\",\"value\":\"v\",\"outcome\":\"ok\",\"invokeNanos\":1,\"completeNanos\":2}";
    assertBad(write(good, "{not json"), ":2: not JSON: ");
    assertBad(write(good, "[1]"), ":2: not a JSON object");
    assertBad(write(good, good.replace("\"key\":\"k\",", "")), ":2: no \"key\"");
    assertBad(write(good.replace("\"put\"", "\"append\"")), ":1: ");
    assertBad(write(good.replace("\"id\":1", "\"id\":1,\"colour\":\"red\"")), ":1: ");
    assertBad(write(good.replace("\"invokeNanos\":1", "\"invokeNanos\":\"soon\"")), ":1: ");
    assertBad(
        write(good.replace("\"put\"", "\"incr\"").replace("\"v\"", "\"x\"")),
        ":1: incr delta \"x\" is not a signed 64-bit integer");
    assertBad(
        write(good.replace("\"completeNanos\":2", "\"completeNanos\":0")),
        ":1: completes (0) before it is invoked (1)");
    assertBad(
        write(good.replace("\"outcome\":\"ok\"", "\"outcome\":\"ok\",\"error\":\"cas_mismatch\"")),
        ":1: ok put with error \"cas_mismatch\", which it cannot give");
  }

  private Path write(String... lines) throws IOException {
    Path file = Files.createTempFile(dir, "history", ".jsonl");
    Files.write(file, List.of(lines));
    return file;
  }

  private static void assertBad(Path file, String message) {
    assertThatThrownBy(() -> HistoryFile.read(file))
        .isInstanceOf(HistoryFile.FormatException.class)
        .hasMessageStartingWith(file + message)
        .hasMessageNotContaining("\n");
  }
}
