package raftkv.check;

import java.util.Objects;
import java.util.Optional;
import raftkv.api.ErrorCode;
import raftkv.kv.KvStateMachine;

/**
 * The sequential specification of one key, as {@link raftkv.kv.KvStateMachine} runs it: the state
 * is the key's value, null when absent. Pure.
 *
 * <p>{@link #step} answers whether an operation may run in a state and what state it leaves. An
 * {@link Operation.Outcome#OK OK} operation may run only where it would have answered exactly what
 * was observed (error and output); an {@link Operation.Outcome#UNKNOWN UNKNOWN} one, whose answer
 * nobody saw, may run in any state.
 */
final class KvModel {

  /** What {@link #step} returns for an operation that cannot run in the state. */
  static final Object ILLEGAL = new Object();

  private static final String CAS_MISMATCH = ErrorCode.CAS_MISMATCH.code();
  private static final String NOT_A_NUMBER = ErrorCode.NOT_A_NUMBER.code();
  private static final String OVERFLOW = ErrorCode.OVERFLOW.code();

  private KvModel() {}

  /** The state after {@code op} runs in {@code state}, whatever it answered. */
  static String effect(String state, Operation op) {
    return run(state, op).next;
  }

  /** The state after {@code op} runs in {@code state}, or {@link #ILLEGAL}. */
  static Object step(String state, Operation op) {
    Answer answer = run(state, op);
    if (op.outcome() == Operation.Outcome.UNKNOWN) {
      return answer.next;
    }
    boolean observed =
        Objects.equals(answer.error, op.error()) && Objects.equals(answer.output, op.output());
    return observed ? answer.next : ILLEGAL;
  }

  /** What the state machine answers and leaves behind. */
  private record Answer(String error, String output, String next) {}

  private static Answer run(String state, Operation op) {
    switch (op.kind()) {
      case PUT:
        return new Answer(null, null, op.value());
      case DELETE:
        return new Answer(null, null, null);
      case GET:
        return new Answer(null, state, state);
      case CAS:
        if (!Objects.equals(state, op.expected())) {
          return new Answer(CAS_MISMATCH, state, state);
        }
        return new Answer(null, null, op.value());
      case INCR:
        return incr(state, Long.parseLong(op.value()));
      default:
        throw new IllegalArgumentException("unknown kind " + op.kind());
    }
  }

  private static Answer incr(String state, long delta) {
    long current = 0;
    if (state != null) {
      Optional<Long> parsed = KvStateMachine.parseLong(state);
      if (parsed.isEmpty()) {
        return new Answer(NOT_A_NUMBER, null, state);
      }
      current = parsed.get();
    }
    long sum;
    try {
      sum = Math.addExact(current, delta);
    } catch (ArithmeticException e) {
      return new Answer(OVERFLOW, null, state);
    }
    String next = Long.toString(sum);
    return new Answer(null, next, next);
  }
}
