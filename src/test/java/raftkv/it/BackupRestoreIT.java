package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.common.Endpoint;

/**
 * Backup and restore with real processes: a few hundred keys written to a 3-node cluster, {@code
 * kv_client snapshot save} from its leader, the cluster stopped, {@code kvstore restore} of the
 * backup into the data directories of a new 3-node cluster on other ports, which then elects a
 * leader, reads back every key (linearizable) and takes a write. A truncated copy of the backup, and
 * a data directory that holds a store, are refused in one line, nothing changed.
 */
class BackupRestoreIT {
  static final int KEYS = 300;
  static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void backupRestoreIntoAFreshClusterReadsBackEveryKey() throws Exception {
    Path jar = NodeProcesses.shadedJar();
    Path backup = dir.resolve("store.snap");
    List<Endpoint> oldMembers;
    try (NodeProcesses old = new NodeProcesses(3, dir.resolve("old"));
        RemoteTestClient probe = new RemoteTestClient()) {
      for (int i = 0; i < 3; i++) {
        old.start(i);
      }
      oldMembers = IntStream.range(0, 3).mapToObj(old::endpoint).toList();
      awaitLeader(probe, oldMembers);
      String puts = IntStream.range(0, KEYS)
          .mapToObj(i -> "put key-" + i + " \"value " + i + "\"")
          .collect(Collectors.joining("\n", "", "\n"));
      Run written = kvClient(jar, oldMembers, puts, "shell");
      assertThat(written.code()).as(written.err()).isZero();
      assertThat(written.out().lines().toList()).hasSize(KEYS).allMatch(l -> l.startsWith("OK (index "));

      Run saved = kvClient(jar, oldMembers, "", "snapshot", "save", backup.toString());
      assertThat(saved.err()).isEmpty();
      assertThat(saved.code()).isZero();
      Matcher m = Pattern.compile("saved snapshot at index (\\d+) \\(term (\\d+)\\): " + KEYS
          + " keys, (\\d+) bytes, to " + Pattern.quote(backup.toString()) + "\n").matcher(saved.out());
      assertThat(m.matches()).as(saved.out()).isTrue();
      assertThat(Long.parseLong(m.group(1))).isGreaterThan(KEYS); // every put, plus its registration
      assertThat(Long.parseLong(m.group(3))).isEqualTo(Files.size(backup));
      assertThat(Files.exists(dir.resolve("store.snap.tmp"))).isFalse();

      Run again = kvClient(jar, oldMembers, "", "snapshot", "save", backup.toString());
      assertThat(again.code()).isEqualTo(1);
      assertThat(again.err().lines().toList()).containsExactly(
          "error: invalid_request: " + backup + " exists: a backup never overwrites a file; give a new name");
      for (int i = 0; i < 3; i++) {
        assertThat(old.logLines(i)).as("old node %d log", i + 1).noneMatch(l -> l.contains(" ERROR "));
      }
    } // every old node killed by its PID

    // A truncated backup: refused in one line, no directory made.
    byte[] whole = Files.readAllBytes(backup);
    Path cut = dir.resolve("cut.snap");
    Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
    Path cutDir = dir.resolve("cut-data");
    Run refused = restore(jar, cut, 1, List.of("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"), cutDir);
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err().lines().toList()).containsExactly("kvstore restore: " + cut
        + ": truncated (it ends before its trailer): an incomplete backup; nothing was restored");
    assertThat(Files.exists(cutDir)).isFalse();

