package raftkv.storage;

/**
 * Where the replicated state machine keeps its data: two ordered key spaces of bytes (the clients'
 * keys and values, and the records of the client session table) and the index of the last log
 * entry applied to them. The state machine's logic ({@code raftkv.kv.KvStateMachine}) is the same
 * over {@link InMemoryStateStore} (tests, the simulation) and the RocksDB one ({@link
 * RocksDbStorage#stateStore()}); {@code StateStoreContractTest} holds both to this contract.
 *
 * <h2>Writes: one atomic batch per applied batch</h2>
 *
 * Nothing changes but through {@link #write}: every put and delete of a {@link Batch}, and the new
 * applied index, become visible together, and after a crash either all of them are there or none.
 * The write is not synced: it becomes durable with the next sync of the log (the same write-ahead
 * log, {@link RaftLog#sync()}). Losing it in a power failure is safe because the state it held is
 * a function of the log: the store is then at an earlier applied index, consistently, and the log,
 * whose committed entries were synced before they could commit, replays the rest.
 *
 * <h2>Reads</h2>
 *
 * Point reads ({@link #get}) and ordered iteration from a key ({@link #scan}), in unsigned
 * lexicographic order of the key bytes (RocksDB's default; for UTF-8 text, code point order). A
 * {@link Cursor} sees the store as it was when it was opened, whatever is written afterwards: the
 * consistent view that scans and snapshots need.
 *
 * <p>One writer (the state machine's actor). Keys are at least one byte long.
 */
public interface StateStore {

  /** The two key spaces. */
  enum Space {
    /** The clients' keys and their values. */
    KEYS,
    /** The client session table's records, as {@code raftkv.kv.SessionRecords} encodes them. */
    SESSIONS,
    /**
     * An incoming snapshot, staged until it is installed (see {@link #installStaged}): each entry
     * of the snapshot under {@link #stagedKey}, and the install marker under {@link
     * #INSTALL_MARKER}. Invisible to the state machine.
     */
    INCOMING
  }

  /**
   * The key in {@link Space#INCOMING} that marks a staged snapshot as complete and verified, with
   * the index it brings the state to (8 bytes): written together with the log's reset, it tells a
   * restarted node to finish the install (staged keys start with byte 0 or 1, never 0x7F).
   */
  byte[] INSTALL_MARKER = {0x7F, 'i', 'n', 's', 't', 'a', 'l', 'l'};

  /** Where an entry of {@code space} (KEYS or SESSIONS) is staged in {@link Space#INCOMING}. */
  static byte[] stagedKey(Space space, byte[] key) {
    if (space == Space.INCOMING) {
      throw new IllegalArgumentException("a snapshot holds KEYS and SESSIONS only");
    }
    byte[] staged = new byte[key.length + 1];
    staged[0] = (byte) space.ordinal();
    System.arraycopy(key, 0, staged, 1, key.length);
    return staged;
  }

  /** About how many bytes the keys, values and session records take (for status). */
  long approximateBytes();

  /** The index of the last log entry the stored state includes; 0 for none. */
  long appliedIndex();

  /** The value stored under {@code key} in {@code space}, or null. */
  byte[] get(Space space, byte[] key);

  /** The entries of {@code space} from {@code from} on (inclusive), in key order. Close it. */
  Cursor scan(Space space, byte[] from);

  /** A new, empty batch, to fill and hand to {@link #write}; close it afterwards. */
  Batch newBatch();

  /**
   * Writes every change of {@code batch} and {@code appliedIndex} atomically (see the class
   * comment), without a sync.
   *
   * @throws IllegalArgumentException if {@code appliedIndex} is below {@link #appliedIndex()}
   * @throws StorageException if the store cannot write
   */
  void write(Batch batch, long appliedIndex);

  /**
   * Writes {@code batch}, changes of {@link Space#INCOMING} only, atomically and without a sync,
   * leaving the applied index as it is: an incoming snapshot being staged by the node while the
   * state machine goes on applying.
   */
  void stage(Batch batch);

  /**
   * The index a staged snapshot is marked to be installed at ({@link #INSTALL_MARKER}), or -1: a
   * node that finds one at start finishes the install ({@link #installStaged}) before anything.
   */
  long pendingInstall();

  /**
   * Installs the staged snapshot marked by {@link #INSTALL_MARKER}: KEYS and SESSIONS become what
   * was staged, the applied index the marker's, and INCOMING empties; nothing when no marker is
   * there. A crash in the middle leaves the marker and the staged snapshot in place, so doing it
   * again at the next start completes it: the state machine never sees a mix of old and new.
   *
   * @return the new applied index, or -1 when no install was pending
   */
  long installStaged();

  /** Deletes everything staged (an abandoned transfer), the marker included. */
  void clearStaged();

  /**
   * A consistent view of the whole store as it is now: its applied index and its data at that
   * index, whatever is written afterwards (what a snapshot sent to a follower reads). Close it.
   */
  View view();

  /** A frozen view of the store, see {@link #view()}. */
  interface View extends AutoCloseable {
    long appliedIndex();

    /** As {@link StateStore#scan}, in the view. */
    Cursor scan(Space space, byte[] from);

    @Override
    void close();
  }

  /** Changes to write together. Later changes to a key replace earlier ones in the same batch. */
  interface Batch extends AutoCloseable {
    void put(Space space, byte[] key, byte[] value);

    void delete(Space space, byte[] key);

    /** How many puts and deletes the batch holds. */
    int size();

    @Override
    void close();
  }

  /** A position in a key space: valid while it points at an entry. */
  interface Cursor extends AutoCloseable {
    boolean valid();

    /** @throws java.util.NoSuchElementException unless {@link #valid()} */
    byte[] key();

    /** @throws java.util.NoSuchElementException unless {@link #valid()} */
    byte[] value();

    void next();

    @Override
    void close();
  }
}
