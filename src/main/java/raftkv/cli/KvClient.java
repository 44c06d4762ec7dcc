package raftkv.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Continuation;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.client.ClientActor.ClusterStatus;
import raftkv.common.Endpoint;
import raftkv.common.TlsSettings;

/**
 * {@code kv_client}: one command against the cluster (or a {@code shell} of them), printed as text
 * or one JSON line. Parsing, session numbering and printing run without an ActorSystem; the
 * cluster is behind {@link ClusterClient}, started only when a request is actually sent.
 */
@Command(
    name = "kv_client",
    sortOptions = false,
    versionProvider = KvStore.Version.class,
    usageHelpAutoWidth = true,
    description = {
      "Talks to a raftkv cluster: writes are applied at most once per (client id, seq), so a"
          + " retried write never applies twice.",
      ""
    },
    subcommands = {
      KvClient.Put.class,
      KvClient.Get.class,
      KvClient.Delete.class,
      KvClient.Cas.class,
      KvClient.Incr.class,
      KvClient.Scan.class,
      KvClient.Status.class,
      KvClient.Snapshot.class,
      KvClient.Shell.class,
      KvClient.Completion.class
    },
    footer = {
      "",
      "A write first registers a session: without --client-id the cluster chooses its id and"
          + " writes count seq from 1; with --client-id C --seq N it registers C (again, if it is"
          + " live) and writes under seq N. To retry a write whose outcome is unknown (exit 3), give"
          + " the --client-id and --seq its error names: the cluster then answers the first outcome"
          + " (duplicate) instead of applying the write again. Once the session has ended (expired"
          + " or evicted) the retry is refused, exit 3, and nothing is applied: a write sent before"
          + " may have been.",
      "",
      "A value that starts with '-' goes after '--':  kv_client put k -- -1",
      "",
      "Exit status: 0 success (a get of an absent key too), 1 error (nothing was applied; for"
          + " status: nodes answer but none knows a leader), 2 usage error, 3 outcome unknown (the"
          + " write may or may not have been applied: a timeout, a leader lost after storing it, an"
          + " ended session, a stale seq; for status: no node answered)."
    })
public final class KvClient {

  static final List<Endpoint> DEFAULT_PEERS =
      List.of(
          new Endpoint("127.0.0.1", 9001),
          new Endpoint("127.0.0.1", 9002),
          new Endpoint("127.0.0.1", 9003));

  @Option(
      scope = ScopeType.INHERIT,
      names = "--port",
      paramLabel = "P",
      description = "One node: a port on --host, or HOST:PORT; the leader it names is followed.")
  String port;

  @Option(
      scope = ScopeType.INHERIT,
      names = "--peers",
      paramLabel = "P1,P2,...",
      description =
          "The nodes, each a port on --host or HOST:PORT. Default: $RAFTKV_ENDPOINTS (same"
              + " syntax), else 9001,9002,9003.")
  String peers;

  @Option(
      scope = ScopeType.INHERIT,
      names = "--host",
      paramLabel = "H",
      description = "The host of nodes given as bare ports. Default: 127.0.0.1.")
  String host;

  @Option(
      scope = ScopeType.INHERIT,
      names = "--client-id",
      paramLabel = "ID",
      description =
          "The session's client id (needs --seq); it is registered before the write."
              + " Default: one the cluster chooses.")
  String clientId;

  @Option(
      scope = ScopeType.INHERIT,
      names = "--seq",
      paramLabel = "N",
      description = "The seq of the first write (needs --client-id); a new session's first is 1.")
  Long seq;

  @Option(
      scope = ScopeType.INHERIT,
      names = "--timeout",
      paramLabel = "DURATION",
      description = "Give up after this long, e.g. 2s, 500ms, 1m. Default: 2s.")
  String timeout;

  @Option(
      scope = ScopeType.INHERIT,
      names = "--tls-dir",
      paramLabel = "DIR",
      defaultValue = "${env:RAFTKV_TLS_DIR}",
      description =
          "TLS with DIR/client.p12, DIR/truststore.p12 and DIR/password (scripts/dev-certs.sh DIR"
              + " makes them), for a cluster started with --tls-dir. Default: $RAFTKV_TLS_DIR.")
  String tlsDir;

