package raftkv.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's JNI library once per JVM from a directory we own, where it is extracted once per
 * rocksdbjni version. Every use of RocksDB goes through {@link #load()} first.
 *
 * <p>Why: RocksDB's own loader ({@code RocksDB.loadLibrary()}) copies the library (15 MB) into
 * {@code java.io.tmpdir} at every JVM start and relies on delete-on-exit, which {@code kill -9}
 * skips; the test suite, the benchmark and chaos runs left thousands of megabytes there.
 *
 * <h2>Where</h2>
 *
 * {@code BASE/rocksdbjni-VERSION/}, where BASE is the first of: the system property {@value
 * #DIR_PROPERTY}, the environment variable {@value #DIR_ENV}, {@code $XDG_CACHE_HOME/raftkv/native}
 * (an absolute XDG_CACHE_HOME only), {@code ~/.cache/raftkv/native}. The file is named for the OS
 * and architecture, so one BASE serves several machines. If the directory can be neither read nor
 * written (a read-only home, say), one WARN line says so and RocksDB's own loader runs: a copy per
 * JVM in {@code java.io.tmpdir} again, until the directory is fixed.
 *
 * <h2>How</h2>
 *
 * A file already there is used if its size and CRC-32 match the library's entry in the rocksdbjni
 * jar (the CRC comes from the jar's directory: the library is not decompressed to check it).
 * Otherwise, under an exclusive file lock on {@code .lock} in the directory (JVMs that start
 * together extract it once), the library is written to {@code NAME.partial}, checked, fsynced and
 * renamed over {@code NAME}, and the directory is fsynced. A JVM that has the old file mapped keeps
 * it: a rename never changes a file in place. A {@code .partial} left by a killed JVM is
 * overwritten by the next extraction.
 *
 * <p>The library is then loaded with {@code RocksDB.loadLibrary(List.of(dir))}, which marks it
 * loaded for every RocksDB class. In rocksdbjni 10.10.1.1 that method looks for {@code
 * Environment.getJniLibraryFileName("rocksdbjni")} in each directory, which is {@code
 * librocksdbjnijni-linux64.so} (sic: "jni" twice), not the jar's {@code librocksdbjni-linux64.so}
 * ({@code getJniLibraryFileName("rocksdb")}): the file is named by the same call, so it follows
 * whatever a later version does.
 */
public final class RocksDbLibrary {
  public static final String DIR_PROPERTY = "raftkv.native-dir";
  public static final String DIR_ENV = "RAFTKV_NATIVE_DIR";

  private static final Logger log = LoggerFactory.getLogger(RocksDbLibrary.class);
  private static boolean loaded;

  private RocksDbLibrary() {}

  /** Loads the library once; later calls return at once. Safe from any thread. */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    String version = version();
    Optional<Path> base = baseDir(System.getProperties(), System.getenv());
    Optional<Path> dir = base.map(b -> b.resolve("rocksdbjni-" + version));
    try {
      Path where = dir.orElseThrow(() -> new IOException("no home directory"));
      Path lib = extract(where, resource(), fileName());
      RocksDB.loadLibrary(List.of(where.toString()));
      log.info("RocksDB [{}] native library [{}]", version, lib);
    } catch (IOException | UncheckedIOException | UnsatisfiedLinkError e) {
      log.warn(
          "Cannot load RocksDB's native library from [{}] ({}); falling back to RocksDB's own loader,"
              + " which leaves a 15 MB copy in [{}] after every kill -9: set {} to a writable directory",
          dir.map(Path::toString).orElse("?"),
          e.toString(),
          System.getProperty("java.io.tmpdir"),
          DIR_ENV);
      RocksDB.loadLibrary();
    }
    loaded = true;
  }

  /** The directory under which each rocksdbjni version gets its own, if there is one. */
  static Optional<Path> baseDir(Properties props, Map<String, String> env) {
    String explicit = props.getProperty(DIR_PROPERTY, env.get(DIR_ENV));
    if (explicit != null && !explicit.isBlank()) {
      return Optional.of(Path.of(explicit).toAbsolutePath());
    }
    String xdg = env.get("XDG_CACHE_HOME");
    if (xdg != null && Path.of(xdg).isAbsolute()) {
      return Optional.of(Path.of(xdg, "raftkv", "native"));
    }
    String home = props.getProperty("user.home");
    if (home != null && !home.isBlank() && Path.of(home).isAbsolute()) {
      return Optional.of(Path.of(home, ".cache", "raftkv", "native"));
    }
    return Optional.empty();
  }

  /** The library's file name in our directory: the one {@code RocksDB.loadLibrary(List)} loads. */
  static String fileName() {
    return Environment.getJniLibraryFileName("rocksdbjni");
  }

  /** The library for this OS and architecture in the rocksdbjni jar, as RocksDB's loader finds it. */
  static URL resource() throws IOException {
    String name = Environment.getJniLibraryFileName("rocksdb");
    URL url = RocksDB.class.getClassLoader().getResource(name);
    if (url == null) {
      throw new IOException("no " + name + " in the rocksdbjni jar");
    }
    return url;
  }

  /** The rocksdbjni version the build used (the pom's), which names the directory. */
  static String version() {
    Properties p = new Properties();
    try (InputStream in = RocksDbLibrary.class.getResourceAsStream("rocksdbjni.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String v = p.getProperty("version", "");
    return v.isBlank() || v.contains("$") ? "unknown" : v;
  }

  /** What a good copy of a resource is: its length and CRC-32. */
  record Expected(long size, long crc) {}

  /**
   * The length and CRC-32 of {@code resource}: from the jar's directory for a jar entry that
   * records them, else by reading it.
   */
  static Expected expectedOf(URL resource) throws IOException {
    URLConnection c = resource.openConnection();
    if (c instanceof JarURLConnection jar) {
      JarEntry e = jar.getJarEntry();
      if (e != null && e.getSize() >= 0 && e.getCrc() >= 0) {
        return new Expected(e.getSize(), e.getCrc());
      }
    }
    try (InputStream in = resource.openStream()) {
      CRC32 crc = new CRC32();
      byte[] buf = new byte[1 << 16];
      long size = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
        size += n;
      }
      return new Expected(size, crc.getValue());
    }
  }

  /**
   * A good copy of {@code resource} as {@code dir/fileName}: the file already there if it matches,
   * else a new one extracted atomically (see the class comment). Returns its path.
   *
   * <p>Synchronized because a JVM may hold a file's lock only once: threads queue here, processes
   * at the file lock.
   */
  static synchronized Path extract(Path dir, URL resource, String fileName) throws IOException {
    Expected expected = expectedOf(resource);
    Path target = dir.resolve(fileName);
    if (matches(target, expected)) {
      return target; // the usual case: nothing written, so a read-only directory is fine
    }
    Files.createDirectories(dir);
    try (FileChannel lockFile =
        FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = lockFile.lock(); // released by the kernel if this JVM is killed
      try {
        replace(target, resource, expected);
      } finally {
        lock.release();
      }
    }
    return target;
  }

  /** Under the lock: writes a new {@code target} unless another JVM just did. */
  private static void replace(Path target, URL resource, Expected expected) throws IOException {
    if (matches(target, expected)) {
      return; // another JVM extracted it while we waited for the lock
    }
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    Expected written = write(resource, partial);
    if (!written.equals(expected)) {
      throw new IOException("extracted " + partial + " has " + written + ", the jar's entry " + expected);
    }
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      d.force(true); // the rename itself durable
    }
  }

  /** Copies {@code resource} to {@code file} (truncating it) and fsyncs it; returns what it wrote. */
  private static Expected write(URL resource, Path file) throws IOException {
    CRC32 crc = new CRC32();
    long size = 0;
    try (InputStream in = resource.openStream();
        FileChannel out =
            FileChannel.open(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
        while (b.hasRemaining()) {
          out.write(b);
        }
        size += n;
      }
      out.force(true);
    }
    return new Expected(size, crc.getValue());
  }

  /** True if {@code file} is a regular file of the expected size and CRC-32. */
  static boolean matches(Path file, Expected expected) throws IOException {
    if (!Files.isRegularFile(file) || Files.size(file) != expected.size()) {
      return false;
    }
    CRC32 crc = new CRC32();
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      while (in.read(buf) > 0) {
        buf.flip();
        crc.update(buf);
        buf.clear();
      }
    }
    return crc.getValue() == expected.crc();
  }
}
