package raftkv.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import raftkv.bench.Stats.Fmt;
import raftkv.bench.Stats.Summary;

/**
 * The benchmark's findings: a {@code RESULT name=... key=value ...} line for each figure as soon as
 * it is known (to the progress stream and the results file), and at the end one markdown block and
 * one JSON document.
 */
final class Report {
  /** Failover targets of issue 5, in milliseconds: median, p90, max. */
  static final double TARGET_MEDIAN_MS = 200;
  static final double TARGET_P90_MS = 300;
  static final double TARGET_MAX_MS = 1000;
  /** Each node's resident memory during the 64-client run stays under this. */
  static final double TARGET_RSS_MIB = 512;

  /** The tables the load figures go to, in this order. */
  static final String WORKLOADS = "workloads";
  static final String OUTSTANDING = "outstanding";
  static final String VALUE_SIZE = "value size";
  static final String HTTP = "http";

  private static final Map<String, String> TITLES =
      Map.of(
          WORKLOADS, "The etcd baseline's workloads (16-byte keys over 5,000, 100-byte values):",
          OUTSTANDING, "Curve: puts of 100 B against outstanding requests:",
          HTTP, "The same workloads through the leader's HTTP API (HTTP/1.1 keep-alive, one"
              + " session per client, the JDK's HttpClient):",
          VALUE_SIZE, "Curve: puts against value size (keys over a key space of at most 64 MiB of"
              + " values, so that the nodes' in-heap map stays small):");

