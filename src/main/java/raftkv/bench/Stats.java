package raftkv.bench;

import java.util.Arrays;
import java.util.Locale;

/** Summaries of small samples (one value per kill, per CLI run): min / median / p90 / max. */
final class Stats {
  private Stats() {}

  /** {@code n} values, NaN ones left out; every figure is NaN when {@code n} is 0. */
  record Summary(int n, double min, double median, double p90, double max) {

    static Summary of(double... values) {
      double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
      int n = v.length;
      if (n == 0) {
        return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
      }
      return new Summary(n, v[0], Stats.median(v), Stats.nearestRank(v, 90), v[n - 1]);
    }

    /** {@code min=.. median=.. p90=.. max=..} with a unit suffix, for RESULT lines. */
    String fields(String unit) {
      return "n=" + n
          + " min_" + unit + "=" + Fmt.plain(min)
          + " median_" + unit + "=" + Fmt.plain(median)
          + " p90_" + unit + "=" + Fmt.plain(p90)
          + " max_" + unit + "=" + Fmt.plain(max);
    }
  }

  /** The middle value, or the mean of the two middle ones (as the etcd baseline computes it). */
  static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The smallest value with at least {@code pct}% of the sample at or below it. */
  static double nearestRank(double[] sorted, double pct) {
    int rank = (int) Math.ceil(pct / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** Number formats for the report: the same figure prints the same way everywhere. */
  static final class Fmt {
    private Fmt() {}

    /** Milliseconds for a table: 0.81, 12.3, 245; n/a for NaN. */
    static String ms(double v) {
      if (Double.isNaN(v)) {
        return "n/a";
      }
      if (Math.abs(v) < 10) {
        return String.format(Locale.ROOT, "%.2f", v);
      }
      return Math.abs(v) < 100
          ? String.format(Locale.ROOT, "%.1f", v)
          : String.format(Locale.ROOT, "%.0f", v);
    }

    /** A count or a rate with thousands separators: 12,345. */
    static String count(double v) {
      return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%,.0f", v);
    }

    /** A ratio: 1.23. */
    static String ratio(double v) {
      return Double.isNaN(v) || Double.isInfinite(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }

    /** A machine-readable number: 3 decimals at most, no separators, NaN for none. */
    static String plain(double v) {
      if (Double.isNaN(v)) {
        return "NaN";
      }
      String s = String.format(Locale.ROOT, "%.3f", v);
      s = s.replaceAll("0+$", "");
      return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
  }
}
