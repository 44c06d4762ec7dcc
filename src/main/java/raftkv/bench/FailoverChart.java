package raftkv.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The failover series as a picture: the sequential writer's acknowledged writes per 10 ms over the
 * whole failover section, each kill marked, and below it the same series around every kill laid on
 * top of each other (from 100 ms before to 900 ms after), where the gap each kill leaves shows. A
 * plain SVG document written as text.
 */
final class FailoverChart {
  static final int BIN_MS = 10;
  /** The window of the lower panel, around each kill. */
  static final int BEFORE_MS = 100;
  static final int AFTER_MS = 900;
  /** The upper panel's dark line: the mean over this many bins. */
  static final int SMOOTH_BINS = 10;

  private static final int WIDTH = 1200;
  private static final int LEFT = 60;
  private static final int RIGHT = 20;
  private static final int PLOT_W = WIDTH - LEFT - RIGHT;
  private static final int TOP_Y = 40;
  private static final int TOP_H = 220;
  private static final int LOW_Y = TOP_Y + TOP_H + 70;
  private static final int LOW_H = 220;
  private static final int HEIGHT = LOW_Y + LOW_H + 50;

  /** A kill at {@code atMs} from the series' start; {@code rounds} elections it took (term jump). */
  record Kill(int rep, double atMs, String killed, long rounds, double firstWriteMs) {}

  private FailoverChart() {}

  /**
   * Counts of {@code eventNanos} (any order) in bins of {@code binNanos} from {@code startNanos}
   * up to {@code endNanos}; events outside are left out.
   */
  static long[] bins(long[] eventNanos, long startNanos, long endNanos, long binNanos) {
    int n = (int) Math.max(0, (endNanos - startNanos + binNanos - 1) / binNanos);
    long[] counts = new long[n];
    for (long t : eventNanos) {
      long d = t - startNanos;
      if (d >= 0 && t - endNanos < 0) {
        int i = (int) (d / binNanos);
        if (i < n) {
          counts[i]++;
        }
      }
    }
    return counts;
  }

  static String svg(long[] perBin, List<Kill> kills, String title) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(text(LEFT, 20, escape(title), "start", 14));
    long max = 1;
    for (long c : perBin) {
      max = Math.max(max, c);
    }
    double yMax = niceCeiling(max);
    double totalMs = Math.max(BIN_MS, (double) perBin.length * BIN_MS);

