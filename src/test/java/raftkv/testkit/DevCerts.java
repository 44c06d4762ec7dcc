package raftkv.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * TLS material for tests, made by {@code scripts/dev-certs.sh} itself (keytool, a new CA per
 * directory): a second directory is a foreign CA, whose certificates the first one's refuses.
 */
public final class DevCerts {
  private DevCerts() {}

  /**
   * Runs {@code scripts/dev-certs.sh dir nodes} with {@code password} (one password for every
   * directory a test makes, so stores from two of them can be mixed) and returns {@code dir}.
   */
  public static Path make(Path dir, int nodes, String password) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder("bash", Path.of("scripts/dev-certs.sh").toAbsolutePath().toString(),
                dir.toString(), String.valueOf(nodes))
            .redirectErrorStream(true);
    pb.environment().put("RAFTKV_TLS_PASSWORD", password);
    String javaHome = System.getProperty("java.home");
    if (javaHome != null) {
      pb.environment().put("JAVA_HOME", javaHome); // keytool of the JDK running the tests
    }
    Process p = pb.start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("dev-certs.sh " + dir + " failed: " + new String(output, StandardCharsets.UTF_8));
    }
    return dir;
  }

  /**
   * A directory {@code dir} holding copies of {@code files} from {@code certs} (one {@link #make}
   * made) and {@code password} as its password file: a TLS directory with a piece missing or wrong.
   */
  public static Path copyOf(Path certs, Path dir, String password, String... files) throws IOException {
    Files.createDirectory(dir);
    for (String f : files) {
      Files.copy(certs.resolve(f), dir.resolve(f));
    }
    Files.writeString(dir.resolve("password"), password + "\n");
    return dir;
  }
}
