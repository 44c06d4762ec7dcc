package raftkv.check;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code check HISTORY.jsonl}: checks a history file (see {@link HistoryFile}) for
 * linearizability and prints a summary and, for a violation, the operations that show it. Exit
 * status 0 linearizable, 1 not linearizable, 2 undecided or bad input (one line on stderr).
 */
@Command(
    name = "check",
    sortOptions = false,
    description = "Checks a history (JSON lines, one operation each) for linearizability.",
    footer = {
      "",
      "Exit status: 0 linearizable, 1 not linearizable, 2 undecided (the budget ran out) or bad input."
    })
public final class CheckHistory {

  static final int EXIT_LINEARIZABLE = 0;
  static final int EXIT_NOT_LINEARIZABLE = 1;
  static final int EXIT_UNDECIDED_OR_BAD_INPUT = 2;

  @Parameters(paramLabel = "HISTORY", description = "The history file.")
  private String file;

  @Option(
      names = "--time-limit",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description = "Give up undecided after this long (and as long again for the explanation). Default: ${DEFAULT-VALUE}.")
  private long timeLimitSeconds;

  @Option(
      names = "--max-states",
      paramLabel = "N",
      defaultValue = "1000000",
      description = "Give up undecided when one key's search reaches N configurations. Default: ${DEFAULT-VALUE}.")
  private long maxStates;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  private boolean help;

  private CheckHistory() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the check and returns the exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CheckHistory options = new CheckHistory();
    CommandLine commandLine = new CommandLine(options);
    try {
      commandLine.parseArgs(args);
      if (commandLine.isUsageHelpRequested()) {
        commandLine.usage(out, CommandLine.Help.Ansi.OFF);
        return EXIT_LINEARIZABLE;
      }
      return options.check(commandLine, out);
    } catch (ParameterException e) {
      err.println("check: " + e.getMessage());
      commandLine.usage(err, CommandLine.Help.Ansi.OFF);
      return EXIT_UNDECIDED_OR_BAD_INPUT;
    } catch (HistoryFile.FormatException e) {
      err.println("check: " + e.getMessage());
      return EXIT_UNDECIDED_OR_BAD_INPUT;
    } catch (NoSuchFileException e) {
      err.println("check: no such file: " + e.getFile());
      return EXIT_UNDECIDED_OR_BAD_INPUT;
    } catch (IOException e) {
      err.println("check: cannot read " + options.file + ": " + e.getMessage());
      return EXIT_UNDECIDED_OR_BAD_INPUT;
    }
  }

  private int check(CommandLine commandLine, PrintStream out) throws IOException {
    if (timeLimitSeconds < 1 || maxStates < 1) {
      throw new ParameterException(commandLine, "--time-limit and --max-states must be positive");
    }
    Path path;
    try {
      path = Path.of(file);
    } catch (InvalidPathException e) {
      throw new ParameterException(commandLine, "bad path: " + e.getMessage());
    }
    List<Operation> history = HistoryFile.read(path);
    CheckResult result =
        new LinearizabilityChecker(Duration.ofSeconds(timeLimitSeconds), maxStates).check(history);
    out.println("history: " + path);
    result.summary().forEach(out::println);
    switch (result.verdict()) {
      case LINEARIZABLE:
        return EXIT_LINEARIZABLE;
      case NOT_LINEARIZABLE:
        return EXIT_NOT_LINEARIZABLE;
      default:
        return EXIT_UNDECIDED_OR_BAD_INPUT;
    }
  }
}
