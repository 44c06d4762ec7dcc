package raftkv.bench;

import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A small JSON writer for the benchmark's results file: maps (in their order), collections,
 * numbers, strings, booleans and null, plus {@link Raw} for a document written before. A double
 * is written with at most 3 decimals, and NaN or an infinity (a figure not measured) as null. A
 * collection of numbers only goes on one line, so that long series stay compact.
 */
final class Json {
  /** JSON text written elsewhere, embedded as it is. */
  record Raw(String json) {}

  private Json() {}

  /** An ordered map to fill: {@code Json.object().put(...)}. */
  static Obj object() {
    return new Obj();
  }

  /** A JSON object under construction; keys keep their insertion order. */
  static final class Obj extends LinkedHashMap<String, Object> {
    private static final long serialVersionUID = 1L;

    Obj with(String key, Object value) {
      put(key, value);
      return this;
    }
  }

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.append('\n').toString();
  }

  private static void write(StringBuilder sb, Object v, int indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Raw r) {
      sb.append(r.json().strip());
    } else if (v instanceof String s) {
      string(sb, s);
    } else if (v instanceof Boolean b) {
      sb.append(b);
    } else if (v instanceof Double || v instanceof Float) {
      sb.append(number(((Number) v).doubleValue()));
    } else if (v instanceof Number n) {
      sb.append(n.longValue());
    } else if (v instanceof Map<?, ?> m) {
      object(sb, m, indent);
    } else if (v instanceof Collection<?> c) {
      array(sb, c, indent);
    } else if (v instanceof long[] a) {
      sb.append('[');
      for (int i = 0; i < a.length; i++) {
        sb.append(i == 0 ? "" : ",").append(a[i]);
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
    }
  }

  /** 12, 0.5, 1234.568; null for NaN and infinities. */
  static String number(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return "null";
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return Stats.Fmt.plain(d);
  }

  private static void object(StringBuilder sb, Map<?, ?> m, int indent) {
    if (m.isEmpty()) {
      sb.append("{}");
      return;
    }
    sb.append("{\n");
    Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<?, ?> e = it.next();
      pad(sb, indent + 1);
      string(sb, String.valueOf(e.getKey()));
      sb.append(": ");
      write(sb, e.getValue(), indent + 1);
      sb.append(it.hasNext() ? ",\n" : "\n");
    }
    pad(sb, indent);
    sb.append('}');
  }

  private static void array(StringBuilder sb, Collection<?> c, int indent) {
    if (c.isEmpty()) {
      sb.append("[]");
      return;
    }
    boolean flat = c.stream().allMatch(x -> x instanceof Number);
    sb.append(flat ? "[" : "[\n");
    Iterator<?> it = c.iterator();
    while (it.hasNext()) {
      if (!flat) {
        pad(sb, indent + 1);
      }
      write(sb, it.next(), indent + 1);
      if (it.hasNext()) {
        sb.append(flat ? ", " : ",\n");
      }
    }
    if (!flat) {
      sb.append('\n');
      pad(sb, indent);
    }
    sb.append(']');
  }

  private static void pad(StringBuilder sb, int indent) {
    sb.append("  ".repeat(indent));
  }

  static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    sb.append('"');
  }
}
