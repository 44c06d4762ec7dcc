package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchDirTest {
  @TempDir Path tmp;

  @Test
  void createsAMissingDirectoryAndMarksIt() throws Exception {
    Path dir = tmp.resolve("bench");
    BenchDir.prepare(dir);
    assertThat(dir.resolve(BenchDir.MARKER)).isRegularFile();
  }

  @Test
  void wipesADirectoryItMarkedBefore() throws Exception {
    Path dir = tmp.resolve("bench");
    BenchDir.prepare(dir);
    Files.createDirectories(dir.resolve("data/node-1"));
    Files.writeString(dir.resolve("data/node-1/LOG"), "x");
    BenchDir.prepare(dir);
    assertThat(dir.resolve("data")).doesNotExist();
    assertThat(dir.resolve(BenchDir.MARKER)).isRegularFile();
  }

  @Test
  void refusesADirectoryWithFilesAndNoMarker() throws Exception {
    Files.writeString(tmp.resolve("precious.txt"), "keep me");
    assertThatThrownBy(() -> BenchDir.prepare(tmp))
        .isInstanceOf(BenchDir.NotABenchDir.class)
        .hasMessageContaining("refusing to wipe");
    assertThat(tmp.resolve("precious.txt")).hasContent("keep me");
  }

  @Test
  void neverFollowsALinkOutOfTheDirectory() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("precious.txt"), "keep me");
    Path dir = tmp.resolve("bench");
    BenchDir.prepare(dir);
    Files.createSymbolicLink(dir.resolve("link"), outside);
    BenchDir.prepare(dir);
    assertThat(dir.resolve("link")).doesNotExist();
    assertThat(outside.resolve("precious.txt")).hasContent("keep me");
  }
}
