package raftkv.raft.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An immutable sequence that grows at its end in constant time, for state records that gain one
 * element per step (a leader's proposals waiting for the next flush): copying a list there would
 * cost time in the number already waiting, on every step.
 */
final class Chain<T> {
  private static final Chain<?> EMPTY = new Chain<>(null, null, 0);

  private final T last;
  private final Chain<T> before;
  private final int size;

  private Chain(T last, Chain<T> before, int size) {
    this.last = last;
    this.before = before;
    this.size = size;
  }

  @SuppressWarnings("unchecked")
  static <T> Chain<T> empty() {
    return (Chain<T>) EMPTY;
  }

  /** This sequence with {@code element} after its last one. */
  Chain<T> add(T element) {
    return new Chain<>(element, this, size + 1);
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** The elements, first added first, as an unmodifiable list. */
  List<T> toList() {
    List<T> out = new ArrayList<>(size);
    for (Chain<T> c = this; c.size > 0; c = c.before) {
      out.add(c.last);
    }
    Collections.reverse(out);
    return Collections.unmodifiableList(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Chain<?> c && c.size == size && c.toList().equals(toList());
  }

  @Override
  public int hashCode() {
    return toList().hashCode();
  }

  @Override
  public String toString() {
    return toList().toString();
  }
}
