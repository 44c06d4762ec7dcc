package raftkv.check;

import java.util.Set;
import raftkv.api.ErrorCode;

/** The checks an {@link Operation} must pass before the checker reads it. */
final class Wellformed {

  private static final Set<String> INCR_ERRORS =
      Set.of(ErrorCode.NOT_A_NUMBER.code(), ErrorCode.OVERFLOW.code());

  private Wellformed() {}

  /** What is wrong with {@code op}, in a few words, or null if nothing is. */
  static String problem(Operation op) {
    if (op.kind() == null) {
      return "no kind";
    }
    if (op.outcome() == null) {
      return "no outcome";
    }
    if (op.key() == null) {
      return "no key";
    }
    String kind = op.kind().name().toLowerCase(java.util.Locale.ROOT);
    if ((op.kind() == Operation.Kind.PUT || op.kind() == Operation.Kind.CAS) && op.value() == null) {
      return kind + " without a value";
    }
    if (op.kind() == Operation.Kind.INCR && !isLong(op.value())) {
      return "incr delta " + OperationText.quote(op.value()) + " is not a signed 64-bit integer";
    }
    if (op.outcome() != Operation.Outcome.UNKNOWN && op.completeNanos() < op.invokeNanos()) {
      return "completes (" + op.completeNanos() + ") before it is invoked (" + op.invokeNanos() + ")";
    }
    return op.outcome() == Operation.Outcome.OK ? answerProblem(op, kind) : null;
  }

  /** An OK operation's error and output must be ones the state machine can give. */
  private static String answerProblem(Operation op, String kind) {
    String error = op.error();
    boolean casMismatch = op.kind() == Operation.Kind.CAS && ErrorCode.CAS_MISMATCH.code().equals(error);
    boolean incrError =
        op.kind() == Operation.Kind.INCR && error != null && INCR_ERRORS.contains(error);
    if (error != null && !casMismatch && !incrError) {
      return "ok " + kind + " with error " + OperationText.quote(error) + ", which it cannot give";
    }
    boolean readsOrCounts =
        op.kind() == Operation.Kind.GET || casMismatch || (op.kind() == Operation.Kind.INCR && error == null);
    if (!readsOrCounts && op.output() != null) {
      return "ok " + kind + (error == null ? "" : " " + error) + " with an output";
    }
    if (op.kind() == Operation.Kind.INCR && error == null && !isLong(op.output())) {
      return "ok incr whose output " + OperationText.quote(op.output()) + " is not a number";
    }
    return null;
  }

  private static boolean isLong(String s) {
    if (s == null) {
      return false;
    }
    try {
      Long.parseLong(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
