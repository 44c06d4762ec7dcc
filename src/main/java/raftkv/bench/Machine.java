package raftkv.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/** The machine a benchmark ran on, from {@code /proc} (Linux) and the JVM. */
final class Machine {
  private Machine() {}

  static ObjectNode describe() {
    OptionalLong memKib = ProcStat.parseStatusKib(read("/proc/meminfo"), "MemTotal");
    return Json.object()
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("cpu", cpuModel(read("/proc/cpuinfo")).orElse("unknown"))
        .put("memory_mib", memKib.isPresent() ? memKib.getAsLong() / 1024 : null)
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
        .put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"))
        .put("load_average", loadAverage(read("/proc/loadavg")));
  }

  /** The first {@code model name} of a cpuinfo file. */
  static Optional<String> cpuModel(String cpuinfo) {
    for (String line : cpuinfo.split("\n")) {
      if (line.startsWith("model name")) {
        int colon = line.indexOf(':');
        if (colon >= 0) {
          return Optional.of(line.substring(colon + 1).strip());
        }
      }
    }
    return Optional.empty();
  }

  /** The 1, 5 and 15 minute load averages of a loadavg line, e.g. "2.19 3.87 4.59". */
  static String loadAverage(String loadavg) {
    String[] f = loadavg.strip().split("\\s+");
    return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
  }

  private static String read(String path) {
    try {
      return Files.readString(Path.of(path));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