    try (NodeProcesses fresh = newClusterOnOtherPorts(oldMembers);
        RemoteTestClient probe = new RemoteTestClient()) {
      List<Endpoint> members = IntStream.range(0, 3).mapToObj(fresh::endpoint).toList();
      List<String> peers = members.stream().map(Endpoint::toString).toList();
      for (int i = 0; i < 3; i++) {
        Path data = dir.resolve("fresh").resolve("data").resolve("node-" + (i + 1));
        Run r = restore(jar, backup, i + 1, peers, data);
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("restored snapshot at index ").contains(KEYS + " keys, to " + data);
      }
      for (int i = 0; i < 3; i++) {
        fresh.start(i);
      }
      awaitLeader(probe, members);

      String gets = IntStream.range(0, KEYS).mapToObj(i -> "get key-" + i)
          .collect(Collectors.joining("\n", "", "\nput after restore\nget after\n"));
      Run read = kvClient(jar, members, gets, "shell");
      assertThat(read.code()).as(read.err()).isZero();
      List<String> lines = read.out().lines().toList();
      List<String> expected = new ArrayList<>();
      IntStream.range(0, KEYS).forEach(i -> expected.add("value " + i));
      assertThat(lines.subList(0, KEYS)).containsExactlyElementsOf(expected);
      assertThat(lines.get(KEYS)).startsWith("OK (index ");
      assertThat(lines.get(KEYS + 1)).isEqualTo("restore");

      // A member's data directory is never overwritten, even by the backup it came from.
      Path first = dir.resolve("fresh").resolve("data").resolve("node-1");
      List<String> before = listing(first);
      Run overwrite = restore(jar, backup, 1, peers, first);
      assertThat(overwrite.code()).isEqualTo(1);
      assertThat(overwrite.err().lines().toList()).containsExactly("kvstore restore: " + first
          + " exists and is not empty: restore never overwrites a data directory; give a new --data-dir");
      assertThat(listing(first)).isEqualTo(before);
      for (int i = 0; i < 3; i++) {
        assertThat(fresh.logLines(i)).as("fresh node %d log", i + 1).noneMatch(l -> l.contains(" ERROR "));
      }
    }
  }

  /** A new cluster under {@code dir/fresh}, none of whose ports the old one used. */
  private NodeProcesses newClusterOnOtherPorts(List<Endpoint> old) throws IOException {
    for (int attempt = 0; ; attempt++) {
      NodeProcesses n = new NodeProcesses(3, dir.resolve("fresh"));
      if (IntStream.range(0, 3).noneMatch(i -> old.contains(n.endpoint(i))) || attempt > 10) {
        return n;
      }
      n.close();
    }
  }

  private static List<String> listing(Path d) throws IOException {
    try (var s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Polls until one node leads and the other two follow it in its term. */
  private static void awaitLeader(RemoteTestClient probe, List<Endpoint> members) {
    NodeProcesses.await("a leader followed by the two others", DEADLINE, () -> {
      List<Optional<NodeStatus>> all =
          members.stream().map(e -> probe.status(e, Duration.ofSeconds(1))).toList();
      for (Optional<NodeStatus> s : all) {
        if (s.isPresent() && s.get().role().equals("leader")) {
          long following = all.stream()
              .filter(o -> o.isPresent() && o.get().term() == s.get().term()
                  && s.get().endpoint().equals(o.get().leader()))
              .count();
          if (following == 3) {
            return Optional.of(true);
          }
        }
      }
      return Optional.empty();
    });
  }

  record Run(int code, String out, String err) {}

  private static Run kvClient(Path jar, List<Endpoint> nodes, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", jar.toString(), "raftkv.cli.KvClient",
        "--peers", nodes.stream().map(Endpoint::toString).collect(Collectors.joining(",")),
        "--timeout", "10s"));
    cmd.addAll(List.of(args));
    return run(cmd, stdin);
  }

  private static Run restore(Path jar, Path file, int id, List<String> peers, Path data) throws Exception {
    return run(List.of(java(), "-XX:+UseSerialGC", "-jar", jar.toString(), "restore", file.toString(),
        "--id", String.valueOf(id), "--peers", String.join(",", peers), "--data-dir", data.toString()), "");
  }

  private static Run run(List<String> cmd, String stdin) throws Exception {
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().keySet().removeIf(k -> k.startsWith("RAFTKV_")); // plain TCP, as the nodes
    Process p = b.start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    try (var in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    if (!p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Run(p.exitValue(), out.join(), err.join());
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
