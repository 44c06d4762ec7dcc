package raftkv.check;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.EnumFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * History files: JSON lines, one {@link Operation} per line with the record's field names, {@code
 * kind} and {@code outcome} in lower case:
 *
 * <pre>{"id":7,"process":2,"kind":"cas","key":"k1","value":"b","expected":"a","outcome":"ok",
 * "error":"cas_mismatch","output":"c","invokeNanos":1200,"completeNanos":1900}</pre>
 *
 * (one line in the file). {@code value}, {@code expected}, {@code error} and {@code output} may be
 * left out when null; the other fields are required. Blank lines are skipped.
 */
public final class HistoryFile {

  private static final List<String> REQUIRED =
      List.of("id", "process", "kind", "key", "outcome", "invokeNanos", "completeNanos");

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(EnumFeature.WRITE_ENUMS_TO_LOWERCASE)
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
          .build();

  private HistoryFile() {}

  /** A line that is not a well-formed operation. The message is one line naming the file and line. */
  public static final class FormatException extends IOException {
    private static final long serialVersionUID = 1L;

    FormatException(String message) {
      super(message);
    }
  }

  /**
   * Reads a history file.
   *
   * @throws FormatException at the first line that is not JSON, lacks a required field, has a field
   *     of the wrong type or an unknown one, or fails the checker's rules (an incr delta that is not
   *     a number, an OK answer the state machine cannot give, ...)
   * @throws IOException if the file cannot be read
   */
  public static List<Operation> read(Path file) throws IOException {
    List<Operation> ops = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int number = 0;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        try {
          ops.add(parse(line));
        } catch (IllegalArgumentException e) {
          throw new FormatException(file + ":" + number + ": " + e.getMessage());
        }
      }
    }
    return ops;
  }

  /** Writes {@code ops} to {@code file}, one line each, replacing the file. */
  public static void write(Path file, List<Operation> ops) throws IOException {
    try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Operation op : ops) {
        writer.write(toJson(op));
        writer.newLine();
      }
    }
  }

  /** {@code op} as one line of JSON, without the line break; every field is written. */
  public static String toJson(Operation op) {
    try {
      return JSON.writeValueAsString(op);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e); // a record of strings, numbers and enums always writes
    }
  }

  /**
   * One line of JSON as an operation.
   *
   * @throws IllegalArgumentException with a one-line message saying what is wrong
   */
  public static Operation parse(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + oneLine(e.getOriginalMessage()));
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    for (String field : REQUIRED) {
      if (!node.hasNonNull(field)) {
        throw new IllegalArgumentException("no \"" + field + "\"");
      }
    }
    Operation op;
    try {
      op = JSON.treeToValue(node, Operation.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(oneLine(e.getOriginalMessage()));
    }
    String problem = Wellformed.problem(op);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return op;
  }

  private static String oneLine(String message) {
    return String.valueOf(message).replaceAll("\\s+", " ").strip();
  }
}