  @Option(
      scope = ScopeType.INHERIT,
      names = "--json",
      description = "Print every result as one JSON line.")
  boolean json;

  @Option(
      scope = ScopeType.INHERIT,
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = {"-V", "--version"},
      versionHelp = true,
      description = "Print the version, nearest tag and commit, and exit.")
  boolean version;

  // ---------------------------------------------------------------------------------------------
  // Commands

  /** A parsed command. */
  sealed interface ClientCommand
      permits WriteCommand, PutFromCommand, GetCommand, ScanCommand, StatusCommand,
          SnapshotSaveCommand, ShellCommand {}

  record WriteCommand(Op op) implements ClientCommand {}

  /** A put whose value is read first: from {@code file}, or standard input when it is null. */
  record PutFromCommand(String key, Path file) implements ClientCommand {}

  record GetCommand(String key, boolean stale) implements ClientCommand {}

  /** {@code limit} null: every matching key; {@code after} null: from the first. */
  record ScanCommand(String prefix, Integer limit, boolean keysOnly, boolean stale, String after)
      implements ClientCommand {}

  record StatusCommand() implements ClientCommand {}

  record SnapshotSaveCommand(Path file) implements ClientCommand {}

  record ShellCommand() implements ClientCommand {}

  /** A picocli subcommand that yields a {@link ClientCommand}. */
  interface Source {
    ClientCommand command();
  }

  @Command(
      name = "put",
      sortOptions = false,
      customSynopsis = {
        "kv_client put [OPTIONS] KEY VALUE",
        "       kv_client put [OPTIONS] KEY -",
        "       kv_client put [OPTIONS] KEY --file FILE"
      },
      description = {
        "Set KEY to VALUE, or to what standard input (VALUE -) or FILE holds, byte for byte: a"
            + " trailing newline is kept (printf '%%s' V, not echo V, for a value without one). A"
            + " value is UTF-8 text of at most 1 MiB; input that is not, or is larger, is refused"
            + " and nothing is sent. In the shell, - is the value '-' itself."
      })
  static final class Put implements Source {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", hidden = true)
    String value;

    @Option(
        names = "--file",
        paramLabel = "FILE",
        description = "The value is FILE's contents, exactly (instead of VALUE).")
    String file;

    @Override
    public ClientCommand command() {
      if (file != null && value != null) {
        throw new ParameterException(spec.commandLine(), "give VALUE or --file FILE, not both");
      }
      if (file == null && value == null) {
        boolean inShell = spec.parent() != null && spec.parent().userObject() instanceof ShellLine;
        throw new ParameterException(
            spec.commandLine(),
            inShell ? "missing VALUE (or --file FILE)"
                : "missing VALUE (or - for standard input, or --file FILE)");
      }
      if (file != null) {
        try {
          return new PutFromCommand(key, Path.of(file));
        } catch (InvalidPathException e) {
          throw new ParameterException(spec.commandLine(), "FILE: " + e.getMessage());
        }
      }
      return "-".equals(value)
          ? new PutFromCommand(key, null)
          : new WriteCommand(new Op.Put(key, value));
    }
  }

  @Command(
      name = "get",
      sortOptions = false,
      description = "Print KEY's value, or (nil). Linearizable unless --stale.")
  static final class Get implements Source {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(
        names = "--stale",
        description = "Answer from one node's state at once; may miss recent writes.")
    boolean stale;

    @Override
    public ClientCommand command() {
      return new GetCommand(key, stale);
    }
  }

  @Command(
      name = "delete",
      sortOptions = false,
      description = "Remove KEY (succeeds if it is absent too).")
  static final class Delete implements Source {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    public ClientCommand command() {
      return new WriteCommand(new Op.Delete(key));
    }
  }

  @Command(
      name = "cas",
      sortOptions = false,
      customSynopsis = {
        "kv_client cas [OPTIONS] KEY EXPECTED NEW",
        "       kv_client cas [OPTIONS] --absent KEY NEW"
      },
      description = {
        "Compare and set: set KEY to NEW if it holds EXPECTED (with --absent: if it does not"
            + " exist). Otherwise fail with cas_mismatch and the actual value."
      })
  static final class Cas implements Source {
    @Spec CommandSpec spec;

