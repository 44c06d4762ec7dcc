package raftkv.storage;

import static raftkv.storage.StoreFormat.APPLIED_INDEX_KEY;
import static raftkv.storage.StoreFormat.COMMIT_HINT_KEY;
import static raftkv.storage.StoreFormat.FIRST_INDEX_KEY;
import static raftkv.storage.StoreFormat.FORMAT;
import static raftkv.storage.StoreFormat.FORMAT_1;
import static raftkv.storage.StoreFormat.INCOMING_CF;
import static raftkv.storage.StoreFormat.FORMAT_KEY;
import static raftkv.storage.StoreFormat.KV_CF;
import static raftkv.storage.StoreFormat.LOG_CF;
import static raftkv.storage.StoreFormat.META_CF;
import static raftkv.storage.StoreFormat.NODE_ID_KEY;
import static raftkv.storage.StoreFormat.PREV_TERM_KEY;
import static raftkv.storage.StoreFormat.SESSIONS_CF;
import static raftkv.storage.StoreFormat.TERM_KEY;
import static raftkv.storage.StoreFormat.VOTED_FOR_KEY;
import static raftkv.storage.StoreFormat.checkState;
import static raftkv.storage.StoreFormat.corrupt;
import static raftkv.storage.StoreFormat.decode;
import static raftkv.storage.StoreFormat.describe;
import static raftkv.storage.StoreFormat.encode;
import static raftkv.storage.StoreFormat.indexKey;
import static raftkv.storage.StoreFormat.indexOf;
import static raftkv.storage.StoreFormat.intBytes;
import static raftkv.storage.StoreFormat.isCorruption;
import static raftkv.storage.StoreFormat.isMissingOrEmpty;
import static raftkv.storage.StoreFormat.lastIndexOnDisk;
import static raftkv.storage.StoreFormat.longBytes;
import static raftkv.storage.StoreFormat.notOurs;
import static raftkv.storage.StoreFormat.openFailed;
import static raftkv.storage.StoreFormat.readMeta;
import static raftkv.storage.StoreFormat.scanLog;
import static raftkv.storage.StoreFormat.utf8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.common.Endpoint;
import raftkv.storage.StoreDb.Mode;
import raftkv.storage.StoreFormat.Meta;

/**
 * {@link RaftStorage} on one RocksDB instance in a data directory, in the layout that {@link
 * StoreFormat} describes and checks: the log, the term and vote, and the state machine's data
 * ({@link #stateStore()}), so that one write-ahead log and one sync cover them all.
 *
 * <h2>Opening</h2>
 *
 * A missing or empty directory becomes a new store. Anything else is first checked through a
 * read-only open that writes nothing (no lock, not even a LOG file): the column families, the
 * format marker, the node id, one scan of the whole log (which also loads every term into memory
 * so that {@link #termAt}, {@link #lastIndex} and {@link #lastTerm} never touch the disk), and the
 * state machine's applied index against the log. Only a store that passes is opened for writing,
 * so a store we refuse is left exactly as it was for the operator to look at. A store of the
 * previous format ({@value StoreFormat#FORMAT_1}, the log alone) passes, and is then upgraded in
 * place (see {@link StoreFormat}).
 *
 * <p>One writer (the node's actor, and its state machine's actor for the state machine's data); the
 * methods are synchronized anyway, since the term cache is plain memory, and so that nothing uses
 * the database once {@link #close} has closed it.
 */
public final class RocksDbStorage implements RaftStorage {

  static {
    RocksDbLibrary.load(); // from our directory, not a new copy in java.io.tmpdir
  }

  /** The block cache of the state machine's column families when none is given: 64 MiB. */
  public static final long DEFAULT_STATE_CACHE_BYTES = 64L << 20;

  private static final Logger LOG = LoggerFactory.getLogger(RocksDbStorage.class);

  private final Path dir;
  private final StoreDb db;
  private final WriteOptions synced = new WriteOptions().setSync(true);
  private final WriteOptions unsynced = new WriteOptions();
  private long firstIndex;
  private long prevTerm;
  private final Terms terms;
  private final RocksDbStateStore state;
  private long term;
  private Optional<Endpoint> votedFor;
  private long commitHint;
  private boolean closed;

