package raftkv.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.api.ResultJson;
import raftkv.client.ClientActor.ClusterStatus;
import raftkv.client.ClientActor.NodeView;

/**
 * How {@code kv_client} prints results: one JSON line each with {@code --json}, or text for people.
 * Pure functions of the result, so that every shape is tested without a cluster.
 *
 * <p>JSON shapes: a put, delete or successful cas {@code {"ok":true,"index":N,"duplicate":B}}; a get
 * {@code {"ok":true,"value":V}} (null when absent); an incr {@code
 * {"ok":true,"value":"N","index":N,"duplicate":B}}; a failed cas {@code
 * {"ok":false,"error":"cas_mismatch","value":ACTUAL}}; any other failure {@code
 * {"ok":false,"error":CODE,"message":TEXT}}, with {@code "outcome":"unknown"} added when the code
 * leaves the write's outcome unknown ({@link ErrorCode#outcomeUnknown()}: timeout, unknown,
 * session_expired, stale_request; exit status 3). A scan prints one JSON line per page, {@code
 * {"ok":true,"entries":[{"key":K,"value":V},...],"continuation":C}} (see {@link ResultJson#scan}),
 * or in text one line per key: {@code KEY VALUE}, or {@code KEY} with {@code --keys-only}, both as
 * they are stored, as {@code get} prints a value.
 */
final class Output {

  /** The kinds of command, as far as printing them goes. */
  enum Kind {
    WRITE,
    INCR,
    GET
  }

  static final int EXIT_OK = 0;
  static final int EXIT_ERROR = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_UNKNOWN = 3;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final boolean json;

  Output(boolean json) {
    this.json = json;
  }

  boolean json() {
    return json;
  }

  static Kind kindOf(Op op) {
    return op instanceof Op.Incr ? Kind.INCR : Kind.WRITE;
  }

  /** 0 success, 3 outcome unknown ({@link ErrorCode#outcomeUnknown()}), 1 any other failure. */
  static int exitCode(Result r) {
    if (r.ok()) {
      return EXIT_OK;
    }
    return r.error() != null && r.error().outcomeUnknown() ? EXIT_UNKNOWN : EXIT_ERROR;
  }

  /** The one line that reports {@code r}. */
  String result(Kind kind, Result r) {
    return json ? resultJson(kind, r) : resultText(kind, r);
  }

  /**
   * The line of a backup written: {@code saved snapshot at index N (term T): K keys, B bytes, to
   * FILE}, or one JSON object with the same.
   */
  String snapshotSaved(BackupFile.Summary s, Path file) {
    if (json) {
      ObjectNode n = JSON.createObjectNode();
      n.put("ok", true);
      n.put("index", s.header().index());
      n.put("term", s.header().term());
      n.put("keys", s.keys());
      n.put("entries", s.entries());
      n.put("bytes", s.bytes());
      n.put("chunks", s.chunks());
      n.put("file", file.toString());
      return write(n);
    }
    return "saved snapshot at index " + s.header().index() + " (term " + s.header().term() + "): "
        + s.keys() + " keys, " + s.bytes() + " bytes, to " + file;
  }

  /** The line for a command that does not parse (shell only; one-shot usage goes to picocli). */
  String usageError(String message) {
    if (json) {
      ObjectNode n = JSON.createObjectNode();
      n.put("ok", false);
      n.put("error", "usage");
      n.put("message", message);
      return write(n);
    }
    return "error: usage: " + message;
  }

  private static String resultJson(Kind kind, Result r) {
    return ResultJson.write(ResultJson.of(ResultJson.Kind.valueOf(kind.name()), r));
  }

  private static String resultText(Kind kind, Result r) {
    if (!r.ok()) {
      String code = r.error() == null ? "unknown" : r.error().code();
      String message = r.message() == null ? "" : r.message();
      if (r.error() == ErrorCode.CAS_MISMATCH) {
        message += r.value() == null ? "; the key is absent" : "; actual value: " + r.value();
      }
      return "error: " + code + ": " + message;
    }
    return switch (kind) {
      case GET -> r.value() == null ? "(nil)" : r.value();
      case INCR ->
          r.value()
              + (r.duplicate() ? " (duplicate of the write at index " + r.index() + ")" : "");
      case WRITE -> "OK (index " + r.index() + ")" + (r.duplicate() ? " duplicate" : "");
    };
  }