    @Option(names = "--absent", description = "Succeed only if KEY does not exist.")
    boolean absent;

    @Parameters(arity = "2..3", paramLabel = "ARGS", hidden = true)
    List<String> args;

    @Override
    public ClientCommand command() {
      if (absent && args.size() != 2) {
        throw new ParameterException(spec.commandLine(), "cas --absent takes KEY NEW");
      }
      if (!absent && args.size() != 3) {
        throw new ParameterException(
            spec.commandLine(), "cas takes KEY EXPECTED NEW (or --absent KEY NEW)");
      }
      return absent
          ? new WriteCommand(new Op.Cas(args.get(0), null, args.get(1)))
          : new WriteCommand(new Op.Cas(args.get(0), args.get(1), args.get(2)));
    }
  }

  @Command(
      name = "incr",
      sortOptions = false,
      description = "Add DELTA (default 1) to KEY's integer value (absent counts as 0); print it.")
  static final class Incr implements Source {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DELTA", defaultValue = "1")
    long delta;

    @Override
    public ClientCommand command() {
      return new WriteCommand(new Op.Incr(key, delta));
    }
  }

  @Command(
      name = "scan",
      sortOptions = false,
      description = {
        "Print the keys that start with PREFIX (default: every key) in byte order, one a line:"
            + " KEY VALUE, or KEY with --keys-only. Linearizable unless --stale. The cluster"
            + " answers in pages; the client follows them to the end, or to --limit keys. With"
            + " --json, one line per page, with the continuation of the next (null on the last)."
      })
  static final class Scan implements Source {
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", defaultValue = "")
    String prefix;

    @Option(
        names = "--limit",
        paramLabel = "N",
        description = "Print at most N keys (1 to " + Limits.MAX_SCAN_LIMIT + ").")
    Integer limit;

    @Option(names = "--keys-only", description = "Print the keys alone.")
    boolean keysOnly;

    @Option(
        names = "--stale",
        description = "Answer from one node's state at once; may miss recent writes.")
    boolean stale;

    @Option(
        names = "--after",
        paramLabel = "CONTINUATION",
        description = "Start after this continuation, as a --json page printed it.")
    String after;

    @Override
    public ClientCommand command() {
      if (limit != null && (limit < 1 || limit > Limits.MAX_SCAN_LIMIT)) {
        throw new ParameterException(
            spec.commandLine(),
            "--limit must be from 1 to " + Limits.MAX_SCAN_LIMIT + "; it is " + limit);
      }
      return new ScanCommand(prefix, limit, keysOnly, stale, after);
    }
  }

  @Command(
      name = "status",
      sortOptions = false,
      description =
          "Ask every node for its view (role, term, leader, indexes); list the silent ones as"
              + " unreachable. Exit 0 if a leader is known, 1 if nodes answer but none knows a"
              + " leader, 3 if no node answers.")
  static final class Status implements Source {
    @Override
    public ClientCommand command() {
      return new StatusCommand();
    }
  }

  @Command(
      name = "snapshot",
      sortOptions = false,
      description = "Backups of the whole store (restore one with kvstore restore).",
      subcommands = {SnapshotSave.class})
  static final class Snapshot {}

  @Command(
      name = "save",
      sortOptions = false,
      description = {
        "Write a consistent, checksummed backup of the whole store (keys, values and client"
            + " sessions) from the leader to FILE, online: the state at the leader's applied index"
            + " when the backup begins. FILE must not exist; it appears only once the backup is"
            + " complete and synced (meanwhile FILE.tmp). --timeout applies to each chunk."
      })
  static final class SnapshotSave implements Source {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Where to write it; must not exist.")
    String file;

