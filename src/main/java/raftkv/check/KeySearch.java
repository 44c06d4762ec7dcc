package raftkv.check;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether one key's operations are linearizable: the Wing–Gong search with Lowe's
 * just-in-time linearization and memo, as Porcupine and Knossos run it.
 *
 * <p>The completed ({@link Operation.Outcome#OK OK}) operations sit in a list of call and return
 * entries ordered by time; at any point, an operation may be linearized next if its call comes
 * before the first return still in the list (so every operation that finished before it was invoked
 * is already linearized). Equal times count as concurrent. An {@link Operation.Outcome#UNKNOWN
 * UNKNOWN} operation has no return: it may be linearized once invoked, at any later point, or never;
 * the search succeeds when every OK operation is linearized. {@link Operation.Outcome#FAIL FAIL}
 * operations, and UNKNOWN reads, change nothing and are ignored.
 *
 * <p>For the explanation of a violation, OK operations may also be given with their answers
 * ignored: they still take effect between invocation and completion, whatever they answered.
 *
 * <p>Two prunings keep histories with many UNKNOWN writes tractable, both without losing a
 * linearization:
 *
 * <ul>
 *   <li>An UNKNOWN put or delete is only tried right before an operation whose answer or effect it
 *       changes (its "enabler"). In any linearization, such a write followed by another put or
 *       delete, or by nothing, can be dropped, as its effect is never seen. Nor is it tried before
 *       a read (a get, or an answer that changed nothing) that the state already explains: the
 *       write could as well come right after the read. Of the UNKNOWN writes of one value that may
 *       go now, only one is tried: they are interchangeable from here on. The same goes for
 *       identical UNKNOWN cas and incr operations.
 *   <li>An UNKNOWN cas or incr is only tried if the state it leaves is {@link Goals useful}: one
 *       that an operation whose answer counts could accept, directly or after further cas and incr
 *       operations. Otherwise dropping it changes nothing that is checked.
 *   <li>A configuration (OK operations linearized, UNKNOWN operations linearized, state) is not
 *       explored again, nor is one that differs from an explored one only by having linearized more
 *       UNKNOWN operations: it has fewer choices left, so it cannot succeed where that one failed.
 * </ul>
 */
final class KeySearch {

  /** The verdict and how many configurations the search explored. */
  record Result(Verdict verdict, long states) {}

  /** An entry of the doubly linked lists; removed and reinserted in LIFO order. */
  private static final class Entry {
    final int index; // into ok or unknown
    final boolean call;
    final boolean unknown;
    final long time;
    Entry match; // a call's return and a return's call; null for an UNKNOWN call
    Entry prev;
    Entry next;

    Entry(int index, boolean call, boolean unknown, long time) {
      this.index = index;
      this.call = call;
      this.unknown = unknown;
      this.time = time;
    }
  }

  /**
   * A step taken: the operation linearized, which of its enablers' values went just before it (-1:
   * none), the enabler that wrote it, and the state before both.
   */
  private record Frame(Entry entry, int choice, int enabler, String before) {}

  /** The part of a configuration the memo hashes; the UNKNOWN set is compared by inclusion. */
  private record Key(BitSet ok, String state) {}

  private final List<Operation> ok = new ArrayList<>();
  /** Per OK operation: its answer is ignored. */
  private final BitSet answerIgnored = new BitSet();
  /** UNKNOWN cas and incr: linearized as steps of their own. */
  private final List<Operation> unknown = new ArrayList<>();
  /** Per UNKNOWN cas or incr, the ones identical to it (same kind and arguments), by invocation. */
  private final int[][] twins;
  private final Goals goals;
  /** UNKNOWN put and delete: linearized only just before an operation they enable. */
  private final List<Operation> blind = new ArrayList<>();
  /** Per operation, per value that enables it, the UNKNOWN writes of it (indexes into blind). */
  private final int[][][] okEnablers;
  private final int[][][] unknownEnablers;
  private final Entry okHead = new Entry(-1, false, false, Long.MIN_VALUE);
  private final Entry unknownHead = new Entry(-1, false, true, Long.MIN_VALUE);
  private final BitSet okDone = new BitSet();
  /** UNKNOWN operations linearized: {@code unknown} by index, then {@code blind} after them. */
  private final BitSet unknownDone = new BitSet();
  private final Map<Key, List<long[]>> explored = new HashMap<>();
  private final Budget budget;
  private long states;
  /** The first return left in the OK list; null when not known. */
  private Entry firstReturn;
  /** The state a successful {@link #tryStep} leads to, and the enabler it used (-1: none). */
  private String stateAfter;
  private int enablerUsed;

  private KeySearch(List<Operation> ops, Set<Operation> ignoreAnswers, Budget budget) {
    this.budget = budget;
    for (Operation op : ops) {
      if (op.outcome() == Operation.Outcome.OK) {
        boolean ignored = ignoreAnswers.contains(op);
        if (ignored && op.kind() == Operation.Kind.GET) {
          continue; // a read whose answer does not count changes nothing
        }
        answerIgnored.set(ok.size(), ignored);
        ok.add(op);
      } else if (op.outcome() == Operation.Outcome.UNKNOWN) {
        switch (op.kind()) {
          case PUT:
          case DELETE:
            blind.add(op);
            break;
          case GET:
            break; // an unanswered read changes nothing
          default:
            unknown.add(op);
        }
      }
    }
    okEnablers = enablers(ok, answerIgnored);
    unknownEnablers = enablers(unknown, new BitSet());
    twins = twins();
    goals = new Goals(ok, answerIgnored, unknown);
    buildOkList();
    buildUnknownList();
  }

  /** Searches {@code ops}, all of one key, within {@code budget}. */
  static Result check(List<Operation> ops, Budget budget) {
    return check(ops, Set.of(), budget);
  }

  /** Searches {@code ops}, all of one key, ignoring the answers of the OK ones in {@code ignoreAnswers}. */
  static Result check(List<Operation> ops, Set<Operation> ignoreAnswers, Budget budget) {
    KeySearch search = new KeySearch(ops, ignoreAnswers, budget);
    Verdict verdict = search.run();
    return new Result(verdict, search.states);
  }

  /**
   * For each operation, the UNKNOWN puts and deletes that make it legal (an OK one whose answer
   * counts) or effective (an UNKNOWN one, or one whose answer does not count, that changes the
   * state), grouped by value, each group in invocation order.
   */
  private int[][][] enablers(List<Operation> ops, BitSet unanswered) {
    Map<String, List<Integer>> byValue = new HashMap<>();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < blind.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingLong(i -> blind.get(i).invokeNanos()));
    for (int i : order) {
      byValue.computeIfAbsent(written(blind.get(i)), v -> new ArrayList<>()).add(i);
    }
    int[][][] enablers = new int[ops.size()][][];
    for (int i = 0; i < ops.size(); i++) {
      Operation op = ops.get(i);
      List<int[]> found = new ArrayList<>();
      if (op.kind() != Operation.Kind.PUT && op.kind() != Operation.Kind.DELETE) {
        for (Map.Entry<String, List<Integer>> e : byValue.entrySet()) {
          boolean enabled =
              op.outcome() == Operation.Outcome.OK && !unanswered.get(i)
                  ? KvModel.step(e.getKey(), op) != KvModel.ILLEGAL
                  : !Objects.equals(KvModel.effect(e.getKey(), op), e.getKey());
          if (enabled) {
            found.add(e.getValue().stream().mapToInt(Integer::intValue).toArray());
          }
        }
      }
      enablers[i] = found.toArray(new int[0][]);
    }
    return enablers;
  }

  private int[][] twins() {
    Map<List<Object>, List<Integer>> groups = new HashMap<>();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < unknown.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingLong(i -> unknown.get(i).invokeNanos()));
    for (int i : order) {
      Operation op = unknown.get(i);
      groups.computeIfAbsent(Arrays.asList(op.kind(), op.value(), op.expected()), k -> new ArrayList<>()).add(i);
    }
    int[][] twins = new int[unknown.size()][];
    for (List<Integer> group : groups.values()) {
      int[] members = group.stream().mapToInt(Integer::intValue).toArray();
      for (int i : members) {
        twins[i] = members;
      }
    }
    return twins;
  }

  /**
   * Whether an identical UNKNOWN operation invoked earlier is still to be linearized: then that one
   * goes first, as identical operations that may both go now are interchangeable from here on.
   */
  private boolean earlierTwinWaiting(Entry e) {
    for (int twin : twins[e.index]) {
      if (twin == e.index) {
        return false;
      }
      if (!unknownDone.get(twin)) {
        return true;
      }
    }
    return false;
  }

  /** The value an UNKNOWN put or delete leaves. */
  private static String written(Operation op) {
    return op.kind() == Operation.Kind.PUT ? op.value() : null;
  }

  private void buildOkList() {
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < ok.size(); i++) {
      Operation op = ok.get(i);
      Entry call = new Entry(i, true, false, op.invokeNanos());
      Entry ret = new Entry(i, false, false, op.completeNanos());
      call.match = ret;
      ret.match = call;
      entries.add(call);
      entries.add(ret);
    }
    // calls before returns at equal times: operations that touch count as concurrent
    entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.call));
    link(okHead, entries);
  }

  private void buildUnknownList() {
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < unknown.size(); i++) {
      entries.add(new Entry(i, true, true, unknown.get(i).invokeNanos()));
    }
    entries.sort(Comparator.comparingLong(e -> e.time));
    link(unknownHead, entries);
  }

  private static void link(Entry head, List<Entry> entries) {
    Entry last = head;
    for (Entry e : entries) {
      last.next = e;
      e.prev = last;
      last = e;
    }
  }

  /**
   * The depth-first search. The cursor is an entry and a choice: -1 to linearize the entry's
   * operation alone, i to linearize a write of its i-th enabling value just before it. OK calls are tried first, up to
   * the first return; then UNKNOWN calls invoked by that return.
   */
  private Verdict run() {
    Deque<Frame> stack = new ArrayDeque<>();
    String state = null;
    int okLeft = ok.size();
    Entry entry = okHead.next;
    int choice = -1;
    long steps = 0;
    while (okLeft > 0) {
      if (states > budget.maxStates() || (++steps % 1024 == 0 && budget.pastDeadline())) {
        return Verdict.UNDECIDED;
      }
      if (entry != null && !entry.unknown && !entry.call) {
        entry = unknownHead.next; // OK calls after the first return must wait
        choice = -1;
        continue;
      }
      if (entry != null && (!entry.unknown || entry.time <= firstReturn().time)) {
        int[][] enablers = enablers(entry);
        if (choice >= enablers.length
            || (choice == -1 && entry.unknown && earlierTwinWaiting(entry))
            || (choice == 0 && readExplained(entry, state))) {
          entry = entry.next;
          choice = -1;
        } else if (tryStep(entry, choice, enablers, state)) {
          stack.push(new Frame(entry, choice, enablerUsed, state));
          state = stateAfter;
          lift(entry);
          if (!entry.unknown) {
            okLeft--;
          }
          entry = okHead.next;
          choice = -1;
        } else {
          choice++;
        }
        continue;
      }
      if (stack.isEmpty()) {
        return Verdict.NOT_LINEARIZABLE;
      }
      Frame top = stack.pop();
      state = top.before();
      unlift(top.entry());
      if (top.enabler() >= 0) {
        unknownDone.clear(top.enabler());
      }
      if (!top.entry().unknown) {
        okLeft++;
      }
      entry = top.entry();
      choice = top.choice() + 1;
    }
    return Verdict.LINEARIZABLE;
  }

  private int[][] enablers(Entry e) {
    return e.unknown ? unknownEnablers[e.index] : okEnablers[e.index];
  }

  /** An OK operation that leaves the state as it is and is legal in it needs no enabler. */
  private boolean readExplained(Entry e, String state) {
    if (e.unknown || answerIgnored.get(e.index)) {
      return false;
    }
    Operation op = operation(e);
    boolean read = op.kind() == Operation.Kind.GET || op.error() != null;
    return read && KvModel.step(state, op) != KvModel.ILLEGAL;
  }

  /** The state after {@code e}'s operation in {@code state}, or {@link KvModel#ILLEGAL}. */
  private Object step(Entry e, String state) {
    Operation op = operation(e);
    return !e.unknown && answerIgnored.get(e.index) ? KvModel.effect(state, op) : KvModel.step(state, op);
  }

  /**
   * Tries to linearize {@code entry}'s operation in {@code state}, after a write of its enabling
   * value number {@code choice} if that is not -1; true (with {@link #stateAfter} and {@link
   * #enablerUsed} set and the operations marked) if the step is legal and leads to a configuration
   * not explored before.
   */
  private boolean tryStep(Entry entry, int choice, int[][] enablers, String state) {
    String from = state;
    int enabler = -1;
    if (choice >= 0) {
      int write = firstAvailable(enablers[choice]);
      if (write < 0 || Objects.equals(written(blind.get(write)), state)) {
        return false; // none may go now, or it would change nothing
      }
      enabler = unknown.size() + write;
      from = written(blind.get(write));
    }
    Object next = step(entry, from);
    if (next == KvModel.ILLEGAL
        || (entry.unknown && (Objects.equals(next, from) || !goals.useful((String) next)))) {
      return false;
    }
    if (enabler >= 0) {
      unknownDone.set(enabler);
    }
    if (!firstVisit(entry, (String) next)) {
      if (enabler >= 0) {
        unknownDone.clear(enabler);
      }
      return false;
    }
    stateAfter = (String) next;
    enablerUsed = enabler;
    return true;
  }

  /** The first of {@code writes} not yet linearized and invoked by the first return left, or -1. */
  private int firstAvailable(int[] writes) {
    for (int w : writes) {
      if (blind.get(w).invokeNanos() > firstReturn().time) {
        return -1; // in invocation order: the rest are later still
      }
      if (!unknownDone.get(unknown.size() + w)) {
        return w;
      }
    }
    return -1;
  }

  private Operation operation(Entry e) {
    return e.unknown ? unknown.get(e.index) : ok.get(e.index);
  }

  private BitSet done(Entry e) {
    return e.unknown ? unknownDone : okDone;
  }

  /**
   * Marks {@code e} linearized, leading to {@code state}; false (and unmarked) if that configuration,
   * or one it cannot do better than, was explored before.
   */
  private boolean firstVisit(Entry e, String state) {
    done(e).set(e.index);
    Key key = new Key(okDone, state);
    List<long[]> seen = explored.get(key);
    long[] u = unknownDone.toLongArray();
    if (seen != null) {
      for (long[] s : seen) {
        if (subset(s, u)) {
          done(e).clear(e.index);
          return false;
        }
      }
      seen.removeIf(s -> subset(u, s));
    } else {
      seen = new ArrayList<>(1);
      explored.put(new Key((BitSet) okDone.clone(), state), seen);
    }
    seen.add(u);
    states++;
    return true;
  }

  private static boolean subset(long[] a, long[] b) {
    if (a.length > b.length) {
      return false; // toLongArray drops trailing zero words, so a has a bit b lacks
    }
    for (int i = 0; i < a.length; i++) {
      if ((a[i] & ~b[i]) != 0) {
        return false;
      }
    }
    return true;
  }

  /** The first return left in the OK list (there is one while an OK operation is left). */
  private Entry firstReturn() {
    if (firstReturn == null) {
      Entry e = okHead.next;
      while (e.call) {
        e = e.next;
      }
      firstReturn = e;
    }
    return firstReturn;
  }

  private void lift(Entry call) {
    remove(call);
    if (call.match != null) {
      remove(call.match);
      firstReturn = null;
    }
  }

  private void unlift(Entry call) {
    if (call.match != null) {
      reinsert(call.match);
      firstReturn = null;
    }
    reinsert(call);
    done(call).clear(call.index);
  }

  private static void remove(Entry e) {
    e.prev.next = e.next;
    if (e.next != null) {
      e.next.prev = e.prev;
    }
  }

  private static void reinsert(Entry e) {
    e.prev.next = e;
    if (e.next != null) {
      e.next.prev = e;
    }
  }
}