    // upper panel: the whole section
    axes(s, TOP_Y, TOP_H, yMax, "writes per " + BIN_MS + " ms");
    double secs = totalMs / 1000;
    double step = niceStep(secs / 10);
    for (double t = 0; t <= secs + 1e-9; t += step) {
      double x = LEFT + PLOT_W * (t * 1000 / totalMs);
      s.append(line(x, TOP_Y + TOP_H, x, TOP_Y + TOP_H + 4, "#444"));
      s.append(text(x, TOP_Y + TOP_H + 16, Stats.Fmt.plain(t) + " s", "middle", 11));
    }
    s.append(text(LEFT + PLOT_W / 2.0, TOP_Y + TOP_H + 32, "time since the writer started", "middle",
        12));
    for (Kill k : kills) {
      double x = LEFT + PLOT_W * (k.atMs() / totalMs);
      String color = k.rounds() > 1 ? "#e08000" : "#d62728";
      s.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1\""
              + " stroke-dasharray=\"3,2\"><title>kill %d: %s, first write after %s ms%s</title>"
              + "</line>%n",
          x, TOP_Y, x, TOP_Y + TOP_H, color, k.rep(), escape(k.killed()),
          Stats.Fmt.ms(k.firstWriteMs()), k.rounds() > 1 ? ", " + k.rounds() + " election rounds" : ""));
      s.append(text(x, TOP_Y - 4, escape(k.killed()), "middle", 9));
    }
    s.append(polyline(perBin, 0, perBin.length, TOP_Y, TOP_H, yMax, totalMs, 0, "#1f77b4", 0.5));
    s.append(polyline(movingAverage(perBin, SMOOTH_BINS), 0, perBin.length, TOP_Y, TOP_H, yMax,
        totalMs, 0, "#08306b", 1.0));
    s.append(text(LEFT + PLOT_W, TOP_Y - 4, "light: per " + BIN_MS + " ms; dark: mean over "
        + SMOOTH_BINS * BIN_MS + " ms", "end", 10));

    // lower panel: around each kill
    int window = BEFORE_MS + AFTER_MS;
    axes(s, LOW_Y, LOW_H, yMax, "writes per " + BIN_MS + " ms");
    s.append(text(LEFT, LOW_Y - 10,
        "around each kill (" + kills.size() + " kills laid over each other; red: the kill)",
        "start", 13));
    for (int ms = -BEFORE_MS; ms <= AFTER_MS; ms += 100) {
      double x = LEFT + PLOT_W * ((ms + BEFORE_MS) / (double) window);
      s.append(line(x, LOW_Y + LOW_H, x, LOW_Y + LOW_H + 4, "#444"));
      s.append(text(x, LOW_Y + LOW_H + 16, ms + " ms", "middle", 11));
    }
    s.append(text(LEFT + PLOT_W / 2.0, LOW_Y + LOW_H + 32, "time since the kill", "middle", 12));
    double zero = LEFT + PLOT_W * (BEFORE_MS / (double) window);
    s.append(line(zero, LOW_Y, zero, LOW_Y + LOW_H, "#d62728"));
    for (Kill k : kills) {
      int from = (int) Math.floor((k.atMs() - BEFORE_MS) / BIN_MS);
      int to = Math.min(perBin.length, from + window / BIN_MS);
      int first = Math.max(0, from);
      if (first < to) {
        double offsetMs = (first - from) * (double) BIN_MS;
        s.append(polyline(perBin, first, to, LOW_Y, LOW_H, yMax, window, offsetMs,
            k.rounds() > 1 ? "#e08000" : "#1f77b4", 0.45));
      }
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static void axes(StringBuilder s, int y0, int h, double yMax, String label) {
    s.append(line(LEFT, y0, LEFT, y0 + h, "#444"));
    s.append(line(LEFT, y0 + h, LEFT + PLOT_W, y0 + h, "#444"));
    for (int i = 0; i <= 2; i++) {
      double v = yMax * i / 2;
      double y = y0 + h - h * (v / yMax);
      s.append(line(LEFT - 4, y, LEFT, y, "#444"));
      s.append(text(LEFT - 6, y + 4, Stats.Fmt.plain(v), "end", 11));
    }
    s.append(String.format(Locale.ROOT,
        "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\""
            + " font-size=\"11\">%s</text>%n", y0 + h / 2.0, y0 + h / 2.0, escape(label)));
  }

  /** The mean of each bin and the {@code k - 1} before it. */
  static double[] movingAverage(long[] bins, int k) {
    double[] out = new double[bins.length];
    double sum = 0;
    for (int i = 0; i < bins.length; i++) {
      sum += bins[i];
      if (i >= k) {
        sum -= bins[i - k];
      }
      out[i] = sum / Math.min(i + 1, k);
    }
    return out;
  }

  private static String polyline(long[] bins, int from, int to, int y0, int h, double yMax,
      double spanMs, double offsetMs, String color, double opacity) {
    double[] d = new double[bins.length];
    for (int i = 0; i < bins.length; i++) {
      d[i] = bins[i];
    }
    return polyline(d, from, to, y0, h, yMax, spanMs, offsetMs, color, opacity);
  }

  /** Bins {@code from..to} as a step-free line, x from {@code offsetMs} over {@code spanMs}. */
  private static String polyline(double[] bins, int from, int to, int y0, int h, double yMax,
      double spanMs, double offsetMs, String color, double opacity) {
    List<String> pts = new ArrayList<>();
    for (int i = from; i < to; i++) {
      double ms = offsetMs + (i - from + 0.5) * BIN_MS;
      double x = LEFT + PLOT_W * (ms / spanMs);
      double y = y0 + h - h * (Math.min(bins[i], yMax) / yMax);
      pts.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
    }
    return String.format(Locale.ROOT,
        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1\" stroke-opacity=\"%s\""
            + " points=\"%s\"/>%n", color, Stats.Fmt.plain(opacity), String.join(" ", pts));
  }

  private static String line(double x1, double y1, double x2, double y2, String color) {
    return String.format(Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
        x1, y1, x2, y2, color);
  }

  private static String text(double x, double y, String escaped, String anchor, int size) {
    return String.format(Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
        x, y, anchor, size, escaped);
  }

  static String escape(String t) {
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** 1, 2, 5, 10, 20, 50, ... at or above {@code v}. */
  static double niceCeiling(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(Math.max(v, 1e-9))));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** A tick step of 1, 2 or 5 times a power of ten, at or above {@code v}. */
  static double niceStep(double v) {
    return niceCeiling(Math.max(v, 0.001));
  }
}
