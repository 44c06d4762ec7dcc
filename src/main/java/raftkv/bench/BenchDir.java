package raftkv.bench;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * The benchmark's scratch directory, wiped at every start. Only a directory that is missing, empty,
 * or holds the marker file a previous run left is ever wiped: a mistyped {@code --dir} pointing at
 * anything else is refused, and nothing is deleted.
 */
final class BenchDir {
  static final String MARKER = ".raftkv-bench";

  private BenchDir() {}

  /** Thrown, before anything is deleted, for a directory that is not a benchmark directory. */
  static final class NotABenchDir extends IOException {
    private static final long serialVersionUID = 1L;

    NotABenchDir(String message) {
      super(message);
    }
  }

  /** Empties {@code dir} (creating it if missing) and marks it as a benchmark directory. */
  static void prepare(Path dir) throws IOException {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new NotABenchDir(dir + " is not a directory");
      }
      boolean empty;
      try (Stream<Path> entries = Files.list(dir)) {
        empty = entries.findAny().isEmpty();
      }
      if (!empty && !Files.isRegularFile(dir.resolve(MARKER), LinkOption.NOFOLLOW_LINKS)) {
        throw new NotABenchDir(
            "refusing to wipe "
                + dir
                + ": it is not empty and has no "
                + MARKER
                + " file (not a benchmark directory)");
      }
      deleteContents(dir);
    }
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(MARKER), "raftkv benchmark scratch directory: emptied at every benchmark run\n");
  }

  /** Deletes everything under {@code dir}, never following a symbolic link out of it. */
  private static void deleteContents(Path dir) throws IOException {
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            if (!d.equals(dir)) {
              Files.delete(d);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
