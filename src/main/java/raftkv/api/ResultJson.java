package raftkv.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.PeerStatus;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ClientProtocol.ScanReply;

/**
 * The JSON of a result and of a node's status, one shape for {@code kv_client --json} and the HTTP
 * API alike. Pure functions of their input.
 *
 * <p>A put, delete or successful cas {@code {"ok":true,"index":N,"duplicate":B}}; a get {@code
 * {"ok":true,"value":V}} (null when absent); an incr {@code
 * {"ok":true,"value":"N","index":N,"duplicate":B}}; a failed cas {@code
 * {"ok":false,"error":"cas_mismatch","value":ACTUAL}}; any other failure {@code
 * {"ok":false,"error":CODE,"message":TEXT}}, with {@code "outcome":"unknown"} added when the code
 * leaves the write's outcome unknown ({@link ErrorCode#outcomeUnknown()}). A scan's page {@code
 * {"ok":true,"entries":[{"key":K,"value":V},...],"continuation":C}} (no {@code value} fields for a
 * keys-only scan; {@code continuation} null on the last page), a failed one as any failure.
 */
public final class ResultJson {
  private ResultJson() {}

  /** The kinds of command, as far as their results' JSON goes. */
  public enum Kind {
    WRITE,
    INCR,
    GET
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  public static Kind kindOf(Op op) {
    return op instanceof Op.Incr ? Kind.INCR : Kind.WRITE;
  }

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /** The JSON object that reports {@code r}. */
  public static ObjectNode of(Kind kind, Result r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("ok", r.ok());
    if (!r.ok()) {
      n.put("error", r.error() == null ? "unknown" : r.error().code());
      if (r.error() == ErrorCode.CAS_MISMATCH) {
        n.put("value", r.value());
      } else {
        n.put("message", r.message());
      }
      if (r.error() == null || r.error().outcomeUnknown()) {
        n.put("outcome", "unknown");
      }
      return n;
    }
    switch (kind) {
      case GET -> n.put("value", r.value());
      case INCR -> {
        n.put("value", r.value());
        n.put("index", r.index());
        n.put("duplicate", r.duplicate());
      }
      case WRITE -> {
        n.put("index", r.index());
        n.put("duplicate", r.duplicate());
      }
    }
    return n;
  }

  /** The JSON object that reports one page of a scan, or why it failed. */
  public static ObjectNode scan(ScanReply page, boolean keysOnly) {
    if (!page.result().ok()) {
      return of(Kind.GET, page.result());
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("ok", true);
    ArrayNode entries = n.putArray("entries");
    for (ScanEntry e : page.entries()) {
      ObjectNode o = entries.addObject();
      o.put("key", e.key());
      if (!keysOnly) {
        o.put("value", e.value());
      }
    }
    n.put("continuation", page.continuation());
    return n;
  }

  /**
   * One node's status, the object {@code kv_client status --json} lists per node, and the
   * leader's view of its followers ({@code peers}, empty on others).
   */
  public static ObjectNode status(NodeStatus st) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", st.id());
    n.put("address", st.endpoint().toString());
    n.put("role", st.role());
    n.put("term", st.term());
    n.put("leader", st.leaderId());
    n.put("commitIndex", st.commitIndex());
    n.put("lastApplied", st.lastApplied());
    n.put("lastLogIndex", st.lastLogIndex());
    n.put("lastContactMs", st.lastContactMillis());
    n.put("snapshotIndex", st.snapshotIndex());
    n.put("firstLogIndex", st.firstLogIndex());
    n.put("logBytes", st.logBytes());
    n.put("stateBytes", st.stateBytes());
    n.put("reachable", true);
    return n;
  }

  /** {@link #status} with the leader's view of each follower. */
  public static ObjectNode statusWithPeers(NodeStatus st) {
    ObjectNode n = status(st);
    ArrayNode peers = n.putArray("peers");
    for (PeerStatus p : st.peers()) {
      ObjectNode o = peers.addObject();
      o.put("id", p.id());
      o.put("address", p.endpoint().toString());
      o.put("matchIndex", p.matchIndex());
      o.put("lastAckMs", p.lastAckMillis());
    }
    return n;
  }

  /** {@code n} as one line. */
  public static String write(ObjectNode n) {
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
  }
}
