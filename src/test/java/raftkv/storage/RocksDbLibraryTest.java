package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RocksDbLibrary}'s extraction: once, reused, replaced when bad, safe when concurrent. */
class RocksDbLibraryTest {
  static final String NAME = "libfake-linux64.so";

  @TempDir Path tmp;
  Path dir;
  byte[] library;
  URL resource;

  @BeforeEach
  void aLibraryResource() throws Exception {
    dir = tmp.resolve("native").resolve("rocksdbjni-1.2.3");
    library = new byte[300_000];
    new Random(9).nextBytes(library);
    Path source = Files.write(tmp.resolve("source.so"), library);
    resource = source.toUri().toURL();
  }

  private Object fileKey(Path p) throws Exception {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  private List<String> names(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void extractsOnceThenReusesTheFile() throws Exception {
    Path first = RocksDbLibrary.extract(dir, resource, NAME);
    assertThat(first).isEqualTo(dir.resolve(NAME)).hasBinaryContent(library);
    Object inode = fileKey(first);

    Path second = RocksDbLibrary.extract(dir, resource, NAME);
    assertThat(second).isEqualTo(first).hasBinaryContent(library);
    assertThat(fileKey(second)).as("the same file, not a new copy").isEqualTo(inode);
    assertThat(names(dir)).containsExactly(".lock", NAME);
  }

  @Test
  void replacesACorruptFileOfTheRightSize() throws Exception {
    byte[] corrupt = library.clone();
    corrupt[123_456] ^= 1;
    Files.createDirectories(dir);
    Files.write(dir.resolve(NAME), corrupt);

    assertThat(RocksDbLibrary.extract(dir, resource, NAME)).hasBinaryContent(library);
    assertThat(names(dir)).containsExactly(".lock", NAME);
  }

  @Test
  void replacesAPartialFileAndOverwritesALeftoverFromAKilledExtraction() throws Exception {
    Files.createDirectories(dir);
    Files.write(dir.resolve(NAME), Arrays.copyOf(library, 4096));
    Files.write(dir.resolve(NAME + ".partial"), new byte[library.length * 2]);

    assertThat(RocksDbLibrary.extract(dir, resource, NAME)).hasBinaryContent(library);
    assertThat(names(dir)).containsExactly(".lock", NAME);
  }

  @Test
  void concurrentCallsEndWithOneGoodFile() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Path>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return RocksDbLibrary.extract(dir, resource, NAME);
                }));
      }
      go.countDown();
      for (Future<Path> r : results) {
        assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(dir.resolve(NAME));
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(dir.resolve(NAME)).hasBinaryContent(library);
    assertThat(names(dir)).containsExactly(".lock", NAME);
  }

  /**
   * Several JVMs at once (the test suite and the benchmark start many nodes together): each waits
   * for a start signal, then extracts the real library into one directory.
   */
  @Test
  void concurrentJvmsEndWithOneGoodFile() throws Exception {
    int jvms = 4;
    Path signals = Files.createDirectories(tmp.resolve("signals"));
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> processes = new ArrayList<>();
    try {
      for (int i = 0; i < jvms; i++) {
        processes.add(
            new ProcessBuilder(
                    javaBin, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"),
                    ExtractInAnotherJvm.class.getName(), dir.toString(), signals.toString())
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("jvm-" + i + ".log").toFile())
                .start());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (names(signals).size() < jvms) {
        assertThat(System.nanoTime()).as("all JVMs ready within 60 s").isLessThan(deadline);
        assertThat(processes).allMatch(Process::isAlive);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      Files.createFile(tmp.resolve("go"));
      for (int i = 0; i < jvms; i++) {
        assertThat(processes.get(i).waitFor(60, TimeUnit.SECONDS)).as("JVM " + i + " done").isTrue();
        assertThat(processes.get(i).exitValue())
            .as("JVM " + i + ": " + Files.readString(tmp.resolve("jvm-" + i + ".log")))
            .isZero();
      }
    } finally {
      for (Process p : processes) {
        p.destroyForcibly(); // by its PID; a no-op for one that has exited
      }
    }
    String name = RocksDbLibrary.fileName();
    assertThat(RocksDbLibrary.matches(dir.resolve(name), RocksDbLibrary.expectedOf(RocksDbLibrary.resource())))
        .isTrue();
    assertThat(names(dir)).containsExactly(".lock", name);
  }

  /** One JVM of {@link #concurrentJvmsEndWithOneGoodFile}: args are the directory and the signals'. */
  static final class ExtractInAnotherJvm {
    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[0]);
      Path signals = Path.of(args[1]);
      Files.createFile(signals.resolve("ready-" + ProcessHandle.current().pid()));
      Path go = signals.getParent().resolve("go");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(go)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no start signal within 60 s");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      RocksDbLibrary.extract(dir, RocksDbLibrary.resource(), RocksDbLibrary.fileName());
    }
  }

  @Test
  void checksTheRealLibraryAgainstItsJarEntry() throws Exception {
    URL real = RocksDbLibrary.resource();
    assertThat(real.getProtocol()).isEqualTo("jar");
    RocksDbLibrary.Expected fromJar = RocksDbLibrary.expectedOf(real);
    Path extracted = RocksDbLibrary.extract(dir, real, RocksDbLibrary.fileName());
    assertThat(Files.size(extracted)).isEqualTo(fromJar.size());
    assertThat(RocksDbLibrary.matches(extracted, fromJar)).isTrue();
  }

  @Test
  void theDirectoryIsThePropertyThenTheVariableThenTheXdgCacheThenHome() {
    Properties props = new Properties();
    props.setProperty("user.home", "/home/ann");
    assertThat(RocksDbLibrary.baseDir(props, Map.of())).contains(Path.of("/home/ann/.cache/raftkv/native"));
    assertThat(RocksDbLibrary.baseDir(props, Map.of("XDG_CACHE_HOME", "relative/ignored")))
        .contains(Path.of("/home/ann/.cache/raftkv/native"));
    assertThat(RocksDbLibrary.baseDir(props, Map.of("XDG_CACHE_HOME", "/xdg")))
        .contains(Path.of("/xdg/raftkv/native"));
    assertThat(RocksDbLibrary.baseDir(props, Map.of("XDG_CACHE_HOME", "/xdg", RocksDbLibrary.DIR_ENV, "/env")))
        .contains(Path.of("/env"));
    props.setProperty(RocksDbLibrary.DIR_PROPERTY, "/prop");
    assertThat(RocksDbLibrary.baseDir(props, Map.of(RocksDbLibrary.DIR_ENV, "/env"))).contains(Path.of("/prop"));
    assertThat(RocksDbLibrary.baseDir(new Properties(), Map.of())).isEmpty();
  }

  @Test
  void theVersionIsThePoms() {
    assertThat(RocksDbLibrary.version()).matches("\\d+\\.\\d+\\.\\d+(\\.\\d+)?");
  }

  /** Every RocksDB user loads the library through RocksDbLibrary, never RocksDB's own loader. */
  @Test
  void nothingElseCallsRocksDbsLoader() throws Exception {
    String call = "RocksDB" + ".loadLibrary(";
    List<String> callers;
    try (Stream<Path> s = Stream.concat(Files.walk(Path.of("src/main/java")), Files.walk(Path.of("src/test/java")))) {
      callers =
          s.filter(p -> p.toString().endsWith(".java"))
              .filter(p -> !p.endsWith(Path.of("raftkv/storage/RocksDbLibrary.java")))
              .filter(p -> {
                try {
                  return Files.readString(p).contains(call);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
              .map(Path::toString)
              .toList();
    }
    assertThat(callers).isEmpty();
  }
}
