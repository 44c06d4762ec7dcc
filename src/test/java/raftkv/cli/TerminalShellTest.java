package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jline.reader.Candidate;
import org.jline.reader.LineReader;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell's line editor on a terminal made of streams (a real one needs a tty: see the README
 * for how it was tried by hand).
 */
class TerminalShellTest {

  @TempDir Path tmp;

  private static Terminal terminal(String typed, ByteArrayOutputStream screen) throws IOException {
    return TerminalBuilder.builder()
        .system(false)
        .streams(new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)), screen)
        .type(Terminal.TYPE_DUMB)
        .encoding(StandardCharsets.UTF_8)
        .build();
  }

  private static List<String> readAll(TerminalShell shell) {
    List<String> lines = new ArrayList<>();
    for (String line = shell.readLine(); line != null; line = shell.readLine()) {
      lines.add(line);
    }
    return lines;
  }

  @Test
  void linesComeAsTypedUntilExitAndGoToTheHistoryFile() throws Exception {
    Path history = tmp.resolve("history");
    ByteArrayOutputStream screen = new ByteArrayOutputStream();
    TerminalShell shell =
        new TerminalShell(
            terminal("put a 1\n  get a\nput k \"x y\" a!b!!\nexit\nput b 2\n", screen), history);
    assertThat(readAll(shell)).containsExactly("put a 1", "  get a", "put k \"x y\" a!b!!");
    shell.close();
    assertThat(screen.toString(StandardCharsets.UTF_8)).contains(TerminalShell.PROMPT);
    String saved = Files.readString(history);
    assertThat(saved).contains("put a 1").contains("a!b!!").doesNotContain("put b 2");
    assertThat(saved).as("a line typed after a space stays out").doesNotContain("get a");
  }

  @Test
  void ctrlDAndQuitEndTheShellToo() throws Exception {
    Path history = tmp.resolve("history");
    TerminalShell eof = new TerminalShell(terminal("get a\n", new ByteArrayOutputStream()), history);
    assertThat(readAll(eof)).containsExactly("get a");
    eof.close();
    TerminalShell quit =
        new TerminalShell(terminal("QUIT\nget a\n", new ByteArrayOutputStream()), history);
    assertThat(readAll(quit)).isEmpty();
    quit.close();
  }

  @Test
  void tabCompletesTheCommandNames() throws Exception {
    TerminalShell shell =
        new TerminalShell(terminal("", new ByteArrayOutputStream()), tmp.resolve("history"));
    LineReader reader = shell.reader();
    List<Candidate> candidates = new ArrayList<>();
    TerminalShell.completer().complete(reader, reader.getParser().parse("s", 1), candidates);
    assertThat(candidates).extracting(Candidate::value).contains("scan", "status")
        .doesNotContain("shell", "snapshot", "completion");
    candidates.clear();
    TerminalShell.completer().complete(reader, reader.getParser().parse("put k", 5), candidates);
    assertThat(candidates).as("only the first word").isEmpty();
    shell.close();
  }

  @Test
  void theHistoryIsRaftkvHistoryUnlessRaftkvHistorySaysOtherwise() {
    assertThat(TerminalShell.historyFile(Map.of()))
        .isEqualTo(Path.of(System.getProperty("user.home"), ".raftkv_history"));
    assertThat(TerminalShell.historyFile(Map.of("RAFTKV_HISTORY", "/tmp/h"))).isEqualTo(Path.of("/tmp/h"));
  }
}