    @Override
    public ClientCommand command() {
      try {
        return new SnapshotSaveCommand(Path.of(file));
      } catch (InvalidPathException e) {
        throw new ParameterException(spec.commandLine(), "FILE: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "shell",
      sortOptions = false,
      description = {
        "Read commands from stdin, one a line (same syntax, quotes allowed; blank lines and #"
            + " comments skipped), and print one result line each on stdout, errors included;"
            + " a scan prints a line per key (per page with --json), or (no keys).",
        "One client id for the whole shell; every write takes the next seq.",
        "At a terminal (stdin and stdout both): a kv> prompt with line editing, history (in"
            + " $RAFTKV_HISTORY, else ~/.raftkv_history; a line typed after a space is not kept)"
            + " and tab completion of the command names; exit, quit or Ctrl-D ends it, Ctrl-C"
            + " drops the line. Through a pipe: no prompt, one result line per command."
      })
  static final class Shell implements Source {
    @Override
    public ClientCommand command() {
      return new ShellCommand();
    }
  }

  /**
   * picocli's bash/zsh completion script (AutoComplete, as its GenerateCompletion prints it; that
   * class brings a -h of its own, which clashes with our inherited one). Hidden from the command
   * list: it is set up once, not used.
   */
  @Command(
      name = "completion",
      hidden = true,
      description = {
        "Print a bash or zsh completion script for kv_client's commands and options:"
            + "  source <(kv_client completion)"
      })
  static final class Completion {}

  /** The root of a shell line: the commands, without the global options or a nested shell. */
  @Command(
      name = "",
      subcommands = {
        Put.class, Get.class, Delete.class, Cas.class, Incr.class, Scan.class, Status.class
      })
  static final class ShellLine {}

  private static final Set<String> SHELL_COMMANDS =
      Set.of("put", "get", "delete", "cas", "incr", "scan", "status");

  // ---------------------------------------------------------------------------------------------
  // Settings and the session

  /**
   * What the command line says about where the cluster is, how long to wait, and TLS ({@link
   * TlsSettings#forDir}, or empty without {@code --tls-dir}).
   */
  record Settings(List<Endpoint> nodes, Duration timeout, Config tls) {}

  private static final Pattern DURATION =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?", Pattern.CASE_INSENSITIVE);

  /** "2s", "500ms", "1m", "1.5s"; a bare number is seconds. */
  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (e.g. 2s, 500ms, 1m)");
    }
    double amount = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    double millis =
        switch (unit) {
          case "ms" -> amount;
          case "m" -> amount * 60_000;
          default -> amount * 1000;
        };
    if (millis < 1 || millis > Duration.ofDays(1).toMillis()) {
      throw new IllegalArgumentException("timeout '" + text + "' must be from 1ms to 1 day");
    }
    return Duration.ofMillis((long) millis);
  }

  /** The environment variable that names the nodes when neither --port nor --peers does. */
  static final String ENDPOINTS_ENV = "RAFTKV_ENDPOINTS";

  /** "9001,other:9002": each a port on {@code defaultHost} or HOST:PORT, duplicates dropped. */
  static List<Endpoint> parseNodes(String list, String defaultHost) {
    List<Endpoint> nodes = new ArrayList<>();
    for (String p : list.split(",", -1)) {
      Endpoint e = Endpoint.parse(p, defaultHost);
      if (!nodes.contains(e)) {
        nodes.add(e);
      }
    }
    return nodes;
  }

