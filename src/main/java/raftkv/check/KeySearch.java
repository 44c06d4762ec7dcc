package raftkv.check;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * <p>A configuration (OK operations linearized, UNKNOWN operations linearized, state) already
 * explored is not explored again, nor is one that differs from an explored one only by having
 * linearized more UNKNOWN operations: it has fewer choices left, so it cannot succeed where the
 * explored one failed.
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

  /** A linearized operation and the state before it. */
  private record Frame(Entry entry, String before) {}

  /** The part of a configuration the memo hashes; the UNKNOWN set is compared by inclusion. */
  private record Key(BitSet ok, String state) {}

  private final List<Operation> ok = new ArrayList<>();
  private final List<Operation> unknown = new ArrayList<>();
  private final Entry okHead = new Entry(-1, false, false, Long.MIN_VALUE);
  private final Entry unknownHead = new Entry(-1, false, true, Long.MIN_VALUE);
  private final BitSet okDone = new BitSet();
  private final BitSet unknownDone = new BitSet();
  private final Map<Key, List<long[]>> explored = new HashMap<>();
  private final Budget budget;
  private long states;

  private KeySearch(List<Operation> ops, Budget budget) {
    this.budget = budget;
    for (Operation op : ops) {
      if (op.outcome() == Operation.Outcome.OK) {
        ok.add(op);
      } else if (op.outcome() == Operation.Outcome.UNKNOWN && op.kind() != Operation.Kind.GET) {
        unknown.add(op);
      }
    }
    buildOkList();
    buildUnknownList();
  }

  /** Searches {@code ops}, all of one key, within {@code budget}. */
  static Result check(List<Operation> ops, Budget budget) {
    KeySearch search = new KeySearch(ops, budget);
    Verdict verdict = search.run();
    return new Result(verdict, search.states);
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

  private Verdict run() {
    Deque<Frame> stack = new ArrayDeque<>();
    String state = null;
    int okLeft = ok.size();
    Entry entry = okHead.next;
    long lastReturn = Long.MIN_VALUE; // while scanning UNKNOWN calls: the first return left
    long steps = 0;
    while (okLeft > 0) {
      if (states > budget.maxStates() || (++steps % 1024 == 0 && budget.pastDeadline())) {
        return Verdict.UNDECIDED;
      }
      if (entry != null && !entry.unknown && !entry.call) {
        // The first return left: OK calls after it must wait; UNKNOWN calls up to it may go.
        lastReturn = entry.time;
        entry = unknownHead.next;
        continue;
      }
      boolean candidate = entry != null && (!entry.unknown || entry.time <= lastReturn);
      if (candidate) {
        Object next = KvModel.step(state, operation(entry));
        if (next != KvModel.ILLEGAL && firstVisit(entry, (String) next)) {
          stack.push(new Frame(entry, state));
          state = (String) next;
          lift(entry);
          if (!entry.unknown) {
            okLeft--;
          }
          entry = okHead.next;
        } else {
          entry = entry.next;
        }
        continue;
      }
      if (stack.isEmpty()) {
        return Verdict.NOT_LINEARIZABLE;
      }
      Frame top = stack.pop();
      state = top.before();
      unlift(top.entry());
      if (!top.entry().unknown) {
        okLeft++;
      } else {
        lastReturn = firstReturn().time;
      }
      entry = top.entry().next;
    }
    return Verdict.LINEARIZABLE;
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

  private Entry firstReturn() {
    Entry e = okHead.next;
    while (e.call) {
      e = e.next;
    }
    return e;
  }

  private static void lift(Entry call) {
    remove(call);
    if (call.match != null) {
      remove(call.match);
    }
  }

  private void unlift(Entry call) {
    if (call.match != null) {
      reinsert(call.match);
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