  private final PrintStream progress;
  private final Path resultsFile;
  private final String setup;
  private final Map<String, List<Load.Outcome>> loads = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private Failover.Outcome failover;
  private CliOutcome cli;
  private LargeData.Outcome large;
  private LargeData.CatchUp catchUp;

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
    for (String g : List.of(WORKLOADS, HTTP, OUTSTANDING, VALUE_SIZE)) {
      loads.put(g, new ArrayList<>());
    }
  }

  void note(String text) {
    notes.add(text);
  }

  void add(Load.Outcome o) {
    add(WORKLOADS, o);
  }

  /** The nodes' peak resident memory as RESULT fields: {@code rss_peak_mib_n1=...} for each node. */
  private static String rssFields(List<Double> peakRssMib) {
    StringBuilder rss = new StringBuilder();
    for (int i = 0; i < peakRssMib.size(); i++) {
      rss.append(" rss_peak_mib_n").append(i + 1).append('=').append(Fmt.plain(Math.rint(peakRssMib.get(i))));
    }
    return rss.toString();
  }

  void add(String group, Load.Outcome o) {
    loads.get(group).add(o);
    String rss = rssFields(o.peakRssMib());
    result(
        String.format(
            Locale.ROOT,
            "name=%s outstanding=%d value_bytes=%d ops=%d errors=%d retries=%d secs=%s ops_s=%s"
                + " p50_ms=%s p99_ms=%s p999_ms=%s max_ms=%s node_cpu_us_per_op=%s%s",
            o.name(), o.outstanding(), o.valueBytes(), o.ops(), o.errors(), o.retries(),
            Fmt.plain(o.seconds()), Fmt.plain(o.opsPerSecond()),
            Fmt.plain(o.ms(50)), Fmt.plain(o.ms(99)), Fmt.plain(o.ms(99.9)), Fmt.plain(o.maxMs()),
            Fmt.plain(o.nodeCpuMicrosPerOp()), rss));
  }

  void add(Failover.Rep r) {
    result(
        String.format(
            Locale.ROOT,
            "name=failover-rep rep=%d killed=n%d old_term=%d new_term=%d rounds=%d"
                + " election_log_ms=%s election_poll_ms=%s first_write_ms=%s write_gap_ms=%s"
                + " catch_up_ms=%s shell_first_write_ms=%s",
            r.rep(), r.killed(), r.oldTerm(), r.newTerm(), r.rounds(),
            Fmt.plain(r.electionLogMs()), Fmt.plain(r.electionPollMs()),
            Fmt.plain(r.firstWriteMs()), Fmt.plain(r.writeGapMs()), Fmt.plain(r.catchUpMs()),
            r.shellFirstWriteMs().stream().map(Fmt::plain).reduce((a, b) -> a + "," + b).orElse("-")));
  }

  void add(Failover.Outcome o) {
    failover = o;
    for (Measure m : MEASURES) {
      result("name=failover-" + m.name + " " + summary(o, m.value).fields("ms"));
    }
    result(
        String.format(
            Locale.ROOT,
            "name=failover-writer acks=%d retries=%d errors=%d attempt_timeout_ms=%d"
                + " second_rounds=%d",
            o.acks(), o.retries(), o.errors(), o.attemptTimeout().toMillis(), secondRounds(o)));
    for (Measure m : MEASURES) {
      if (m.target) {
        Summary s = summary(o, m.value);
        result(
            "name=target-" + m.name + " median_ms=" + Fmt.plain(s.median()) + " p90_ms="
                + Fmt.plain(s.p90()) + " max_ms=" + Fmt.plain(s.max()) + " met=" + met(s));
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

  void add(LargeData.Outcome o) {
    large = o;
    String rss = rssFields(o.peakRssMib());
    result(
        String.format(
            Locale.ROOT,
            "name=large heap_mib=%d value_bytes=%d target_mib=%s loaded_mib=%s load_secs=%s"
                + " load_mib_s=%s put_p50_ms=%s put_p99_ms=%s errors=%d sampled=%d verified=%d"
                + " mismatched=%d unreadable=%d served=%s%s stopped=\"%s\"",
            o.heapMib(), o.valueBytes(), Fmt.plain(o.targetBytes() / 1048576.0),
            Fmt.plain(o.loadedMib()), Fmt.plain(o.loadSeconds()), Fmt.plain(o.mibPerSecond()),
            Fmt.plain(ms(o.putLatency().getValueAtPercentile(50), o.putLatency().getTotalCount())),
            Fmt.plain(ms(o.putLatency().getValueAtPercentile(99), o.putLatency().getTotalCount())),
            o.errors(), o.sampled(), o.verified(), o.mismatched(), o.unreadable(), o.served(),
            rss, o.stopped()));
  }

  void add(LargeData.CatchUp c) {
    catchUp = c;
    result(
        String.format(
            Locale.ROOT,
            "name=large-catch-up node=n%d seconds=%s state_disk_mib=%s transfer_mib=%s"
                + " transfer_secs=%s transfer_mib_s=%s through_snapshot=%s"
                + " disk_mib=%s log_bytes=%s snapshot_index=%s failed=\"%s\"",
            c.node(), Fmt.plain(c.seconds()), Fmt.plain(c.stateBytes() / 1048576.0),
            Fmt.plain(c.sentKib() / 1024.0), Fmt.plain(c.transferMillis() / 1000.0),
            Fmt.plain(c.transferMibPerSecond()), c.throughSnapshot(),
            c.diskBytes().stream().map(b -> Fmt.plain(Math.round(b / 1048576.0))).toList(),
            c.logBytes(), c.snapshotIndex(), c.failed()));
  }

  private static double ms(long nanos, long count) {
    return count == 0 ? Double.NaN : nanos / 1e6;
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
              Failover.Rep::electionLogMs, false),
          new Measure(
              "election-poll", "new leader: kill -> a survivor reports leader, higher term",
              Failover.Rep::electionPollMs, true),
          new Measure(
              "first-write", "first write: kill -> first ack of a write sent after the kill",
              Failover.Rep::firstWriteMs, true),
          new Measure(
              "shell-first-write", "first write, kv_client --json shell clients with default"
                  + " settings: kill -> ack of the first line sent after it (slowest client)",
              Failover.Rep::shellSlowestMs, true),
          new Measure(
              "write-gap", "write gap: last ack before the kill -> first ack after it",
              Failover.Rep::writeGapMs, false),
          new Measure(
              "catch-up", "catch-up: restart -> restarted node follows, applied >= commit",
              Failover.Rep::catchUpMs, false));

  private static Summary summary(Failover.Outcome o, ToDoubleFunction<Failover.Rep> f) {
    return Summary.of(o.reps().stream().mapToDouble(f).toArray());
  }

  static long secondRounds(Failover.Outcome o) {
    return o.reps().stream().filter(r -> r.rounds() > 1).count();
  }

  static boolean met(Summary s) {
    return s.n() > 0 && s.median() <= TARGET_MEDIAN_MS && s.p90() <= TARGET_P90_MS
        && s.max() < TARGET_MAX_MS;
  }

  private static String rssCell(List<Double> mib) {
    List<String> parts = new ArrayList<>();
    for (double d : mib) {
      parts.add(Double.isNaN(d) ? "-" : Fmt.count(d));
    }
    return String.join(" / ", parts);
  }

  /** The markdown block for BENCHMARKS.md. */
  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append(setup.strip()).append("\n");
    for (Map.Entry<String, List<Load.Outcome>> g : loads.entrySet()) {
      if (g.getValue().isEmpty()) {
        continue;
      }
      md.append("\n").append(TITLES.get(g.getKey())).append("\n");
      md.append("\n| workload | ops | ops/s | p50 ms | p99 ms | p99.9 ms | max ms"
          + " | node CPU µs/op | peak RSS MiB n1 / n2 / n3 | errors / retries |\n");
      md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Load.Outcome o : g.getValue()) {
        md.append("| ").append(o.label())
            .append(" | ").append(Fmt.count(o.ops()))
            .append(" | ").append(Fmt.count(o.opsPerSecond()))
            .append(" | ").append(Fmt.ms(o.ms(50)))
            .append(" | ").append(Fmt.ms(o.ms(99)))
            .append(" | ").append(Fmt.ms(o.ms(99.9)))
            .append(" | ").append(Fmt.ms(o.maxMs()))
            .append(" | ").append(Fmt.count(o.nodeCpuMicrosPerOp()))
            .append(" | ").append(rssCell(o.peakRssMib()))
            .append(" | ").append(o.errors()).append(" / ").append(o.retries())
            .append(" |\n");
      }
    }
    List<Load.Outcome> conc64 =
        loads.get(WORKLOADS).stream().filter(o -> o.name().equals("put-conc")).toList();
    if (!conc64.isEmpty()) {
      double peak = conc64.get(0).maxPeakRssMib();
      md.append(String.format(Locale.ROOT,
          "%nTarget: each node's resident memory under %s MiB during the %d-client put run: largest"
              + " peak %s MiB, %s.%n", Fmt.count(TARGET_RSS_MIB), conc64.get(0).outstanding(),
          Fmt.count(peak), peak < TARGET_RSS_MIB ? "met" : "**missed**"));
    }
    if (failover != null) {
      failoverMarkdown(md);
    }
    if (large != null) {
      largeMarkdown(md);
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

  private void failoverMarkdown(StringBuilder md) {
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
    long second = secondRounds(failover);
    String which =
        failover.reps().stream().filter(r -> r.rounds() > 1)
            .map(r -> "#" + r.rep() + " (term +" + r.rounds() + ")")
            .reduce((a, b) -> a + ", " + b).map(s -> ": " + s).orElse("");
    md.append(
        String.format(
            Locale.ROOT,
            "%nA second election round was needed after %d of %d kills%s. Writer: %s acks, %s"
                + " retries, %d errors.%n",
            second, failover.reps().size(), which, Fmt.count(failover.acks()),
            Fmt.count(failover.retries()), failover.errors()));
    md.append("\nTargets (median <= ").append(Fmt.ms(TARGET_MEDIAN_MS))
        .append(" ms, p90 <= ").append(Fmt.ms(TARGET_P90_MS))
        .append(" ms, max < ").append(Fmt.ms(TARGET_MAX_MS)).append(" ms):");
    String sep = " ";
    for (Measure m : MEASURES) {
      if (m.target) {
        Summary s = summary(failover, m.value);
        md.append(sep).append(m.name.replace('-', ' '))
            .append(" ").append(Fmt.ms(s.median())).append(" / ").append(Fmt.ms(s.p90()))
            .append(" / ").append(Fmt.ms(s.max()))
            .append(" ms ").append(met(s) ? "met" : "**missed**");
        sep = "; ";
      }
    }
    md.append(".\n");
  }

  private void largeMarkdown(StringBuilder md) {
    LargeData.Outcome o = large;
    long count = o.putLatency().getTotalCount();
    md.append(
        String.format(
            Locale.ROOT,
            "%nData set larger than the heap: nodes with a %d MiB heap, %s MiB of distinct values of"
                + " %s B (one key each) put with %d outstanding, then %d of them read back"
                + " (linearizable) and compared.%n%n",
            o.heapMib(), Fmt.count(o.targetBytes() / 1048576.0), Fmt.count(o.valueBytes()),
            o.outstanding(), o.sampled()));
    md.append("| loaded MiB | load s | MiB/s | put p50 ms | put p99 ms | errors"
        + " | read back: ok / wrong / unreadable | peak RSS MiB n1 / n2 / n3 | served |\n");
    md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    md.append("| ").append(Fmt.count(o.loadedMib()))
        .append(" | ").append(Fmt.ms(o.loadSeconds()))
        .append(" | ").append(Fmt.ms(o.mibPerSecond()))
        .append(" | ").append(Fmt.ms(ms(o.putLatency().getValueAtPercentile(50), count)))
        .append(" | ").append(Fmt.ms(ms(o.putLatency().getValueAtPercentile(99), count)))
        .append(" | ").append(o.errors())
        .append(" | ").append(o.verified()).append(" / ").append(o.mismatched()).append(" / ")
        .append(o.unreadable())
        .append(" | ").append(rssCell(o.peakRssMib()))
        .append(" | ").append(o.served() ? "yes" : "**no**")
        .append(" |\n");
    if (!o.stopped().isEmpty()) {
      md.append("\nThe load stopped early: ").append(o.stopped().strip()).append("\n");
      if (o.stopped().contains("OutOfMemoryError: Java heap space")) {
        md.append("\n(The heap ran out: the keys and values are in RocksDB, so look at what else"
            + " the node held, the session table or messages in flight.)\n");
      }
    }
    if (catchUp != null) {
      LargeData.CatchUp c = catchUp;
      if (!c.failed().isEmpty()) {
        md.append(String.format(Locale.ROOT, "%nCatch-up of n%d, down during the load: %s.%n",
            c.node(), c.failed()));
      } else {
        md.append(String.format(Locale.ROOT,
            "%nn%d, down during the whole load, restarted: it applied everything the leader had"
                + " committed after %s s (JVM start included), %s; the last transfer sent %s MiB of"
                + " keys and values in %s s, %s MiB/s (the leader's state takes %s MiB of files)."
                + " Afterwards, disk use per node %s MiB (RocksDB files), log bytes %s, compacted"
                + " up to %s.%n",
            c.node(), Fmt.ms(c.seconds()),
            c.throughSnapshot() ? "through InstallSnapshot" : "from the log",
            Fmt.count(c.sentKib() / 1024.0), Fmt.ms(c.transferMillis() / 1000.0),
            Fmt.ms(c.transferMibPerSecond()), Fmt.count(c.stateBytes() / 1048576.0),
            c.diskBytes().stream().map(b -> Fmt.count(b / 1048576.0)).toList(), c.logBytes(),
            c.snapshotIndex()));
      }
    }
  }


  /** The JSON document: {@code meta} (when, where, how), then every figure of this run. */
  String json(ObjectNode meta) {
    ObjectNode doc = Json.object().put("schema", "raftkv-bench/1");
    doc.set("meta", meta);
    doc.put("setup", setup.strip());
    ArrayNode workloads = doc.putArray("workloads");
    for (Map.Entry<String, List<Load.Outcome>> g : loads.entrySet()) {
      for (Load.Outcome o : g.getValue()) {
        workloads.add(loadJson(g.getKey(), o));
      }
    }
    if (failover != null) {
      doc.set("failover", failoverJson(failover));
    }
    if (large != null) {
      LargeData.Outcome o = large;
      long count = o.putLatency().getTotalCount();
      ObjectNode l = doc.putObject("large")
          .put("heap_mib", o.heapMib())
          .put("value_bytes", o.valueBytes())
          .put("target_mib", o.targetBytes() / 1048576.0)
          .put("outstanding", o.outstanding())
          .put("loaded_values", o.loadedOps())
          .put("loaded_mib", o.loadedMib())
          .put("load_seconds", o.loadSeconds())
          .put("load_mib_per_s", o.mibPerSecond())
          .put("put_p50_ms", ms(o.putLatency().getValueAtPercentile(50), count))
          .put("put_p99_ms", ms(o.putLatency().getValueAtPercentile(99), count))
          .put("errors", o.errors());
      l.putObject("read_back").put("sampled", o.sampled())
          .put("verified", o.verified()).put("mismatched", o.mismatched())
          .put("unreadable", o.unreadable());
      l.set("node_peak_rss_mib", Json.tree(o.peakRssMib()));
      l.put("node_cpu_ms", o.nodeCpuMs())
          .put("served", o.served())
          .put("stopped", o.stopped());
      if (catchUp != null) {
        LargeData.CatchUp c = catchUp;
        ObjectNode cu = l.putObject("catch_up")
            .put("node", c.node())
            .put("seconds", c.seconds())
            .put("state_bytes", c.stateBytes())
            .put("transfer_kib", c.sentKib())
            .put("transfer_ms", c.transferMillis())
            .put("through_snapshot", c.throughSnapshot())
            .put("failed", c.failed());
        cu.set("disk_bytes", Json.tree(c.diskBytes()));
        cu.set("log_bytes", Json.tree(c.logBytes()));
        cu.set("snapshot_index", Json.tree(c.snapshotIndex()));
      }
    }
    if (cli != null) {
      Summary s = Summary.of(cli.millis().stream().mapToDouble(Double::doubleValue).toArray());
      ObjectNode c = doc.putObject("cli").put("command", cli.command());
      c.set("runs_ms", Json.tree(cli.millis()));
      c.put("median_ms", s.median());
    }
    doc.set("notes", Json.tree(notes));
    return Json.write(doc);
  }

  static ObjectNode loadJson(String group, Load.Outcome o) {
    ObjectNode n = Json.object()
        .put("name", o.name())
        .put("group", group)
        .put("label", o.label())
        .put("outstanding", o.outstanding())
        .put("value_bytes", o.valueBytes())
        .put("ops", o.ops())
        .put("errors", o.errors())
        .put("retries", o.retries())
        .put("seconds", o.seconds())
        .put("ops_per_s", o.opsPerSecond())
        .put("p50_ms", o.ms(50))
        .put("p99_ms", o.ms(99))
        .put("p999_ms", o.ms(99.9))
        .put("max_ms", o.maxMs())
        .put("node_cpu_us_per_op", o.nodeCpuMicrosPerOp());
    n.set("node_peak_rss_mib", Json.tree(o.peakRssMib()));
    return n;
  }

  static ObjectNode failoverJson(Failover.Outcome o) {
    ObjectNode n = Json.object().put("attempt_timeout_ms", o.attemptTimeout().toMillis());
    n.putObject("writer").put("acks", o.acks()).put("retries", o.retries())
        .put("errors", o.errors());
    n.put("second_rounds", secondRounds(o));
    ObjectNode summary = n.putObject("summary");
    for (Measure m : MEASURES) {
      Summary s = summary(o, m.value);
      summary.putObject(m.name.replace('-', '_')).put("n", s.n()).put("min_ms", s.min())
          .put("median_ms", s.median()).put("p90_ms", s.p90()).put("max_ms", s.max());
    }
    n.putObject("targets_met")
        .put("new_leader", met(summary(o, Failover.Rep::electionPollMs)))
        .put("first_write", met(summary(o, Failover.Rep::firstWriteMs)))
        .put("shell_first_write", met(summary(o, Failover.Rep::shellSlowestMs)));
    ArrayNode kills = n.putArray("kills");
    for (Failover.Rep r : o.reps()) {
      kills.addObject()
          .put("rep", r.rep()).put("killed", "n" + r.killed())
          .put("kill_at_ms", r.killAtMs())
          .put("old_term", r.oldTerm()).put("new_term", r.newTerm())
          .put("second_round", r.rounds() > 1)
          .put("election_log_ms", r.electionLogMs()).put("new_leader_ms", r.electionPollMs())
          .put("first_write_ms", r.firstWriteMs()).put("write_gap_ms", r.writeGapMs())
          .put("catch_up_ms", r.catchUpMs())
          .set("shell_first_write_ms", Json.tree(r.shellFirstWriteMs()));
    }
    Failover.Series s = o.series();
    long[] bins =
        FailoverChart.bins(s.ackNanos(), s.startNanos(), s.endNanos(),
            FailoverChart.BIN_MS * 1_000_000L);
    n.putObject("series").put("bin_ms", FailoverChart.BIN_MS)
        .set("writes_per_bin", Json.tree(bins));
    return n;
  }

  /** The failover picture, or empty if there was no failover section. */
  java.util.Optional<String> failoverSvg(String title) {
    if (failover == null) {
      return java.util.Optional.empty();
    }
    Failover.Series s = failover.series();
    long[] bins =
        FailoverChart.bins(s.ackNanos(), s.startNanos(), s.endNanos(),
            FailoverChart.BIN_MS * 1_000_000L);
    List<FailoverChart.Kill> kills = new ArrayList<>();
    for (Failover.Rep r : failover.reps()) {
      kills.add(new FailoverChart.Kill(r.rep(), r.killAtMs(), "n" + r.killed(), r.rounds(),
          r.firstWriteMs()));
    }
    return java.util.Optional.of(FailoverChart.svg(bins, kills, title));
  }
}
