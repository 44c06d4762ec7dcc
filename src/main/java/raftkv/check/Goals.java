package raftkv.check;

import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import raftkv.api.ErrorCode;
import raftkv.kv.KvStateMachine;

/**
 * An over-approximation of the states worth reaching in one key's search: those that an OK
 * operation whose answer counts accepts (a get of the value, a cas expecting it or reporting it, an
 * incr counting from it), and, backwards, those that an UNKNOWN (or unanswered) cas or incr turns
 * into one. A state outside the set is only ever overwritten unseen.
 */
final class Goals {

  private final Set<String> values = new HashSet<>();
  private boolean anyNumber;
  private boolean anyNonNumber;

  /**
   * @param ok the OK operations; those in {@code answerIgnored} (by index) take effect but answer
   *     nothing that counts
   * @param unknown the UNKNOWN cas and incr operations
   */
  Goals(List<Operation> ok, BitSet answerIgnored, List<Operation> unknown) {
    for (int i = 0; i < ok.size(); i++) {
      if (!answerIgnored.get(i)) {
        accept(ok.get(i));
      }
    }
    boolean changed = true;
    while (changed) {
      changed = false;
      for (int i = 0; i < ok.size(); i++) {
        if (answerIgnored.get(i)) {
          changed |= leadsBack(ok.get(i));
        }
      }
      for (Operation op : unknown) {
        changed |= leadsBack(op);
      }
    }
  }

  boolean useful(String state) {
    if (values.contains(state)) {
      return true;
    }
    if (state == null) {
      return false;
    }
    return KvStateMachine.parseLong(state).isPresent() ? anyNumber : anyNonNumber;
  }

  private void accept(Operation op) {
    switch (op.kind()) {
      case GET:
        values.add(op.output());
        break;
      case CAS:
        values.add(ErrorCode.CAS_MISMATCH.code().equals(op.error()) ? op.output() : op.expected());
        break;
      case INCR:
        if (ErrorCode.NOT_A_NUMBER.code().equals(op.error())) {
          anyNonNumber = true;
        } else {
          anyNumber = true;
          values.add(null); // absent counts as 0
        }
        break;
      default:
        break; // put and delete accept any state
    }
  }

  /** Adds the states from which {@code op} (a cas or incr that may run) reaches a useful one. */
  private boolean leadsBack(Operation op) {
    if (op.kind() == Operation.Kind.CAS) {
      return useful(op.value()) && values.add(op.expected());
    }
    if (op.kind() == Operation.Kind.INCR && !anyNumber && anyUsefulNumber()) {
      anyNumber = true;
      values.add(null);
      return true;
    }
    return false;
  }

  private boolean anyUsefulNumber() {
    if (anyNumber) {
      return true;
    }
    for (String v : values) {
      if (v != null && KvStateMachine.parseLong(v).isPresent()) {
        return true;
      }
    }
    return false;
  }
}
