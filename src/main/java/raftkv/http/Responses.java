package raftkv.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ErrorCode;
import raftkv.api.Result;
import raftkv.api.ResultJson;

/** The HTTP API's pure decisions: status codes, body decoding, readiness and health. */
final class Responses {
  private Responses() {}

  /**
   * The HTTP status of a result: 200, or 404 for a get of an absent key; an error by its code
   * (see the README's table).
   */
  static int status(ResultJson.Kind kind, Result r) {
    if (r.ok()) {
      return kind == ResultJson.Kind.GET && r.value() == null ? 404 : 200;
    }
    if (r.error() == null) {
      return 500;
    }
    return switch (r.error()) {
      case NOT_LEADER, UNAVAILABLE -> 503;
      case TIMEOUT, UNKNOWN -> 504;
      case CAS_MISMATCH, NOT_A_NUMBER, OVERFLOW, SEQ_REUSED, STALE_REQUEST -> 409;
      case SESSION_EXPIRED -> 410;
      case TOO_LARGE -> 413;
      case INVALID_REQUEST -> 400;
    };
  }

  /** The value a body holds: its bytes as UTF-8 text, or empty if they are not UTF-8. */
  static Optional<String> utf8(byte[] body) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(body))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  static Result notUtf8() {
    return Result.error(
        ErrorCode.INVALID_REQUEST,
        "the body is not UTF-8 text: values are strings; encode binary data (base64, say) first");
  }

  /**
   * Why the node is not ready (empty: it is): it answers, and has applied within {@code
   * maxApplyLag} of its commit index, so it can serve reads now.
   */
  static Optional<String> notReady(NodeStatus s, long maxApplyLag) {
    long lag = s.commitIndex() - s.lastApplied();
    if (lag > maxApplyLag) {
      return Optional.of(
          "applied index " + s.lastApplied() + " is " + lag + " behind commit index "
              + s.commitIndex() + " (the bound is " + maxApplyLag + ")");
    }
    return Optional.empty();
  }

  /**
   * Why the node is not healthy (empty: it is): it is ready, and knows a leader of its current
   * term (it leads, or follows one).
   */
  static Optional<String> notHealthy(NodeStatus s, long maxApplyLag) {
    if (s.leaderId() == null) {
      return Optional.of("no leader known in term " + s.term() + " (role " + s.role() + ")");
    }
    return notReady(s, maxApplyLag);
  }
}