  private RocksDbStorage(Path dir, StoreDb db, Meta meta, Terms terms) {
    this.dir = dir;
    this.db = db;
    this.firstIndex = meta.firstIndex();
    this.prevTerm = meta.prevTerm();
    this.terms = terms;
    this.term = meta.term();
    this.votedFor = meta.votedFor();
    this.commitHint = meta.commitHint();
    this.state = new RocksDbStateStore(this, db, unsynced, meta.appliedIndex());
  }

  /** As {@link #open(Path, int, long)} with a block cache of {@link #DEFAULT_STATE_CACHE_BYTES}. */
  public static RocksDbStorage open(Path dir, int nodeId) {
    return open(dir, nodeId, DEFAULT_STATE_CACHE_BYTES);
  }

  /**
   * Opens the store in {@code dir}, creating it when {@code dir} is missing or empty, and
   * upgrading it when it is of the previous format. {@code stateCacheBytes} is the size of the
   * block cache of the state machine's data (native memory, outside the Java heap).
   *
   * @throws StorageException with a one-line reason when the directory is not a usable store of
   *     node {@code nodeId}; nothing in it has been changed then
   */
  public static RocksDbStorage open(Path dir, int nodeId, long stateCacheBytes) {
    if (isMissingOrEmpty(dir)) {
      return create(dir, nodeId, stateCacheBytes);
    }
    if (!Files.exists(dir.resolve("CURRENT"))) {
      throw notOurs(dir, "no RocksDB CURRENT file");
    }
    List<byte[]> families = ourFamilies(dir);
    // Validate through a read-only open, which writes nothing: a refused store stays as it was.
    Meta meta;
    Terms terms;
    try (StoreDb readOnly = openDb(dir, Mode.READ_ONLY, families, stateCacheBytes)) {
      meta = readMeta(dir, readOnly, nodeId);
      terms = scanLog(dir, readOnly, meta);
      checkState(dir, readOnly, meta, meta.firstIndex() - 1 + terms.size());
    }
    StoreDb db =
        openDb(dir, meta.needsUpgrade() ? Mode.UPGRADE : Mode.READ_WRITE, ALL_FAMILIES, stateCacheBytes);
    try {
      // Nobody else can write now that we hold the lock; check that nobody did since the scan.
      long lastIndex = meta.firstIndex() - 1 + terms.size();
      if (!readMeta(dir, db, nodeId).equals(meta)
          || lastIndexOnDisk(dir, db, meta.firstIndex()) != lastIndex) {
        throw new StorageException(dir + " changed while being opened; is another process at it?");
      }
      RocksDbStorage storage = new RocksDbStorage(dir, db, meta, terms);
      if (meta.needsUpgrade()) {
        storage.upgrade(meta);
      }
      return storage;
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  private static final List<byte[]> ALL_FAMILIES =
      List.of(META_CF, LOG_CF, KV_CF, SESSIONS_CF, INCOMING_CF);

  /**
   * Which of our column families the store has: meta and log at least, else it is not ours. Read
   * from the manifest, which writes nothing.
   */
  private static List<byte[]> ourFamilies(Path dir) {
    List<byte[]> present;
    try {
      present = StoreDb.families(dir);
    } catch (RocksDBException e) {
      throw openFailed(dir, e);
    }
    List<byte[]> ours = new ArrayList<>();
    for (byte[] family : ALL_FAMILIES) {
      if (present.stream().anyMatch(p -> Arrays.equals(p, family))) {
        ours.add(family);
      }
    }
    if (!ours.contains(META_CF) || !ours.contains(LOG_CF)) {
      throw notOurs(dir, "RocksDB without the raftkv column families");
    }
    return ours;
  }

  private static RocksDbStorage create(Path dir, int nodeId, long stateCacheBytes) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageException(dir + ": cannot create the directory (" + describe(e) + ")", e);
    }
    Meta meta = new Meta(FORMAT, nodeId, 0, Optional.empty(), 0, 1, 0, 0);
    RocksDbStorage storage =
        new RocksDbStorage(
            dir, openDb(dir, Mode.CREATE, ALL_FAMILIES, stateCacheBytes), meta, new Terms());
    try {
      storage.stamp(meta);
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
    return storage;
  }

  /**
   * Writes the meta of a new store in one synced batch. A crash between creating the RocksDB and
   * this write leaves a store without our marker, which the next open refuses: the operator then
   * deletes that empty store by hand.
   */
  private void stamp(Meta meta) {
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(db.meta, FORMAT_KEY, utf8(FORMAT));
      batch.put(db.meta, NODE_ID_KEY, intBytes(meta.nodeId()));
      batch.put(db.meta, TERM_KEY, longBytes(meta.term()));
      batch.put(db.meta, COMMIT_HINT_KEY, longBytes(meta.commitHint()));
      batch.put(db.meta, FIRST_INDEX_KEY, longBytes(meta.firstIndex()));
      batch.put(db.meta, PREV_TERM_KEY, longBytes(meta.prevTerm()));
      batch.put(db.meta, APPLIED_INDEX_KEY, longBytes(meta.appliedIndex()));
      db.rocks.write(synced, batch);
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
  }

  /**
   * Completes the upgrade of an older store, whose missing column families the open has just
   * created (empty): the new format (and for format 1, applied index 0), in one synced batch.
   */
  private void upgrade(Meta meta) {
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(db.meta, FORMAT_KEY, utf8(FORMAT));
      if (meta.hasNoState()) {
        batch.put(db.meta, APPLIED_INDEX_KEY, longBytes(0));
      }
      db.rocks.write(synced, batch);
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
    if (meta.hasNoState()) {
      LOG.info(
          "Upgraded the store in [{}] from format [{}] to [{}]: the state machine is now stored, and"
              + " starts empty: the log ([{}] entries) replays into it once",
          dir, FORMAT_1, FORMAT, lastIndex());
    } else {
      LOG.info("Upgraded the store in [{}] from format [{}] to [{}] (snapshots)", dir, meta.format(), FORMAT);
    }
  }

  private static StoreDb openDb(Path dir, Mode mode, List<byte[]> families, long stateCacheBytes) {
    try {
      return StoreDb.open(dir, mode, families, stateCacheBytes);
    } catch (RocksDBException e) {
      throw openFailed(dir, e);
    }
  }

  /**
   * The state machine's data, in this store's RocksDB: its writes share the log's write-ahead
   * log, so the log's next sync makes them durable.
   */
  @Override
  public StateStore stateStore() {
    return state;
  }

  // ---------------------------------------------------------------------------------- TermStore

  @Override
  public synchronized long currentTerm() {
    checkOpen();
    return term;
  }

  @Override
  public synchronized Optional<Endpoint> votedFor() {
    checkOpen();
    return votedFor;
  }

  @Override
  public synchronized void saveTermAndVote(long term, Optional<Endpoint> votedFor) {
    checkOpen();
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(db.meta, TERM_KEY, longBytes(term));
      if (votedFor.isPresent()) {
        batch.put(db.meta, VOTED_FOR_KEY, utf8(votedFor.get().toString()));
      } else {
        batch.delete(db.meta, VOTED_FOR_KEY);
      }
      // Synced: a vote, or a term we act in, must survive a crash before anyone hears of it.
      db.rocks.write(synced, batch);
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
    this.term = term;
    this.votedFor = votedFor;
  }

  @Override
  public synchronized long commitHint() {
    checkOpen();
    return commitHint;
  }

  @Override
  public synchronized void saveCommitHint(long commitIndex) {
    checkOpen();
    try {
      // Not synced: losing the hint in a crash only means waiting for the leader to resend it. It
      // still goes through the WAL, so the next synced write makes it durable too.
      db.rocks.put(db.meta, unsynced, COMMIT_HINT_KEY, longBytes(commitIndex));
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
    this.commitHint = commitIndex;
  }

  // ------------------------------------------------------------------------------------ RaftLog

  @Override
  public synchronized long firstIndex() {
    checkOpen();
    return firstIndex;
  }

  @Override
  public synchronized long lastIndex() {
    checkOpen();
    return firstIndex - 1 + terms.size();
  }

  @Override
  public synchronized long lastTerm() {
    checkOpen();
    return terms.size() == 0 ? prevTerm : terms.get(terms.size() - 1);
  }

  @Override
  public synchronized long termAt(long index) {
    checkOpen();
    if (index == 0) {
      return 0;
    }
    if (index == firstIndex - 1) {
      return prevTerm;
    }
    checkInLog(index);
    return terms.get((int) (index - firstIndex));
  }

  @Override
  public synchronized LogEntry entry(long index) {
    checkOpen();
    checkInLog(index);
    byte[] value;
    try {
      value = db.rocks.get(db.log, indexKey(index));
    } catch (RocksDBException e) {
      throw readFailed(e);
    }
    if (value == null) {
      throw corrupt(dir, "log entry at index " + index + " is missing");
    }
    return decode(dir, index, value);
  }

  @Override
  public synchronized List<LogEntry> entries(long from, long toInclusive, long maxBytes) {
    checkOpen();
    List<LogEntry> out = new ArrayList<>();
    if (from > toInclusive) {
      return out;
    }
    checkInLog(from);
    checkInLog(toInclusive);
    long bytes = 0;
    try (RocksIterator it = db.rocks.newIterator(db.log)) {
      it.seek(indexKey(from));
      for (long index = from; index <= toInclusive; index++, it.next()) {
        if (!it.isValid() || indexOf(it.key()) != index) {
          it.status(); // a read error, if that is why
          throw corrupt(dir, "log entry at index " + index + " is missing");
        }
        LogEntry entry = decode(dir, index, it.value());
        bytes += entry.sizeBytes();
        if (!out.isEmpty() && bytes > maxBytes) {
          break;
        }
        out.add(entry);
      }
    } catch (RocksDBException e) {
      throw readFailed(e);
    }
    return out;
  }

  @Override
  public synchronized void append(List<LogEntry> entries) {
    // Synced: Raft counts an entry as stored (and may commit it) as soon as we return.
    write(entries, synced);
  }

  @Override
  public synchronized void appendUnsynced(List<LogEntry> entries) {
    write(entries, unsynced);
  }

  @Override
  public synchronized void sync() {
    checkOpen();
    try {
      db.rocks.syncWal();
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
  }

  private void write(List<LogEntry> entries, WriteOptions options) {
    checkOpen();
    if (entries.isEmpty()) {
      return;
    }
    checkAppendable(entries);
    long first = entries.get(0).index();
    long last = lastIndex();
    try (WriteBatch batch = new WriteBatch()) {
      if (first <= last) {
        // The new entries replace the whole old suffix, even where they end before it does.
        batch.deleteRange(db.log, indexKey(first), indexKey(last + 1));
      }
      for (LogEntry entry : entries) {
        batch.put(db.log, indexKey(entry.index()), encode(entry));
      }
      db.rocks.write(options, batch);
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
    // Only now: a failed write must leave the memory matching the disk.
    terms.truncate((int) (first - firstIndex));
    for (LogEntry entry : entries) {
      terms.add(entry.term(), entry.sizeBytes());
    }
  }

  @Override
  public synchronized void compact(long upTo) {
    checkOpen();
    long applied = state.appliedIndex();
    if (upTo < firstIndex - 1 || upTo > lastIndex() || upTo > applied) {
      throw new IllegalArgumentException(
          "cannot compact up to " + upTo + ": the log holds [" + firstIndex + ", " + lastIndex()
              + "], the state machine is stored up to " + applied);
    }
    if (upTo == firstIndex - 1) {
      return;
    }
    long upToTerm = termAt(upTo);
    try (WriteBatch batch = new WriteBatch()) {
      batch.deleteRange(db.log, indexKey(firstIndex), indexKey(upTo + 1));
      batch.put(db.meta, FIRST_INDEX_KEY, longBytes(upTo + 1));
      batch.put(db.meta, PREV_TERM_KEY, longBytes(upToTerm));
      // Synced, and after the state machine's writes in the one write-ahead log: whatever a crash
      // keeps of this batch, it keeps the state it relies on.
      db.rocks.write(synced, batch);
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
    terms.dropFirst((int) (upTo + 1 - firstIndex));
    firstIndex = upTo + 1;
    prevTerm = upToTerm;
  }

  @Override
  public synchronized void beginInstall(long index, long term) {
    checkOpen();
    boolean keepSuffix = index >= firstIndex && index <= lastIndex() && termAt(index) == term;
    long dropTo = keepSuffix ? index : lastIndex();
    try (WriteBatch batch = new WriteBatch()) {
      if (dropTo >= firstIndex) {
        batch.deleteRange(db.log, indexKey(firstIndex), indexKey(dropTo + 1));
      }
      batch.put(db.meta, FIRST_INDEX_KEY, longBytes(index + 1));
      batch.put(db.meta, PREV_TERM_KEY, longBytes(term));
      batch.put(db.incoming, StateStore.INSTALL_MARKER, longBytes(index));
      // Synced: with it, every staged chunk before it in the write-ahead log.
      db.rocks.write(synced, batch);
    } catch (RocksDBException e) {
      throw writeFailed(e);
    }
    if (keepSuffix) {
      terms.dropFirst((int) (index + 1 - firstIndex));
    } else {
      terms.truncate(0);
    }
    firstIndex = index + 1;
    prevTerm = term;
  }

  @Override
  public synchronized long logBytes() {
    checkOpen();
    return terms.bytes();
  }

  /** @throws IllegalArgumentException unless the entries can extend or overwrite the log */
  private void checkAppendable(List<LogEntry> entries) {
    long first = entries.get(0).index();
    if (first < firstIndex || first > lastIndex() + 1) {
      throw new IllegalArgumentException(
          "append at " + first + " is outside [" + firstIndex + ", " + (lastIndex() + 1) + "]");
    }
    // Terms never decrease along a Raft log; the open-time validation relies on it.
    long previousTerm = termAt(first - 1);
    for (int i = 0; i < entries.size(); i++) {
      LogEntry entry = entries.get(i);
      if (entry.index() != first + i) {
        throw new IllegalArgumentException("entries are not consecutive at " + entry);
      }
      if (entry.term() < previousTerm) {
        throw new IllegalArgumentException(
            entry + " has a term below " + previousTerm + " of the entry before it");
      }
      previousTerm = entry.term();
    }
    if (first - firstIndex + entries.size() > Terms.MAX_SIZE) {
      throw new IllegalArgumentException("the log would exceed " + Terms.MAX_SIZE + " entries");
    }
  }

  private void checkInLog(long index) {
    if (index < firstIndex || index > lastIndex()) {
      throw new IndexOutOfBoundsException(
          "index " + index + " outside [" + firstIndex + ", " + lastIndex() + "]");
    }
  }

  /**
   * A RocksDB integer property summed over the column families ({@code rocksdb.total-sst-files-size},
   * {@code rocksdb.estimate-live-data-size}, ...), for metrics; -1 once closed or if RocksDB has no
   * such property.
   */
  public synchronized long property(String name) {
    if (closed) {
      return -1;
    }
    try {
      return db.rocks.getAggregatedLongProperty(name);
    } catch (RocksDBException e) {
      return -1;
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    db.close();
    synced.close();
    unsynced.close();
  }

  boolean isClosed() {
    return closed;
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException(dir + ": storage is closed");
    }
  }

  StorageException writeFailed(RocksDBException e) {
    return new StorageException(dir + ": write failed: " + describe(e), e);
  }

  StorageException readFailed(RocksDBException e) {
    if (isCorruption(e)) {
      return corrupt(dir, describe(e), e);
    }
    return new StorageException(dir + ": read failed: " + describe(e), e);
  }

  /**
   * The terms and sizes of the log's entries in growable arrays, indexed from firstIndex, and the
   * sum of the sizes.
   */
  static final class Terms {
    static final int MAX_SIZE = Integer.MAX_VALUE - 8;

    private long[] terms = new long[64];
    private int[] sizes = new int[64];
    private int size;
    private long bytes;

    int size() {
      return size;
    }

    long get(int i) {
      return terms[i];
    }

    long bytes() {
      return bytes;
    }

    void add(long term, int entryBytes) {
      if (size == terms.length) {
        int grown = (int) Math.min(MAX_SIZE, 2L * terms.length);
        terms = Arrays.copyOf(terms, grown);
        sizes = Arrays.copyOf(sizes, grown);
      }
      terms[size] = term;
      sizes[size++] = entryBytes;
      bytes += entryBytes;
    }

    void truncate(int newSize) {
      for (int i = newSize; i < size; i++) {
        bytes -= sizes[i];
      }
      size = newSize;
    }

    /** Drops the first {@code n} entries (compacted away). */
    void dropFirst(int n) {
      for (int i = 0; i < n; i++) {
        bytes -= sizes[i];
      }
      System.arraycopy(terms, n, terms, 0, size - n);
      System.arraycopy(sizes, n, sizes, 0, size - n);
      size -= n;
    }
  }
}
