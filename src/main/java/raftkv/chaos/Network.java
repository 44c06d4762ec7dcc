package raftkv.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The network {@code scripts/chaos.sh} lays out, and the link faults on it. Node N runs in the
 * namespace {@code PREFIX-nN} at {@code SUBNET.N}, the clients in {@code PREFIX-cl}; each has one
 * interface, {@code eth0}, on a bridge in {@code PREFIX-br}. This class only adds and removes
 * rules inside the node namespaces:
 *
 * <ul>
 *   <li>a one-way cut from A to B: a blackhole route to B's address in A's namespace (A's packets
 *       to B vanish; B's still reach A);
 *   <li>random loss from A to B: an nftables rule in A's output hook, {@code numgen random};
 *   <li>a slow link from A to B: an HTB class of {@link #SLOW_RATE} with a short byte queue on A's
 *       {@code eth0}, for packets to B (the kernel here has no netem, so delay comes from queueing).
 * </ul>
 *
 * Clients are never cut off: every fault is between nodes. Every command is logged.
 */
final class Network {
  static final String SLOW_RATE = "128kbit";
  /** Bytes queued on a slow link before it drops: at most about a second at that rate. */
  static final String SLOW_QUEUE_BYTES = "16000";
  private static final String TABLE = "raftkv_chaos";

  private final String prefix;
  private final String subnet;
  private final int nodes;
  private final Path log;
  private final Set<String> cuts = new LinkedHashSet<>();
  private final Set<Integer> lossy = new LinkedHashSet<>();
  private final Set<Integer> shaped = new LinkedHashSet<>();

  Network(String prefix, String subnet, int nodes, Path log) {
    this.prefix = prefix;
    this.subnet = subnet;
    this.nodes = nodes;
    this.log = log;
  }

  String nodeNamespace(int node) {
    return prefix + "-n" + node;
  }

  String clientNamespace() {
    return prefix + "-cl";
  }

  String address(int node) {
    return subnet + "." + node;
  }

  /** A's packets to B are dropped. */
  synchronized void cut(int from, int to) {
    if (cuts.add(from + ">" + to)) {
      run("ip", "-n", nodeNamespace(from), "route", "add", "blackhole", address(to) + "/32");
    }
  }

  /** A's packets to B are dropped with probability {@code percent}%. */
  synchronized void loss(int from, int to, int percent) {
    String ns = nodeNamespace(from);
    if (lossy.add(from)) {
      run("ip", "netns", "exec", ns, "nft", "add", "table", "inet", TABLE);
      run(
          "ip", "netns", "exec", ns, "nft", "add", "chain", "inet", TABLE, "output",
          "{ type filter hook output priority 0; policy accept; }");
    }
    run(
        "ip", "netns", "exec", ns, "nft", "add", "rule", "inet", TABLE, "output",
        "ip", "daddr", address(to), "numgen", "random", "mod", "100", "<", String.valueOf(percent),
        "drop");
  }

  /** A's packets to every node in {@code to} go through one narrow, short queue. */
  synchronized void slow(int from, List<Integer> to) {
    String ns = nodeNamespace(from);
    if (!shaped.add(from)) {
      return;
    }
    run("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:",
        "htb", "default", "10");
    run("ip", "netns", "exec", ns, "tc", "class", "add", "dev", "eth0", "parent", "1:",
        "classid", "1:10", "htb", "rate", "10gbit", "quantum", "60000");
    run("ip", "netns", "exec", ns, "tc", "class", "add", "dev", "eth0", "parent", "1:",
        "classid", "1:20", "htb", "rate", SLOW_RATE, "ceil", SLOW_RATE, "quantum", "1514");
    run("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "parent", "1:20",
        "handle", "20:", "bfifo", "limit", SLOW_QUEUE_BYTES);
    for (int node : to) {
      run("ip", "netns", "exec", ns, "tc", "filter", "add", "dev", "eth0", "parent", "1:",
          "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", address(node) + "/32",
          "flowid", "1:20");
    }
  }

  /** Removes every cut, loss rule and slow link this object added. */
  synchronized void heal() {
    for (String cut : cuts) {
      int from = Integer.parseInt(cut.substring(0, cut.indexOf('>')));
      int to = Integer.parseInt(cut.substring(cut.indexOf('>') + 1));
      run("ip", "-n", nodeNamespace(from), "route", "del", "blackhole", address(to) + "/32");
    }
    cuts.clear();
    for (int node : lossy) {
      run("ip", "netns", "exec", nodeNamespace(node), "nft", "delete", "table", "inet", TABLE);
    }
    lossy.clear();
    for (int node : shaped) {
      run("ip", "netns", "exec", nodeNamespace(node), "tc", "qdisc", "del", "dev", "eth0", "root");
    }
    shaped.clear();
  }

  /** Every node but {@code node}. */
  List<Integer> others(int node) {
    List<Integer> out = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      if (i != node) {
        out.add(i);
      }
    }
    return out;
  }

  /** Runs one command; its output goes to the log; a non-zero exit is an error of the run. */
  private void run(String... command) {
    try {
      Files.writeString(
          log,
          "$ " + String.join(" ", command) + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", command));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "failed (exit " + p.exitValue() + "): " + String.join(" ", command) + "; see " + log);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command));
    }
  }
}
