package raftkv.api;

import java.util.Locale;

/**
 * Why a request failed. Only {@link #TIMEOUT} leaves the outcome unknown: every other code means
 * nothing was applied (a duplicate reports the first outcome, see {@link Result#duplicate()}).
 */
public enum ErrorCode {
  /** The node is not the leader; the reply carries a hint where one is known. */
  NOT_LEADER,
  /** No answer in time: the write may or may not have been applied. Retry with the same seq. */
  TIMEOUT,
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
  /** The client's session is unknown: it expired, was evicted, or never started (seq 1 starts one). */
  SESSION_EXPIRED,
  /** The seq is older than the session's latest and its result is no longer kept. */
  STALE_REQUEST,
  /** The (clientId, seq) was already used for a different command. */
  SEQ_REUSED,
  /** The cluster cannot serve the request now (no leader known, shutting down, ...). */
  UNAVAILABLE;

  /** The wire and CLI spelling: {@code not_leader}, {@code cas_mismatch}, ... */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
