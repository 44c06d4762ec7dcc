package raftkv.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.bench.Stats.Fmt;
import raftkv.bench.Stats.Summary;

/**
 * Our figures next to the etcd baseline's, measured in the same sitting, as a markdown table of
 * ratios ours/etcd. Reads our {@code RESULT} lines and the baseline's {@code bench.txt} (SUMMARY
 * lines: medians of its runs) and {@code failover.txt} (REP lines, pooled). A baseline file older
 * than {@code --not-before} is from another sitting and is ignored.
 */
@Command(
    name = "etcd-comparison",
    mixinStandardHelpOptions = true,
    description = "Prints a markdown table of raftkv/etcd ratios.")
public final class EtcdComparison implements Callable<Integer> {

  @Option(names = "--ours", required = true, paramLabel = "FILE", description = "Our RESULT lines.")
  Path ours;

  @Option(names = "--etcd", required = true, paramLabel = "DIR",
      description = "The etcd baseline's results directory ($ETCD_BASE/results).")
  Path etcd;

  @Option(names = "--not-before", defaultValue = "0", paramLabel = "EPOCH_MS",
      description = "Ignore baseline files last written before this time.")
  long notBefore;

  public static void main(String[] args) {
    System.exit(new CommandLine(new EtcdComparison()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.print(
        render(
            parseResults(Files.readAllLines(ours, StandardCharsets.UTF_8)),
            readIfFresh(etcd.resolve("bench.txt")),
            readIfFresh(etcd.resolve("failover.txt"))));
    return 0;
  }

  private List<String> readIfFresh(Path p) throws IOException {
    if (!Files.isRegularFile(p) || Files.getLastModifiedTime(p).toMillis() < notBefore) {
      return List.of();
    }
    return Files.readAllLines(p, StandardCharsets.UTF_8);
  }

  private static final Pattern FIELD = Pattern.compile("([\\w.]+)=(\\S+)");

  /** {@code RESULT name=X k=v ...} lines, by name (a later line wins). */
  static Map<String, Map<String, String>> parseResults(List<String> lines) {
    Map<String, Map<String, String>> byName = new LinkedHashMap<>();
    for (String line : lines) {
      if (!line.startsWith("RESULT ")) {
        continue;
      }
      Map<String, String> fields = new HashMap<>();
      Matcher m = FIELD.matcher(line);
      while (m.find()) {
        fields.put(m.group(1), m.group(2));
      }
      if (fields.containsKey("name")) {
        byName.put(fields.get("name"), fields);
      }
    }
    return byName;
  }

  /**
   * The baseline's {@code SUMMARY <workload> ops_s=1245 [1200-1290] p50_ms=0.77 [..] ...} lines:
   * workload -> field -> median.
   */
  static Map<String, Map<String, Double>> parseEtcdSummary(List<String> lines) {
    Map<String, Map<String, Double>> byWorkload = new HashMap<>();
    Pattern field = Pattern.compile("(\\w+)=(-?[\\d.]+)");
    for (String line : lines) {
      String[] words = line.trim().split("\\s+");
      if (words.length < 3 || !words[0].equals("SUMMARY") || !line.contains("ops_s=")) {
        continue;
      }
      Map<String, Double> fields = new HashMap<>();
      Matcher m = field.matcher(line);
      while (m.find()) {
        fields.put(m.group(1), Double.parseDouble(m.group(2)));
      }
      byWorkload.put(words[1], fields);
    }
    return byWorkload;
  }

  /** One measure of every {@code REP} line of the baseline's failover output, e.g. firstPut. */
  static double[] parseEtcdReps(List<String> lines, String key) {
    Pattern p = Pattern.compile(Pattern.quote(key) + "=(-?[\\d.]+)ms");
    List<Double> values = new ArrayList<>();
    for (String line : lines) {
      if (!line.startsWith("REP")) {
        continue;
      }
      Matcher m = p.matcher(line);
      if (m.find()) {
        values.add(Double.parseDouble(m.group(1)));
      }
    }
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The markdown: a short preamble and one row per measure. */
  static String render(
      Map<String, Map<String, String>> ours, List<String> etcdBench, List<String> etcdFailover) {
    Map<String, Map<String, Double>> bench = parseEtcdSummary(etcdBench);
    long kills = etcdFailover.stream().filter(l -> l.startsWith("REP")).count();
    StringBuilder md = new StringBuilder();
    md.append(
        "Against etcd 3.4 (3 members on 127.0.0.1, heartbeat 30 ms, election timeout 150 ms;"
            + " etcd-baseline `run.sh bench failover`), same machine, same sitting. etcd: medians"
            + " of its 3 runs (5,000 sequential ops, 50,000 with 64 outstanding, its client spread"
            + " over all members); failover pooled over "
            + kills
            + " kills, first write = first put acknowledged in the new term. Ratio raftkv/etcd:"
            + " above 1 is better for ops/s, below 1 is better for times.\n\n");
    if (bench.isEmpty() || kills == 0) {
      md.append(
          "Missing from this sitting's etcd results: "
              + (bench.isEmpty() ? "bench.txt " : "")
              + (kills == 0 ? "failover.txt" : "")
              + " (n/a below).\n\n");
    }
    md.append("| measure | raftkv | etcd | raftkv/etcd |\n|---|---:|---:|---:|\n");
    row(md, "put, 1 client sequential: p50 ms", ours(ours, "put-seq", "p50_ms"),
        etcd(bench, "put-seq", "p50_ms"), false);
    row(md, "put, 1 client sequential: ops/s", ours(ours, "put-seq", "ops_s"),
        etcd(bench, "put-seq", "ops_s"), true);
    row(md, "put, 64 outstanding: ops/s", ours(ours, "put-conc", "ops_s"),
        etcd(bench, "put-async", "ops_s"), true);
    row(md, "linearizable get, 1 client: p50 ms", ours(ours, "get-lin-seq", "p50_ms"),
        etcd(bench, "get-lin-seq", "p50_ms"), false);
    row(md, "stale (serializable) get, 1 client: p50 ms", ours(ours, "get-stale-seq", "p50_ms"),
        etcd(bench, "get-ser-seq", "p50_ms"), false);
    row(md, "linearizable get, 64 outstanding: ops/s", ours(ours, "get-lin-conc", "ops_s"),
        etcd(bench, "get-lin-async", "ops_s"), true);
    row(md, "stale (serializable) get, 64 outstanding: ops/s", ours(ours, "get-stale-conc", "ops_s"),
        etcd(bench, "get-ser-async", "ops_s"), true);
    Summary electPoll = Summary.of(parseEtcdReps(etcdFailover, "elected(poll)"));
    Summary electLog = Summary.of(parseEtcdReps(etcdFailover, "elected(log)"));
    Summary firstPut = Summary.of(parseEtcdReps(etcdFailover, "firstPut"));
    row(md, "failover election (poll): median ms", ours(ours, "failover-election-poll", "median_ms"),
        electPoll.median(), false);
    row(md, "failover election (poll): max ms", ours(ours, "failover-election-poll", "max_ms"),
        electPoll.max(), false);
    row(md, "failover election (log): median ms", ours(ours, "failover-election-log", "median_ms"),
        electLog.median(), false);
    row(md, "failover election (log): max ms", ours(ours, "failover-election-log", "max_ms"),
        electLog.max(), false);
    row(md, "failover first write: median ms", ours(ours, "failover-first-write", "median_ms"),
        firstPut.median(), false);
    row(md, "failover first write: max ms", ours(ours, "failover-first-write", "max_ms"),
        firstPut.max(), false);
    return md.toString();
  }

  private static double ours(Map<String, Map<String, String>> ours, String name, String field) {
    Map<String, String> fields = ours.get(name);
    if (fields == null || !fields.containsKey(field)) {
      return Double.NaN;
    }
    try {
      return Double.parseDouble(fields.get(field));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static double etcd(Map<String, Map<String, Double>> bench, String workload, String field) {
    Map<String, Double> fields = bench.get(workload);
    return fields == null ? Double.NaN : fields.getOrDefault(field, Double.NaN);
  }

  private static void row(StringBuilder md, String label, double ours, double etcd, boolean rate) {
    String o = rate ? Fmt.count(ours) : Fmt.ms(ours);
    String e = rate ? Fmt.count(etcd) : Fmt.ms(etcd);
    md.append("| ").append(label).append(" | ").append(o).append(" | ").append(e).append(" | ")
        .append(Fmt.ratio(ours / etcd)).append(" |\n");
  }
}