  /**
   * The lines that print one page of a scan: one per key in text, the page as one JSON line; a
   * failed page as any failed result.
   */
  List<String> scanPage(ScanReply page, boolean keysOnly) {
    if (json) {
      return List.of(ResultJson.write(ResultJson.scan(page, keysOnly)));
    }
    if (!page.result().ok()) {
      return List.of(resultText(Kind.GET, page.result()));
    }
    List<String> lines = new ArrayList<>(page.entries().size());
    for (ScanEntry e : page.entries()) {
      lines.add(keysOnly ? e.key() : e.key() + " " + e.value());
    }
    return lines;
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  /**
   * The cluster's status: JSON {@code {"leader":ID,"nodes":[...]}} on one line, or an aligned
   * table (several lines, no trailing newline).
   */
  String status(ClusterStatus s) {
    return json ? statusJson(s) : statusTable(s);
  }

  /** As {@link #status}, but one line in text too (the shell prints one line per command). */
  String statusLine(ClusterStatus s) {
    if (json) {
      return statusJson(s);
    }
    List<String> parts = new ArrayList<>();
    for (NodeView v : s.nodes()) {
      NodeStatus n = v.status();
      parts.add(
          n == null
              ? v.endpoint() + " unreachable"
              : "n" + n.id() + " " + n.endpoint() + " " + n.role() + " term " + n.term()
                  + " commit " + n.commitIndex());
    }
    Optional<Integer> leader = s.leaderId();
    return (leader.isPresent() ? "leader n" + leader.get() : "no leader")
        + ": "
        + String.join(", ", parts);
  }

  private static String statusJson(ClusterStatus s) {
    ObjectNode root = JSON.createObjectNode();
    Optional<Integer> leader = s.leaderId();
    if (leader.isPresent()) {
      root.put("leader", leader.get());
    } else {
      root.putNull("leader");
    }
    ArrayNode nodes = root.putArray("nodes");
    for (NodeView v : s.nodes()) {
      ObjectNode n = nodes.addObject();
      NodeStatus st = v.status();
      if (st == null) {
        n.putNull("id");
        n.put("address", v.endpoint().toString());
        for (String f :
            List.of("role", "term", "leader", "commitIndex", "lastApplied", "lastLogIndex",
                "lastContactMs", "snapshotIndex", "firstLogIndex", "logBytes", "stateBytes")) {
          n.putNull(f);
        }
        n.put("reachable", false);
        continue;
      }
      n.setAll(ResultJson.status(st));
    }
    return write(root);
  }

  private static String statusTable(ClusterStatus s) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "SNAPSHOT", "LAST-CONTACT"
        });
    for (NodeView v : s.nodes()) {
      NodeStatus n = v.status();
      if (n == null) {
        rows.add(
            new String[] {"-", v.endpoint().toString(), "unreachable", "-", "-", "-", "-", "-", "-"});
        continue;
      }
      String contact;
      if ("leader".equals(n.role())) {
        contact = "-";
      } else if (n.lastContactMillis() == null) {
        contact = "never";
      } else {
        contact = n.lastContactMillis() + " ms ago";
      }
      rows.add(
          new String[] {
            "n" + n.id(),
            n.endpoint().toString(),
            n.role(),
            String.valueOf(n.term()),
            n.leaderId() == null ? "-" : "n" + n.leaderId(),
            String.valueOf(n.commitIndex()),
            String.valueOf(n.lastApplied()),
            String.valueOf(n.snapshotIndex()),
            contact
          });
    }
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(row[i]);
        if (i < row.length - 1) {
          line.append(" ".repeat(width[i] - row[i].length() + 2));
        }
      }
      if (b.length() > 0) {
        b.append('\n');
      }
      b.append(line.toString().stripTrailing());
    }
    return b.toString();
  }

  private static String write(ObjectNode n) {
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
  }
}
