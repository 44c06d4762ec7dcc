package raftkv.api;

import java.util.Locale;

/**
 * Why a request failed. Some codes prove that the write was not applied; others leave its outcome
 * unknown: {@link #outcomeUnknown()} says which. A client that gets an outcome-unknown answer retries
 * with the same (clientId, seq) while the session lives; a duplicate reports the first outcome (see
 * {@link Result#duplicate()}).
 */
public enum ErrorCode {
  /** The node is not the leader; the reply carries a hint where one is known. */
  NOT_LEADER,
  /** No answer in time: the write may or may not have been applied. Retry with the same seq. */
  TIMEOUT,
  /**
   * The node stored the write in its log, then lost leadership before it committed: it may still
   * commit under a later leader. Retry with the same seq.
   */
  UNKNOWN,
  /** cas found another value (or found one where it expected none). */
  CAS_MISMATCH,
  /** incr on a value that is not a decimal integer. */
  NOT_A_NUMBER,
  /** incr would leave the signed 64-bit range. */
  OVERFLOW,
  /** Key over 1 KiB, value over 1 MiB (UTF-8), or client id over 128 bytes. */
  TOO_LARGE,
  /** A request that is malformed (empty key, seq below 1, ...). */
  INVALID_REQUEST,
  /**
   * The client's session is not live: it ended (expired or was evicted) or was never registered.
   * Nothing was applied now, but an earlier attempt of the same write may have been.
   */
  SESSION_EXPIRED,
  /**
   * The seq is at or below the session's latest and its result is no longer kept: an earlier
   * attempt may have been applied; this one was not.
   */
  STALE_REQUEST,
  /** The (clientId, seq) was already used for a different command. */
  SEQ_REUSED,
  /** The cluster cannot serve the request now (no leader known, shutting down, ...). */
  UNAVAILABLE;

  /**
   * Whether this answer leaves the write's outcome unknown: it may have been applied (by this
   * attempt or an earlier one of the same (clientId, seq)). {@code timeout}, {@code unknown}, {@code
   * session_expired} and {@code stale_request}; every other code proves that nothing was applied
   * (or, for {@code cas_mismatch}, {@code not_a_number} and {@code overflow}, that the op ran and
   * changed nothing).
   */
  public boolean outcomeUnknown() {
    return this == TIMEOUT || this == UNKNOWN || this == SESSION_EXPIRED || this == STALE_REQUEST;
  }

  /** The wire and CLI spelling: {@code not_leader}, {@code cas_mismatch}, ... */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
