package raftkv.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * What Linux's {@code /proc} says about a process: CPU time from {@code /proc/PID/stat}, resident
 * memory from {@code /proc/PID/status}.
 */
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

  /**
   * The peak resident set ({@code VmHWM}) of {@code pid} in KiB: since the process started, or
   * since the last {@link #resetPeak}. Empty if it cannot be read (the process is gone).
   */
  static OptionalLong peakRssKib(long pid) {
    return statusField(pid, "VmHWM");
  }

  /** The resident set ({@code VmRSS}) of {@code pid} now, in KiB. */
  static OptionalLong rssKib(long pid) {
    return statusField(pid, "VmRSS");
  }

  /**
   * Resets {@code pid}'s peak resident set to its current one (writing 5 to {@code
   * /proc/PID/clear_refs}, Linux 4.0 and later; only for our own processes). Returns false if that
   * failed: {@code VmHWM} then still counts from the process's start.
   */
  static boolean resetPeak(long pid) {
    try {
      Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static OptionalLong statusField(long pid, String field) {
    try {
      return parseStatusKib(Files.readString(Path.of("/proc/" + pid + "/status")), field);
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** A {@code Name:   12345 kB} line of a status file, in KiB; empty if absent. */
  static OptionalLong parseStatusKib(String status, String field) {
    for (String line : status.split("\n")) {
      if (line.startsWith(field + ":")) {
        String v = line.substring(field.length() + 1).trim();
        if (v.endsWith("kB")) {
          v = v.substring(0, v.length() - 2).trim();
        }
        try {
          return OptionalLong.of(Long.parseLong(v));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }
}
