package raftkv.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.ArgumentCompleter;
import org.jline.reader.impl.completer.NullCompleter;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The lines of {@code kv_client shell} when a person types them at a terminal: JLine's line editor,
 * with history kept in a file and tab completion of the command names. Only the way lines are read
 * differs: each line is answered as a piped one is ({@link KvClient#shell}). Loaded only for a
 * terminal, so that one-shot commands and piped shells never load JLine.
 *
 * <p>{@code exit}, {@code quit} and Ctrl-D end the shell; Ctrl-C drops the line being typed.
 */
final class TerminalShell implements KvClient.ShellInput, AutoCloseable {

  static final String PROMPT = "kv> ";

  /** What the first word completes to: the shell's commands, then the words that end it. */
  static final List<String> WORDS =
      List.of("put", "get", "delete", "cas", "incr", "scan", "status", "exit", "quit");

  /** Where the history goes: {@code $RAFTKV_HISTORY}, else {@code ~/.raftkv_history}. */
  static Path historyFile(Map<String, String> env) {
    String file = env.get("RAFTKV_HISTORY");
    return file != null && !file.isBlank()
        ? Path.of(file)
        : Path.of(System.getProperty("user.home"), ".raftkv_history");
  }

  /** Tab completes the first word of a line. */
  static Completer completer() {
    return new ArgumentCompleter(new StringsCompleter(WORDS), NullCompleter.INSTANCE);
  }

  private final Terminal terminal;
  private final LineReader reader;

  TerminalShell(Terminal terminal, Path history) {
    this.terminal = terminal;
    this.reader =
        LineReaderBuilder.builder()
            .terminal(terminal)
            .appName("kv_client")
            .completer(completer())
            .variable(LineReader.HISTORY_FILE, history)
            // A value is sent as typed: no !-expansion of history events in it.
            .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
            .build();
  }

  /** The shell on this process's terminal; the history file is made private if it is new. */
  static TerminalShell open(Map<String, String> env) throws IOException {
    Path history = historyFile(env);
    try {
      // Values may be secrets: the history is for its owner alone.
      Files.createFile(
          history, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException | UnsupportedOperationException e) {
      // kept as it is
    } catch (IOException e) {
      // an unwritable home: JLine then keeps the history in memory only
    }
    Terminal terminal = TerminalBuilder.builder().system(true).name("kv_client").build();
    return new TerminalShell(terminal, history);
  }

  LineReader reader() {
    return reader;
  }

  /** The next line, or null at Ctrl-D, {@code exit} or {@code quit}; Ctrl-C starts a new line. */
  @Override
  public String readLine() {
    while (true) {
      String line;
      try {
        line = reader.readLine(PROMPT);
      } catch (UserInterruptException e) {
        continue;
      } catch (EndOfFileException e) {
        return null;
      }
      String word = line.strip().toLowerCase(Locale.ROOT);
      return word.equals("exit") || word.equals("quit") ? null : line;
    }
  }

  /** Saves the history and gives the terminal back as it was. */
  @Override
  public void close() {
    try {
      reader.getHistory().save();
    } catch (IOException e) {
      // the lines of this shell are lost from the history, nothing else
    }
    try {
      terminal.close();
    } catch (IOException e) {
      // the process is about to exit
    }
  }
}
