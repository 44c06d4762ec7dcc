package raftkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.bench.NodeCluster;

/**
 * A node process started and killed with {@code kill -9} ten times leaves nothing in its {@code
 * java.io.tmpdir} (issue 9): RocksDB's own loader used to copy its 15 MB native library there at
 * every start and never removed it after a {@code kill -9}. The node gets a private temp directory
 * and native-library directory, so nothing else on the machine changes the counts.
 */
class NativeLibraryIT {
  static final int STARTS = 10;
  static final String STARTED = "Starting node [n1]";

  @TempDir Path dir;

  @Test
  void tenKilledStartsLeaveNoFileInTheTempDirectory() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path nativeDir = dir.resolve("native");
    List<String> before = list(tmp);
    try (NodeCluster node =
        new NodeCluster(
            dir.resolve("node"),
            NodeProcesses.shadedJar(),
            NodeProcesses.freeBasePort(1),
            1,
            List.of("-Djava.io.tmpdir=" + tmp, "-Draftkv.native-dir=" + nativeDir))) {
      for (int start = 1; start <= STARTS; start++) {
        node.start(1);
        int expected = start;
        // The node logs this line after it has opened its store, so RocksDB is loaded.
        NodeProcesses.await(
            "start " + start + " of the node",
            Duration.ofSeconds(60),
            () -> {
              if (!node.isAlive(1)) {
                throw new AssertionError("the node exited; its log: " + tail(node.log(1)));
              }
              return startedLines(node.log(1)) >= expected ? Optional.of(true) : Optional.empty();
            });
        node.kill(1);
      }
    }
    assertThat(list(tmp)).as("files in the nodes' java.io.tmpdir").isEqualTo(before);
    List<String> libraries;
    try (Stream<Path> s = Files.walk(nativeDir)) {
      libraries = s.map(Path::getFileName).map(Path::toString).filter(n -> n.endsWith(".so")).toList();
    }
    assertThat(libraries).as("native libraries under " + nativeDir).hasSize(1);
  }

  private static List<String> list(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static long startedLines(Path log) {
    try {
      return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains(STARTED)).count() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
