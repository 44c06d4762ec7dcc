package raftkv.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import raftkv.bench.Stats.Fmt;
import raftkv.bench.Stats.Summary;

/**
 * The benchmark's findings: a {@code RESULT name=... key=value ...} line for each figure as soon as
 * it is known (to the progress stream and the results file), and at the end one markdown block.
 */
final class Report {
  /** Failover targets: median and maximum, in milliseconds. */
  static final double TARGET_MEDIAN_MS = 500;
  static final double TARGET_MAX_MS = 1000;

  private final PrintStream progress;
  private final Path resultsFile;
  private final String setup;
  private final List<Load.Outcome> loads = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private Failover.Outcome failover;
  private CliOutcome cli;

  /** The command-line client's timings. */
  record CliOutcome(String command, List<Double> millis) {}

  /**
   * {@code setup} opens the markdown block: what ran where. {@code resultsFile} may be null (RESULT
   * lines then only go to {@code progress}).
   */
  Report(PrintStream progress, Path resultsFile, String setup) {
    this.progress = progress;
    this.resultsFile = resultsFile;
    this.setup = setup;
  }

  void note(String text) {
    notes.add(text);
  }

  void add(Load.Outcome o) {
    loads.add(o);
    result(
        String.format(
            Locale.ROOT,
            "name=%s ops=%d errors=%d retries=%d secs=%s ops_s=%s p50_ms=%s p99_ms=%s"
                + " p999_ms=%s max_ms=%s node_cpu_us_per_op=%s",
            o.name(), o.ops(), o.errors(), o.retries(), Fmt.plain(o.seconds()),
            Fmt.plain(o.opsPerSecond()),
            Fmt.plain(o.ms(50)), Fmt.plain(o.ms(99)), Fmt.plain(o.ms(99.9)), Fmt.plain(o.maxMs()),
            Fmt.plain(o.nodeCpuMicrosPerOp())));
  }

  void add(Failover.Rep r) {
    result(
        String.format(
            Locale.ROOT,
            "name=failover-rep rep=%d killed=n%d old_term=%d new_term=%d election_log_ms=%s"
                + " election_poll_ms=%s first_write_ms=%s write_gap_ms=%s catch_up_ms=%s",
            r.rep(), r.killed(), r.oldTerm(), r.newTerm(), Fmt.plain(r.electionLogMs()),
            Fmt.plain(r.electionPollMs()), Fmt.plain(r.firstWriteMs()), Fmt.plain(r.writeGapMs()),
            Fmt.plain(r.catchUpMs())));
  }

  void add(Failover.Outcome o) {
    failover = o;
    for (Measure m : MEASURES) {
      result("name=failover-" + m.name + " " + summary(o, m.value).fields("ms"));
    }
    result(
        String.format(
            Locale.ROOT,
            "name=failover-writer acks=%d retries=%d errors=%d attempt_timeout_ms=%d",
            o.acks(), o.retries(), o.errors(), o.attemptTimeout().toMillis()));
    for (Measure m : MEASURES) {
      if (m.target) {
        Summary s = summary(o, m.value);
        result(
            "name=target-" + m.name + " median_ms=" + Fmt.plain(s.median()) + " max_ms="
                + Fmt.plain(s.max()) + " met=" + met(s));
      }
    }
  }

  void add(CliOutcome c) {
    cli = c;
    Summary s = Summary.of(c.millis().stream().mapToDouble(Double::doubleValue).toArray());
    result(
        "name=cli runs=" + s.n() + " median_ms=" + Fmt.plain(s.median()) + " min_ms="
            + Fmt.plain(s.min()) + " max_ms=" + Fmt.plain(s.max()));
  }