  /**
   * The settings and session the global options describe, or a usage error. The nodes: --port or
   * --peers, else {@code $RAFTKV_ENDPOINTS} (unset or blank: absent), else the default three.
   */
  private Settings settings(CommandLine cl, Map<String, String> env) {
    String defaultHost = host == null ? "127.0.0.1" : host;
    if (port != null && peers != null) {
      throw new ParameterException(cl, "--port and --peers are alternatives: give one");
    }
    String endpoints = env.get(ENDPOINTS_ENV);
    List<Endpoint> nodes = new ArrayList<>();
    try {
      if (port != null) {
        nodes.add(Endpoint.parse(port, defaultHost));
      } else if (peers != null) {
        nodes.addAll(parseNodes(peers, defaultHost));
      } else if (endpoints != null && !endpoints.isBlank()) {
        try {
          nodes.addAll(parseNodes(endpoints, defaultHost));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              ENDPOINTS_ENV + "='" + endpoints + "': " + e.getMessage()
                  + " (it is a list like --peers: 9001,9002 or HOST:PORT,HOST:PORT)");
        }
      } else if (host != null) {
        for (Endpoint e : DEFAULT_PEERS) {
          nodes.add(new Endpoint(host, e.port()));
        }
      } else {
        nodes.addAll(DEFAULT_PEERS);
      }
      Config tls =
          tlsDir == null || tlsDir.isBlank()
              ? ConfigFactory.empty()
              : TlsSettings.forDir(Path.of(tlsDir), "client.p12");
      return new Settings(
          nodes, timeout == null ? Duration.ofSeconds(2) : parseDuration(timeout), tls);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, e.getMessage());
    }
  }

  private ClientSession session(CommandLine cl) {
    if (clientId != null && seq == null) {
      throw new ParameterException(
          cl, "--client-id needs --seq: the server deduplicates by (client id, seq)");
    }
    if (seq != null && clientId == null) {
      throw new ParameterException(
          cl, "--seq needs --client-id: the server deduplicates by (client id, seq)");
    }
    if (clientId == null) {
      return ClientSession.chosenByCluster();
    }
    if (seq < 1) {
      throw new ParameterException(cl, "--seq must be at least 1 (a session's first write is 1)");
    }
    if (clientId.isEmpty()) {
      throw new ParameterException(cl, "--client-id must not be empty");
    }
    return new ClientSession(clientId, seq);
  }

  // ---------------------------------------------------------------------------------------------
  // Running

  public static void main(String[] args) {
    // The client's log lines (warnings only) go to stderr: stdout holds only results.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-client.xml");
    }
    AkkaClusterClient.warmUp();
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    // On Java 17 System.console() is there only when stdin and stdout are both a terminal: then a
    // shell reads through the line editor; a pipe on either side keeps the plain line reader.
    boolean terminal = System.console() != null;
    int code =
        run(args, System.getenv(), terminal, System.in, out, err,
            s -> new AkkaClusterClient(s.nodes(), s.timeout(), s.tls()));
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs one command line in this process's environment and returns the exit status. {@code
   * connect} makes the cluster client (tests pass a fake); it is closed before returning.
   */
  static int run(
      String[] args,
      InputStream in,
      PrintStream out,
      PrintStream err,
      Function<Settings, ClusterClient> connect) {
    return run(args, System.getenv(), false, in, out, err, connect);
  }

  /**
   * As {@link #run(String[], InputStream, PrintStream, PrintStream, Function)}, in {@code env}.
   * Standard input is {@code in}: bytes for {@code put K -}, lines of UTF-8 for {@code shell}; a
   * {@code terminal} (a person types) reads a shell's lines through {@link TerminalShell} instead.
   */
  static int run(
      String[] args,
      Map<String, String> env,
      boolean terminal,
      InputStream in,
      PrintStream out,
      PrintStream err,
      Function<Settings, ClusterClient> connect) {
    CommandLine cl = new CommandLine(new KvClient());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    ClientCommand command;
    Settings settings;
    ClientSession session;
    KvClient root;
    try {
      ParseResult parsed = cl.parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return Output.EXIT_OK;
      }
      root = cl.getCommand();
      if (!parsed.hasSubcommand()) {
        throw new ParameterException(cl, "missing COMMAND");
      }
      ParseResult sub = parsed.subcommand();
      while (sub.hasSubcommand()) {
        sub = sub.subcommand(); // snapshot save
      }
      if (sub.commandSpec().userObject() instanceof Completion) {
        out.print(AutoComplete.bash(cl.getCommandName(), cl));
        out.flush();
        return Output.EXIT_OK;
      }
      if (!(sub.commandSpec().userObject() instanceof Source source)) {
        throw new ParameterException(sub.commandSpec().commandLine(), "missing COMMAND");
      }
      command = source.command();
      settings = root.settings(cl, env);
      session = root.session(cl);
    } catch (ParameterException e) {
      usageError(e, err);
      return Output.EXIT_USAGE;
    }
    Output output = new Output(root.json);
    if (command instanceof PutFromCommand put) {
      // Read before connecting: input that cannot be a value sends nothing at all.
      Result value = readValue(put.file(), in);
      if (!value.ok()) {
        print(new Printed(value, output.result(Output.Kind.WRITE, value)), output, out, err);
        return Output.exitCode(value);
      }
      command = new WriteCommand(new Op.Put(put.key(), value.value()));
    }
    try (ClusterClient cluster = connect.apply(settings)) {
      if (command instanceof ShellCommand) {
        if (terminal) {
          try (TerminalShell lines = TerminalShell.open(env)) {
            return shell(lines, out, output, session, cluster);
          } catch (IOException e) {
            err.println("kv_client: no line editor (" + e.getMessage() + "); reading plain lines");
          }
        }
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        return shell(lines::readLine, out, output, session, cluster);
      }
      if (command instanceof StatusCommand) {
        ClusterStatus status = cluster.status();
        out.println(output.status(status));
        if (!status.anyReachable()) {
          cluster.tlsFailure().ifPresent(why -> err.println("error: TLS: " + why));
        } else if (status.leaderId().isEmpty() && !output.json()) {
          err.println("error: no leader: no node that answered knows one (an election may be under way)");
        }
        return statusExit(status);
      }
      if (command instanceof ScanCommand sc) {
        Result r = scan(sc, cluster, output, out::println);
        if (!r.ok()) {
          (output.json() ? out : err).println(output.scanPage(ScanReply.failed(r), sc.keysOnly()).get(0));
        }
        return Output.exitCode(r);
      }
      if (command instanceof SnapshotSaveCommand save) {
        Result r = saveSnapshot(save.file(), cluster, output, out::println);
        if (!r.ok()) {
          (output.json() ? out : err).println(output.result(Output.Kind.GET, r));
        }
        return r.ok() ? Output.EXIT_OK : Output.EXIT_ERROR; // nothing written either way
      }
      Printed p = session.perform(command, cluster, output);
      print(p, output, out, err);
      return Output.exitCode(p.result());
    } catch (RuntimeException e) {
      // Not a reply (the client answers timeout rather than fail): an unknown host, a port that
      // cannot be bound. Reported like any error, never as a stack trace.
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      Result r = Result.error(ErrorCode.UNAVAILABLE, "the client could not run: " + why);
      print(new Printed(r, output.result(Output.Kind.GET, r)), output, out, err);
      return Output.EXIT_ERROR;
    }
  }

  /**
   * A usage error in two lines on stderr, as git and etcdctl print one: what is wrong, and where
   * the help is ({@code try kv_client put --help}); the whole usage would bury the line that says
   * what is wrong.
   */
  static void usageError(ParameterException e, PrintStream err) {
    err.println("error: " + oneLine(e.getMessage()));
    err.println("try " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help");
  }

  /** A message that picocli may have broken over lines, on one. */
  private static String oneLine(String message) {
    return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  /**
   * The exit status of {@code status}, for scripts and probes: 0 a leader is known, 1 nodes answer
   * but none knows a leader (it is known that there is none), 3 no node answered (unknown).
   */
  static int statusExit(ClusterStatus status) {
    if (!status.anyReachable()) {
      return Output.EXIT_UNKNOWN;
    }
    return status.leaderId().isPresent() ? Output.EXIT_OK : Output.EXIT_ERROR;
  }

  /**
   * The value in {@code file} (standard input {@code in} when it is null), or why it cannot be
   * one: its bytes exactly, decoded as strict UTF-8 (a malformed sequence is refused, never
   * replaced), at most {@link Limits#MAX_VALUE_BYTES}. Reads at most one byte past the limit.
   */
  static Result readValue(Path file, InputStream in) {
    String name = file == null ? "standard input" : file.toString();
    byte[] bytes;
    try {
      if (file == null) {
        bytes = in.readNBytes(Limits.MAX_VALUE_BYTES + 1); // not closed: it is the process's
      } else {
        try (InputStream f = Files.newInputStream(file)) {
          bytes = f.readNBytes(Limits.MAX_VALUE_BYTES + 1);
        }
      }
    } catch (NoSuchFileException e) {
      return Result.error(ErrorCode.INVALID_REQUEST, "cannot read " + name + ": no such file; nothing was sent");
    } catch (AccessDeniedException e) {
      return Result.error(ErrorCode.INVALID_REQUEST, "cannot read " + name + ": permission denied; nothing was sent");
    } catch (IOException e) {
      return Result.error(ErrorCode.INVALID_REQUEST, "cannot read " + name + ": " + e.getMessage() + "; nothing was sent");
    }
    if (bytes.length > Limits.MAX_VALUE_BYTES) {
      return Result.error(ErrorCode.TOO_LARGE, name + " holds more than " + Limits.MAX_VALUE_BYTES
          + " bytes (1 MiB), the most a value may hold; nothing was sent");
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer source = ByteBuffer.wrap(bytes);
    CharBuffer chars = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
    CoderResult decoded = decoder.decode(source, chars, true);
    if (!decoded.isError()) {
      decoded = decoder.flush(chars);
    }
    if (!decoded.isUnderflow()) {
      return Result.error(ErrorCode.INVALID_REQUEST, name + " is not UTF-8 text (a malformed byte"
          + " sequence at byte " + source.position() + "); a value is UTF-8 text; nothing was sent");
    }
    return Result.value(chars.flip().toString(), 0);
  }

  /** Text errors go to stderr; a JSON line is the result, whatever it says, so stdout. */
  private static void print(Printed p, Output output, PrintStream out, PrintStream err) {
    (p.result().ok() || output.json() ? out : err).println(p.line());
  }

  /** A result and the line that reports it. */
  record Printed(Result result, String line) {}

  /** Where a shell's lines come from: standard input as it is, or a terminal's line editor. */
  interface ShellInput {
    /** The next line, or null at the end. */
    String readLine() throws IOException;
  }

  /** Runs the lines until their end: one output line per command line, errors included. */
  static int shell(
      ShellInput in,
      PrintStream out,
      Output output,
      ClientSession session,
      ClusterClient cluster) {
    try {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        out.println(shellLine(trimmed, output, session, cluster));
        out.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Output.EXIT_OK;
  }

  /** The one line that answers one shell line. */
  static String shellLine(
      String line, Output output, ClientSession session, ClusterClient cluster) {
    ClientCommand command;
    try {
      command = parseShellLine(line);
    } catch (IllegalArgumentException e) {
      return output.usageError(e.getMessage());
    }
    if (command instanceof PutFromCommand put) {
      // parseShellLine left only --file here: standard input is the shell's own.
      Result value = readValue(put.file(), InputStream.nullInputStream());
      if (!value.ok()) {
        return output.result(Output.Kind.WRITE, value);
      }
      command = new WriteCommand(new Op.Put(put.key(), value.value()));
    }
    if (command instanceof StatusCommand) {
      return output.statusLine(cluster.status());
    }
    if (command instanceof ScanCommand sc) {
      // Several lines, each page's as it comes; "(no keys)" in text, so that a scan is never silent.
      List<String> lines = new ArrayList<>();
      Result r = scan(sc, cluster, output, lines::add);
      if (!r.ok()) {
        lines.addAll(output.scanPage(ScanReply.failed(r), sc.keysOnly()));
      }
      return lines.isEmpty() ? "(no keys)" : String.join("\n", lines);
    }
    return session.perform(command, cluster, output).line();
  }

  /**
   * Runs a scan to its end: asks page after page, following the continuations, until the last
   * page or {@code --limit} keys, and hands every line to print (in text one per key, in JSON one
   * per page; a page cut short by the limit carries the continuation after its last key). Returns
   * ok, or why the scan stopped (its line not yet printed); the lines of the pages before stand.
   */
  static Result scan(ScanCommand c, ClusterClient cluster, Output output, Consumer<String> print) {
    Consistency consistency = c.stale() ? Consistency.STALE : Consistency.LINEARIZABLE;
    Optional<Result> refused = Limits.checkScan(c.prefix(), c.after(), c.limit() == null ? 0 : c.limit());
    if (refused.isPresent()) {
      return refused.get();
    }
    String after = c.after();
    long printed = 0;
    while (true) {
      int ask = c.limit() == null ? 0 : (int) (c.limit() - printed);
      ScanReply page = cluster.scan(c.prefix(), after, ask, c.keysOnly(), consistency);
      if (!page.result().ok()) {
        return page.result();
      }
      List<ScanEntry> entries = page.entries();
      String next = page.continuation();
      if (ask > 0 && entries.size() > ask) {
        // A page longer than asked for: print what was asked, and where the rest starts.
        entries = entries.subList(0, ask);
        next = Continuation.after(entries.get(ask - 1).key());
      }
      if (next != null && entries.isEmpty()) {
        return Result.error(
            ErrorCode.UNAVAILABLE, "the cluster answered an empty page that is not the last; retry");
      }
      output.scanPage(ScanReply.page(entries, next), c.keysOnly()).forEach(print);
      printed += entries.size();
      if (next == null || (c.limit() != null && printed >= c.limit())) {
        return Result.value(null, 0);
      }
      after = next;
    }
  }

  /**
   * Writes a backup of the whole store to {@code file}: asks the leader for chunk after chunk of
   * one cursor, checks each against the leader's chained checksum and writes it (see {@link
   * BackupFile}), and prints one line once the file is complete. Returns ok, or why the backup
   * failed; then nothing is left at {@code file} (nor at {@code file.tmp}).
   */
  static Result saveSnapshot(Path file, ClusterClient cluster, Output output, Consumer<String> print) {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Result.error(ErrorCode.INVALID_REQUEST,
          file + " exists: a backup never overwrites a file; give a new name");
    }
    BackupFile.Writer writer = null;
    try {
      Long cursor = null;
      BackupFile.Header header = null;
      for (long seq = 0; ; seq++) {
        SnapshotChunkReply chunk = cluster.readSnapshot(cursor, seq);
        if (!chunk.result().ok()) {
          return seq == 0 ? chunk.result() : Result.error(chunk.result().error(),
              "the backup failed at chunk " + seq + ": " + chunk.result().message());
        }
        if (header == null) {
          cursor = chunk.cursorId();
          header = new BackupFile.Header(chunk.index(), chunk.term(), chunk.members());
          writer = BackupFile.Writer.create(file, header);
        } else if (!cursor.equals(chunk.cursorId()) || chunk.seq() != seq
            || chunk.index() != header.index() || chunk.term() != header.term()) {
          return Result.error(ErrorCode.UNAVAILABLE,
              "the leader changed during the backup (chunk " + seq + "); run it again");
        }
        writer.chunk(chunk.data(), chunk.digest());
        if (chunk.last()) {
          BackupFile.Summary summary = writer.finish();
          print.accept(output.snapshotSaved(summary, file));
          return Result.value(null, 0);
        }
      }
    } catch (BackupFile.Refused e) {
      return Result.error(ErrorCode.UNAVAILABLE, e.getMessage());
    } catch (IOException e) {
      return Result.error(ErrorCode.UNAVAILABLE, "cannot write " + file + ": " + e.getMessage());
    } finally {
      if (writer != null) {
        writer.close();
      }
    }
  }

  /**
   * Parses one shell line.
   *
   * @throws IllegalArgumentException with a one-line reason when it does not parse
   */
  static ClientCommand parseShellLine(String line) {
    List<String> words = ShellWords.split(line);
    if (words.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
    if (!SHELL_COMMANDS.contains(words.get(0))) {
      throw new IllegalArgumentException(
          "unknown command '" + words.get(0)
              + "'; commands: put, get, delete, cas, incr, scan, status");
    }
    CommandLine cl = new CommandLine(new ShellLine());
    try {
      ParseResult parsed = cl.parseArgs(words.toArray(String[]::new));
      ClientCommand command = ((Source) parsed.subcommand().commandSpec().userObject()).command();
      if (command instanceof PutFromCommand put && put.file() == null) {
        // Standard input holds the shell's commands: here "put k -" stores "-", as it always did.
        return new WriteCommand(new Op.Put(put.key(), "-"));
      }
      return command;
    } catch (ParameterException e) {
      String name = e.getCommandLine().getCommandName();
      throw new IllegalArgumentException((name.isEmpty() ? "" : name + ": ") + oneLine(e.getMessage()));
    }
  }
}
