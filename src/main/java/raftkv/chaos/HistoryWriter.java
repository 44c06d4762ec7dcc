package raftkv.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import raftkv.check.Operation;

/** TEMPORARY until the checker's history file lands. */
final class HistoryWriter {
  private HistoryWriter() {}

  static void write(Path file, List<Operation> ops) throws IOException {
    ObjectMapper m = new ObjectMapper();
    List<String> lines = new ArrayList<>();
    for (Operation op : ops) {
      lines.add(m.writeValueAsString(op));
    }
    Files.write(file, lines);
  }
}