  /** A machine-readable line: to the progress stream and the results file. */
  void result(String fields) {
    String line = "RESULT " + fields;
    progress.println(line);
    if (resultsFile != null) {
      try {
        Files.writeString(
            resultsFile, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** One failover measure: its RESULT name, its table label, and whether a target applies. */
  private record Measure(
      String name, String label, ToDoubleFunction<Failover.Rep> value, boolean target) {}

  private static final List<Measure> MEASURES =
      List.of(
          new Measure(
              "election-log", "election (log): kill -> \"Won election\" in a survivor's log",
              Failover.Rep::electionLogMs, true),
          new Measure(
              "election-poll", "election (poll): kill -> a survivor reports leader, higher term",
              Failover.Rep::electionPollMs, true),
          new Measure(
              "first-write", "first write: kill -> first ack of a write sent after the kill",
              Failover.Rep::firstWriteMs, true),
          new Measure(
              "write-gap", "write gap: last ack before the kill -> first ack after it",
              Failover.Rep::writeGapMs, false),
          new Measure(
              "catch-up", "catch-up: restart -> restarted node follows, applied >= commit",
              Failover.Rep::catchUpMs, false));

  private static Summary summary(Failover.Outcome o, ToDoubleFunction<Failover.Rep> f) {
    return Summary.of(o.reps().stream().mapToDouble(f).toArray());
  }

  private static boolean met(Summary s) {
    return s.n() > 0 && s.median() < TARGET_MEDIAN_MS && s.max() < TARGET_MAX_MS;
  }

  /** The markdown block for BENCHMARKS.md. */
  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append(setup.strip()).append("\n");
    if (!loads.isEmpty()) {
      md.append("\n| workload | ops | ops/s | p50 ms | p99 ms | p99.9 ms | max ms"
          + " | node CPU µs/op | errors / retries |\n");
      md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Load.Outcome o : loads) {
        md.append("| ").append(o.label())
            .append(" | ").append(Fmt.count(o.ops()))
            .append(" | ").append(Fmt.count(o.opsPerSecond()))
            .append(" | ").append(Fmt.ms(o.ms(50)))
            .append(" | ").append(Fmt.ms(o.ms(99)))
            .append(" | ").append(Fmt.ms(o.ms(99.9)))
            .append(" | ").append(Fmt.ms(o.maxMs()))
            .append(" | ").append(Fmt.count(o.nodeCpuMicrosPerOp()))
            .append(" | ").append(o.errors()).append(" / ").append(o.retries())
            .append(" |\n");
      }
    }
    if (failover != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "%nFailover: kill -9 of the leader while one sequential writer runs (attempt timeout"
                  + " %d ms; a retry keeps its seq), %d kills, then the node restarted; in ms:%n%n",
              failover.attemptTimeout().toMillis(), failover.reps().size()));
      md.append("| measure | min | median | p90 | max |\n|---|---:|---:|---:|---:|\n");
      for (Measure m : MEASURES) {
        Summary s = summary(failover, m.value);
        md.append("| ").append(m.label)
            .append(" | ").append(Fmt.ms(s.min()))
            .append(" | ").append(Fmt.ms(s.median()))
            .append(" | ").append(Fmt.ms(s.p90()))
            .append(" | ").append(Fmt.ms(s.max()))
            .append(" |\n");
      }
      long firstRound =
          failover.reps().stream().filter(r -> r.newTerm() - r.oldTerm() == 1).count();
      md.append(
          String.format(
              Locale.ROOT,
              "%nElections won in the first round (term + 1): %d of %d. Writer: %s acks, %s"
                  + " retries, %d errors.%n",
              firstRound, failover.reps().size(), Fmt.count(failover.acks()),
              Fmt.count(failover.retries()), failover.errors()));
      md.append("\nTargets (median < ")
          .append(Fmt.ms(TARGET_MEDIAN_MS))
          .append(" ms, max < ")
          .append(Fmt.ms(TARGET_MAX_MS))
          .append(" ms):");
      String sep = " ";
      for (Measure m : MEASURES) {
        if (m.target) {
          Summary s = summary(failover, m.value);
          md.append(sep).append(m.name.replace('-', ' '))
              .append(" ").append(Fmt.ms(s.median())).append(" / ").append(Fmt.ms(s.max()))
              .append(" ms ").append(met(s) ? "met" : "**missed**");
          sep = "; ";
        }
      }
      md.append(".\n");
    }
    if (cli != null) {
      Summary s = Summary.of(cli.millis().stream().mapToDouble(Double::doubleValue).toArray());
      md.append(
          String.format(
              Locale.ROOT,
              "%nCLI: `%s`, wall clock from start to exit, %d runs after one warm-up: median %s ms,"
                  + " min %s ms, max %s ms.%n",
              cli.command(), s.n(), Fmt.ms(s.median()), Fmt.ms(s.min()), Fmt.ms(s.max())));
    }
    for (String n : notes) {
      md.append("\n").append(n.strip()).append("\n");
    }
    return md.toString();
  }
}
