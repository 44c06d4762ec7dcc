package raftkv.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.core.util.Separators.Spacing;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The benchmark's JSON documents (results.json, docs/bench/*.json) are Jackson trees, written in
 * one format: two-space indented objects, arrays on one line (long series stay compact), and a
 * double with at most 3 decimals, a whole one without ".0", NaN or an infinity (a figure not
 * measured) as null.
 */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private static final DefaultPrettyPrinter FORMAT =
      new DefaultPrettyPrinter(
              Separators.createDefaultInstance()
                  .withObjectFieldValueSpacing(Spacing.AFTER)
                  .withObjectEmptySeparator("")
                  .withArrayValueSpacing(Spacing.AFTER)
                  .withArrayEmptySeparator(""))
          .withObjectIndenter(new DefaultIndenter("  ", "\n"))
          .withArrayIndenter(new DefaultPrettyPrinter.NopIndenter());

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A list, array or record as a tree, to {@code set} in an object. */
  static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /** {@code doc} as text, with a final line break. */
  static String write(JsonNode doc) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g =
        new Figures(MAPPER.createGenerator(out).setPrettyPrinter(FORMAT.createInstance()))) {
      MAPPER.writeTree(g, doc);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.append('\n').toString();
  }

  /** Writes doubles as figures: 12, 0.5, 1234.568; null for NaN and infinities. */
  private static final class Figures extends JsonGeneratorDelegate {
    Figures(JsonGenerator g) {
      super(g, false);
    }

    @Override
    public void writeNumber(double d) throws IOException {
      if (!Double.isFinite(d)) {
        writeNull();
      } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        writeNumber((long) d);
      } else {
        writeNumber(Stats.Fmt.plain(d));
      }
    }

    @Override
    public void writeNumber(float f) throws IOException {
      writeNumber((double) f);
    }
  }
}
