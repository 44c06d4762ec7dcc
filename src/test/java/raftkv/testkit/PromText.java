package raftkv.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: every line
 * is a {@code # HELP}, a {@code # TYPE} or a sample; every sample belongs to the family declared
 * by the TYPE line before it (a histogram's {@code _bucket}, {@code _sum} and {@code _count}, a
 * counter's {@code _total} and {@code _created}); no family is declared twice; a histogram's
 * buckets rise with {@code le} and end at {@code +Inf} equal to {@code _count}. Anything else
 * throws.
 */
public final class PromText {

  public record Sample(String name, Map<String, String> labels, double value) {}

  public record Family(String name, String type, String help, List<Sample> samples) {

    /** The value of the sample named {@code name} with exactly these labels. */
    public Optional<Double> value(String name, Map<String, String> labels) {
      return samples.stream()
          .filter(s -> s.name().equals(name) && s.labels().equals(labels))
          .map(Sample::value)
          .findFirst();
    }
  }

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");

  private PromText() {}

  public static Map<String, Family> parse(String text) {
    Map<String, Family> families = new LinkedHashMap<>();
    Map<String, String> help = new HashMap<>();
    Family current = null;
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the text does not end with a newline");
    }
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      try {
        if (line.startsWith("# HELP ")) {
          String[] p = line.substring(7).split(" ", 2);
          name(p[0]);
          if (help.put(p[0], p.length > 1 ? p[1] : "") != null) {
            throw new IllegalArgumentException("a second HELP for " + p[0]);
          }
        } else if (line.startsWith("# TYPE ")) {
          String[] p = line.substring(7).split(" ");
          if (p.length != 2 || !List.of("counter", "gauge", "histogram", "summary", "untyped").contains(p[1])) {
            throw new IllegalArgumentException("malformed TYPE");
          }
          name(p[0]);
          if (families.containsKey(p[0])) {
            throw new IllegalArgumentException("a second TYPE for " + p[0]);
          }
          current = new Family(p[0], p[1], help.get(p[0]), new ArrayList<>());
          families.put(p[0], current);
        } else if (line.startsWith("#")) {
          continue; // a comment
        } else {
          Sample s = sample(line);
          if (current == null || !belongs(current, s.name())) {
            throw new IllegalArgumentException("sample " + s.name() + " outside its family");
          }
          current.samples().add(s);
        }
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("line " + n + ": " + e.getMessage() + ": " + line, e);
      }
    }
    families.values().stream().filter(f -> f.type().equals("histogram")).forEach(PromText::checkHistogram);
    return families;
  }

  private static void name(String s) {
    if (!NAME.matcher(s).matches()) {
      throw new IllegalArgumentException("bad metric name " + s);
    }
  }

  private static boolean belongs(Family f, String sample) {
    String base = f.name();
    return switch (f.type()) {
      case "counter" -> sample.equals(base + "_total") || sample.equals(base + "_created") || sample.equals(base);
      case "histogram" -> sample.equals(base + "_bucket") || sample.equals(base + "_sum")
          || sample.equals(base + "_count") || sample.equals(base + "_created");
      case "summary" -> sample.equals(base) || sample.equals(base + "_sum") || sample.equals(base + "_count")
          || sample.equals(base + "_created");
      default -> sample.equals(base);
    };
  }

  private static Sample sample(String line) {
    int brace = line.indexOf('{');
    int space = line.indexOf(' ');
    String name;
    Map<String, String> labels = new LinkedHashMap<>();
    String rest;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.substring(0, brace);
      int close = line.indexOf("} ", brace);
      if (close < 0) {
        throw new IllegalArgumentException("unclosed labels");
      }
      String body = line.substring(brace + 1, close);
      Matcher m = LABEL.matcher(body);
      int at = 0;
      while (at < body.length()) {
        if (!m.find(at) || m.start() != at) {
          throw new IllegalArgumentException("malformed labels");
        }
        if (labels.put(m.group(1), unescape(m.group(2))) != null) {
          throw new IllegalArgumentException("label " + m.group(1) + " twice");
        }
        at = m.end();
        if (at < body.length()) {
          if (body.charAt(at) != ',') {
            throw new IllegalArgumentException("labels not separated by commas");
          }
          at++;
        }
      }
      rest = line.substring(close + 2);
    } else {
      if (space < 0) {
        throw new IllegalArgumentException("no value");
      }
      name = line.substring(0, space);
      rest = line.substring(space + 1);
    }
    name(name);
    String[] parts = rest.split(" ");
    if (parts.length < 1 || parts.length > 2) {
      throw new IllegalArgumentException("malformed value");
    }
    if (parts.length == 2) {
      Long.parseLong(parts[1]); // a timestamp
    }
    return new Sample(name, labels, value(parts[0]));
  }

  private static double value(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  private static String unescape(String s) {
    return s.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
  }

  private static void checkHistogram(Family f) {
    Map<Map<String, String>, List<Sample>> bySeries = new LinkedHashMap<>();
    for (Sample s : f.samples()) {
      if (s.name().endsWith("_bucket")) {
        Map<String, String> key = new LinkedHashMap<>(s.labels());
        key.remove("le");
        bySeries.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
      }
    }
    bySeries.forEach((labels, buckets) -> {
      double lastLe = Double.NEGATIVE_INFINITY;
      double lastCount = 0;
      for (Sample b : buckets) {
        double le = value(b.labels().get("le"));
        if (le <= lastLe || b.value() < lastCount) {
          throw new IllegalArgumentException(f.name() + ": buckets out of order at le=" + le);
        }
        lastLe = le;
        lastCount = b.value();
      }
      if (lastLe != Double.POSITIVE_INFINITY) {
        throw new IllegalArgumentException(f.name() + ": no +Inf bucket");
      }
      double count = f.value(f.name() + "_count", labels).orElseThrow(
          () -> new IllegalArgumentException(f.name() + ": no _count for " + labels));
      if (count != lastCount) {
        throw new IllegalArgumentException(f.name() + ": +Inf bucket " + lastCount + " != count " + count);
      }
    });
  }
}
