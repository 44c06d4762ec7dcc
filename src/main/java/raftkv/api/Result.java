package raftkv.api;

/**
 * The outcome of one client request, as a flat record so that it maps one to one onto the CLI's JSON
 * line. {@code value} is the read value, the new value after incr, or the actual value after a failed
 * cas ({@code null} for an absent key). {@code index} is the log index the write was applied at (0 for
 * reads and refusals). {@code duplicate} marks the cached first outcome of a retried (clientId, seq).
 */
public record Result(
    boolean ok, ErrorCode error, String message, String value, long index, boolean duplicate) {

  public static Result written(long index) {
    return new Result(true, null, null, null, index, false);
  }

  public static Result value(String value, long index) {
    return new Result(true, null, null, value, index, false);
  }

  public static Result casMismatch(String actual, long index) {
    return new Result(
        false, ErrorCode.CAS_MISMATCH, "value differs from the expected one", actual, index, false);
  }

  public static Result error(ErrorCode code, String message) {
    return new Result(false, code, message, null, 0, false);
  }

  /**
   * An op that ran at {@code index} and failed ({@code not_a_number}, {@code overflow}): nothing
   * changed, but the outcome is decided there and a retry gets it again.
   */
  public static Result failed(ErrorCode code, String message, long index) {
    return new Result(false, code, message, null, index, false);
  }

  /** The same outcome, marked as the cached answer to an earlier identical request. */
  public Result asDuplicate() {
    return new Result(ok, error, message, value, index, true);
  }
}
