package raftkv.storage;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * The in-memory twin of the RocksDB state store: a {@link TreeMap} per key space, ordered as
 * RocksDB orders keys (unsigned bytes), and the applied index. For tests and the simulation, where
 * one object outliving a node's actors stands for its disk. A subclass that models a disk (the
 * simulation's) sees every write through {@link #written} and can put an earlier state back.
 */
public class InMemoryStateStore implements StateStore {

  /** One put (value not null) or delete (value null). */
  public record Change(Space space, byte[] key, byte[] value) {}

  private final Map<Space, TreeMap<byte[], byte[]>> spaces = new EnumMap<>(Space.class);
  private long appliedIndex;

  public InMemoryStateStore() {
    for (Space s : Space.values()) {
      spaces.put(s, new TreeMap<>(Arrays::compareUnsigned));
    }
  }

  @Override
  public synchronized long approximateBytes() {
    long bytes = 0;
    for (Space s : List.of(Space.KEYS, Space.SESSIONS)) {
      for (Map.Entry<byte[], byte[]> e : spaces.get(s).entrySet()) {
        bytes += e.getKey().length + e.getValue().length;
      }
    }
    return bytes;
  }

  @Override
  public synchronized long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public synchronized byte[] get(Space space, byte[] key) {
    byte[] value = spaces.get(space).get(key);
    return value == null ? null : value.clone();
  }

  /** A copy of the entries from {@code from} on, taken now: later writes do not show. */
  @Override
  public synchronized Cursor scan(Space space, byte[] from) {
    List<Map.Entry<byte[], byte[]>> copy = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : spaces.get(space).tailMap(from, true).entrySet()) {
      copy.add(Map.entry(e.getKey().clone(), e.getValue().clone()));
    }
    return new ListCursor(copy.iterator());
  }

  @Override
  public Batch newBatch() {
    return new MemoryBatch();
  }

  @Override
  public synchronized void write(Batch batch, long appliedIndex) {
    if (appliedIndex < this.appliedIndex) {
      throw new IllegalArgumentException(
          "applied index " + appliedIndex + " below the stored " + this.appliedIndex);
    }
    List<Change> changes = List.copyOf(((MemoryBatch) batch).changes);
    apply(changes, appliedIndex);
    written(changes, appliedIndex);
  }

  @Override
  public synchronized void stage(Batch batch) {
    List<Change> changes = List.copyOf(((MemoryBatch) batch).changes);
    for (Change c : changes) {
      if (c.space() != Space.INCOMING) {
        throw new IllegalArgumentException("staging writes INCOMING only, not " + c.space());
      }
    }
    apply(changes, appliedIndex);
    written(changes, appliedIndex);
  }

  @Override
  public synchronized long pendingInstall() {
    byte[] marker = spaces.get(Space.INCOMING).get(INSTALL_MARKER);
    return marker == null ? -1 : ByteBuffer.wrap(marker).getLong();
  }

  @Override
  public synchronized long installStaged() {
    long index = pendingInstall();
    if (index < 0) {
      return -1;
    }
    List<Change> changes = new ArrayList<>();
    for (Space s : List.of(Space.KEYS, Space.SESSIONS)) {
      spaces.get(s).keySet().forEach(k -> changes.add(new Change(s, k, null)));
    }
    for (Map.Entry<byte[], byte[]> e : spaces.get(Space.INCOMING).entrySet()) {
      byte[] k = e.getKey();
      if (k[0] == Space.KEYS.ordinal() || k[0] == Space.SESSIONS.ordinal()) {
        changes.add(new Change(Space.values()[k[0]], Arrays.copyOfRange(k, 1, k.length), e.getValue()));
      }
      changes.add(new Change(Space.INCOMING, k, null));
    }
    // One write, as everything else here: a disk model keeps or loses it whole.
    apply(changes, index);
    written(changes, index);
    return index;
  }

  @Override
  public synchronized void clearStaged() {
    List<Change> changes = new ArrayList<>();
    spaces.get(Space.INCOMING).keySet().forEach(k -> changes.add(new Change(Space.INCOMING, k, null)));
    if (!changes.isEmpty()) {
      apply(changes, appliedIndex);
      written(changes, appliedIndex);
    }
  }

  @Override
  public View view() {
    InMemoryStateStore frozen = copy();
    return new View() {
      @Override
      public long appliedIndex() {
        return frozen.appliedIndex();
      }

      @Override
      public Cursor scan(Space space, byte[] from) {
        return frozen.scan(space, from);
      }

      @Override
      public void close() {}
    };
  }

  /** Called after every {@link #write}, with what it changed. */
  protected void written(List<Change> changes, long appliedIndex) {}

  /** Applies {@code changes} and sets the applied index, as one write. */
  protected final synchronized void apply(List<Change> changes, long appliedIndex) {
    for (Change c : changes) {
      if (c.value() == null) {
        spaces.get(c.space()).remove(c.key());
      } else {
        spaces.get(c.space()).put(c.key(), c.value());
      }
    }
    this.appliedIndex = appliedIndex;
  }

  /** Makes this store hold exactly what {@code other} holds (a disk back at its durable state). */
  protected final void restore(InMemoryStateStore other) {
    InMemoryStateStore from = other.copy();
    synchronized (this) {
      spaces.putAll(from.spaces);
      appliedIndex = from.appliedIndex;
    }
  }

  /** An independent copy of the whole store. */
  public synchronized InMemoryStateStore copy() {
    InMemoryStateStore c = new InMemoryStateStore();
    for (Space s : Space.values()) {
      c.spaces.get(s).putAll(spaces.get(s));
    }
    c.appliedIndex = appliedIndex;
    return c;
  }

  /** How many entries {@code space} holds. */
  public synchronized int size(Space space) {
    return spaces.get(space).size();
  }

  private static final class MemoryBatch implements Batch {
    private final List<Change> changes = new ArrayList<>();

    @Override
    public void put(Space space, byte[] key, byte[] value) {
      changes.add(new Change(space, key.clone(), value.clone()));
    }

    @Override
    public void delete(Space space, byte[] key) {
      changes.add(new Change(space, key.clone(), null));
    }

    @Override
    public int size() {
      return changes.size();
    }

    @Override
    public void close() {}
  }

  private static final class ListCursor implements Cursor {
    private final Iterator<Map.Entry<byte[], byte[]>> it;
    private Map.Entry<byte[], byte[]> current;

    ListCursor(Iterator<Map.Entry<byte[], byte[]>> it) {
      this.it = it;
      next();
    }

    @Override
    public boolean valid() {
      return current != null;
    }

    @Override
    public byte[] key() {
      return entry().getKey();
    }

    @Override
    public byte[] value() {
      return entry().getValue();
    }

    private Map.Entry<byte[], byte[]> entry() {
      if (current == null) {
        throw new NoSuchElementException("the cursor is past the last entry");
      }
      return current;
    }

    @Override
    public void next() {
      current = it.hasNext() ? it.next() : null;
    }

    @Override
    public void close() {}
  }
}
