package raftkv.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import raftkv.common.Endpoint;
import raftkv.storage.RocksDbStorage;
import raftkv.storage.SnapshotChunks;
import raftkv.storage.StateStore;
import raftkv.storage.StorageException;

/**
 * {@code kvstore restore FILE --id N --peers HOST:PORT,... [--data-dir DIR]}: makes the data
 * directory of member N of a new cluster from a backup ({@code kv_client snapshot save}), as
 * {@code etcdutl snapshot restore} does. Every member restored from the same file holds the same
 * state at the backup's index, with an empty log that starts after it and the backup's term: the
 * nodes then elect a leader (in a later term) and serve from there.
 *
 * <p>The file is checked whole before anything is created (magic, header checksum, every chunk's
 * chained checksum, the trailer), and checked again as it is copied in. A data directory that
 * exists and is not empty is never touched; on any failure the directory made here is deleted
 * again. Each failure is one line on stderr: a bad command line exits 2, anything else 1.
 */
@Command(
    name = "kvstore restore",
    sortOptions = false,
    description = {
      "Makes the data directory of member ID of a new cluster from a backup FILE",
      "(kv_client snapshot save FILE). Restore every member of the new cluster from the",
      "same file, then start them with kvstore as usual."
    },
    footer = {
      "",
      "--peers lists every member of the new cluster, this one included, in id",
      "order: the first is member 1. Unlike kvstore's own --peers, it names this",
      "node too; restore prints the kvstore command that starts it.",
      "",
      "The backup's client sessions come along: a client may retry a write of a",
      "session the backup holds, and gets the outcome recorded in it."
    })
final class Restore {

  @Parameters(index = "0", paramLabel = "FILE", description = "The backup.")
  private String file;

  @Option(names = "--id", required = true, paramLabel = "ID", description = "This member's id.")
  private int id;

  @Option(
      names = "--peers",
      required = true,
      split = ",",
      paramLabel = "HOST:PORT",
      description = "Every member of the new cluster, in id order (a bare PORT is on 127.0.0.1).")
  private List<String> peers = new ArrayList<>();

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "The directory to make; it must not exist or be empty (default: data/node-ID).")
  private String dataDir;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  private boolean help;

  private Restore() {}

  /** A failure that is not the command line's fault. */
  private static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Restore options = new Restore();
    CommandLine commandLine = new CommandLine(options);
    try {
      commandLine.parseArgs(args);
      if (commandLine.isUsageHelpRequested()) {
        commandLine.usage(out, CommandLine.Help.Ansi.OFF);
        return 0;
      }
      out.println(options.restore(commandLine));
      return 0;
    } catch (ParameterException e) {
      err.println("kvstore restore: " + oneLine(e.getMessage()));
      commandLine.usage(err, CommandLine.Help.Ansi.OFF);
      return 2;
    } catch (Failure e) {
      err.println("kvstore restore: " + oneLine(e.getMessage()));
      return 1;
    }
  }

  /** Restores, and returns the line that says what was made. */
  private String restore(CommandLine cl) {
    List<Endpoint> members = members(cl);
    if (id < 1 || id > members.size()) {
      throw new ParameterException(cl, "--id " + id + " is not in --peers (members 1 to "
          + members.size() + ")");
    }
    Path backup = path(cl, "FILE", file);
    Path dir = path(cl, "--data-dir", dataDir != null ? dataDir : "data/node-" + id);
    checkDirectory(dir);
    BackupFile.Summary summary;
    try {
      summary = BackupFile.read(backup, entries -> {});
    } catch (BackupFile.Refused e) {
      throw new Failure(e.getMessage() + "; nothing was restored");
    }
    boolean created = !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
    try {
      write(backup, dir, summary);
    } catch (Failure | StorageException | LinkageError e) {
      clean(dir, created);
      String why = e instanceof LinkageError ? "cannot load RocksDB: " + e : e.getMessage();
      throw new Failure(why + "; nothing was restored (" + dir + " is as it was)");
    }
    Endpoint self = members.get(id - 1);
    List<String> others = new ArrayList<>();
    for (Endpoint m : members) {
      if (!m.equals(self)) {
        others.add(m.toString());
      }
    }
    return "restored snapshot at index " + summary.header().index() + " (term "
        + summary.header().term() + "): " + summary.keys() + " keys, to " + dir + " for member "
        + id + " of " + members.size() + "; start it with: kvstore --id " + id + " --host "
        + self.host() + " --port " + self.port()
        + (others.isEmpty() ? "" : " --peers " + String.join(",", others))
        + " --data-dir " + dir;
  }

  /** Stages every entry, then installs them at the backup's index, as a follower installs one. */
  private void write(Path backup, Path dir, BackupFile.Summary checked) {
    RocksDbStorage storage = RocksDbStorage.open(dir, id);
    try {
      StateStore state = storage.stateStore();
      BackupFile.Summary again;
      try {
        again = BackupFile.read(backup, entries -> SnapshotChunks.stage(state, entries));
      } catch (BackupFile.Refused e) {
        throw new Failure(e.getMessage() + " (it changed while being restored)");
      }
      if (!again.equals(checked)) {
        throw new Failure(backup + " changed while being restored");
      }
      long index = checked.header().index();
      long term = checked.header().term();
      storage.beginInstall(index, term);
      if (state.installStaged() != index) {
        throw new Failure("the install at index " + index + " did not complete");
      }
      // A node's term is never below that of its last entry; a vote of the old cluster means
      // nothing here, so none.
      storage.saveTermAndVote(term, Optional.empty());
      storage.saveCommitHint(index);
      storage.sync();
    } finally {
      storage.close();
    }
  }

  private List<Endpoint> members(CommandLine cl) {
    List<Endpoint> members = new ArrayList<>();
    for (String text : peers) {
      if (text.isBlank()) {
        continue;
      }
      Endpoint e;
      try {
        e = Endpoint.parse(text, "127.0.0.1");
      } catch (IllegalArgumentException x) {
        throw new ParameterException(cl, "--peers: " + x.getMessage());
      }
      if (members.contains(e)) {
        throw new ParameterException(cl, "--peers names " + e + " twice");
      }
      members.add(e);
    }
    if (members.isEmpty()) {
      throw new ParameterException(cl, "--peers is empty: name every member of the new cluster");
    }
    return members;
  }

  private static Path path(CommandLine cl, String what, String text) {
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw new ParameterException(cl, what + ": " + e.getMessage());
    }
  }

  /** Missing, or an empty directory: anything else is someone's data, never overwritten. */
  private static void checkDirectory(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new Failure(dir + " exists and is not a directory; nothing was restored");
    }
    try (Stream<Path> entries = Files.list(dir)) {
      if (entries.findAny().isPresent()) {
        throw new Failure(dir + " exists and is not empty: restore never overwrites a data"
            + " directory; give a new --data-dir");
      }
    } catch (IOException e) {
      throw new Failure("cannot read " + dir + ": " + e.getMessage());
    }
  }

  /** Deletes what this restore made in {@code dir}, and {@code dir} too if it made it. */
  private static void clean(Path dir, boolean created) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        if (created || !p.equals(dir)) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      // Best effort: the message names the directory, and a store left without its meta is
      // refused by the next open.
    }
  }

  private static String oneLine(String message) {
    return String.valueOf(message).replaceAll("\\s+", " ").strip();
  }
}
