package raftkv.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of a process, from {@code /proc/PID/stat} (Linux). */
final class ProcStat {
  /** USER_HZ: clock ticks per second in /proc, 100 on Linux. */
  private static final long TICKS_PER_SECOND = 100;

  private ProcStat() {}

  /** User plus system CPU time of {@code pid} in milliseconds, or 0 if it cannot be read. */
  static long cpuMillis(long pid) {
    try {
      return parseCpuMillis(Files.readString(Path.of("/proc/" + pid + "/stat")));
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Fields 14 and 15 (utime, stime) of a stat line; the name in parentheses may hold spaces. */
  static long parseCpuMillis(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks * 1000 / TICKS_PER_SECOND;
  }
}
