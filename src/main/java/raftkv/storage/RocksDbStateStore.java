package raftkv.storage;

import static raftkv.storage.StoreFormat.APPLIED_INDEX_KEY;
import static raftkv.storage.StoreFormat.longBytes;

import java.util.NoSuchElementException;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The state machine's data in the column families {@code kv} and {@code sessions} of a {@link
 * RocksDbStorage}, with the applied index in {@code meta} (see {@link StoreFormat}).
 *
 * <p>Each {@link #write} is one RocksDB {@link WriteBatch}: the data and the applied index go into
 * the write-ahead log as one record, which recovery replays whole or not at all. It is written
 * without a sync. A kill of the process loses nothing that was written (the log file is in the
 * operating system's hands); a power failure may lose the unsynced tail of the write-ahead log, and
 * since that log is one sequence shared with the Raft log, what survives is a prefix of it: the
 * state machine is then at some earlier applied index, with exactly the data of that index, and the
 * entries after it are still in the Raft log (they were synced before they could commit, and were
 * written to the write-ahead log before the batch that applied them). The node replays them from
 * there. The next sync of the Raft log ({@link RaftLog#sync()}), which a leader or follower makes
 * for every batch of entries it stores, makes every earlier state machine write durable for free.
 *
 * <p>Every method holds the lock of its {@link RocksDbStorage}, so that none runs after {@link
 * RocksDbStorage#close()} has closed the database. A {@link Cursor} must be closed before the
 * storage is.
 */
final class RocksDbStateStore implements StateStore {

  private final RocksDbStorage owner;
  private final StoreDb db;
  private final WriteOptions unsynced;
  private long appliedIndex;

  RocksDbStateStore(RocksDbStorage owner, StoreDb db, WriteOptions unsynced, long appliedIndex) {
    this.owner = owner;
    this.db = db;
    this.unsynced = unsynced;
    this.appliedIndex = appliedIndex;
  }

  @Override
  public long appliedIndex() {
    synchronized (owner) {
      owner.checkOpen();
      return appliedIndex;
    }
  }

  @Override
  public byte[] get(Space space, byte[] key) {
    synchronized (owner) {
      owner.checkOpen();
      try {
        return db.rocks.get(family(space), key);
      } catch (RocksDBException e) {
        throw owner.readFailed(e);
      }
    }
  }

  /** A RocksDB iterator, which reads the implicit snapshot taken when it was created. */
  @Override
  public Cursor scan(Space space, byte[] from) {
    synchronized (owner) {
      owner.checkOpen();
      RocksIterator it = db.rocks.newIterator(family(space));
      it.seek(from);
      return new RocksCursor(it);
    }
  }

  @Override
  public Batch newBatch() {
    return new RocksBatch();
  }

  @Override
  public void write(Batch batch, long newAppliedIndex) {
    synchronized (owner) {
      owner.checkOpen();
      if (newAppliedIndex < appliedIndex) {
        throw new IllegalArgumentException(
            "applied index " + newAppliedIndex + " below the stored " + appliedIndex);
      }
      WriteBatch b = ((RocksBatch) batch).batch;
      try {
        b.put(db.meta, APPLIED_INDEX_KEY, longBytes(newAppliedIndex));
        db.rocks.write(unsynced, b);
      } catch (RocksDBException e) {
        throw owner.writeFailed(e);
      }
      appliedIndex = newAppliedIndex;
    }
  }

  private ColumnFamilyHandle family(Space space) {
    return space == Space.KEYS ? db.kv : db.sessions;
  }

  private final class RocksBatch implements Batch {
    final WriteBatch batch = new WriteBatch();
    private int size;

    @Override
    public void put(Space space, byte[] key, byte[] value) {
      try {
        batch.put(family(space), key, value);
      } catch (RocksDBException e) {
        throw owner.writeFailed(e);
      }
      size++;
    }

    @Override
    public void delete(Space space, byte[] key) {
      try {
        batch.delete(family(space), key);
      } catch (RocksDBException e) {
        throw owner.writeFailed(e);
      }
      size++;
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public void close() {
      batch.close();
    }
  }

  private final class RocksCursor implements Cursor {
    private final RocksIterator it;

    RocksCursor(RocksIterator it) {
      this.it = it;
    }

    @Override
    public boolean valid() {
      synchronized (owner) {
        owner.checkOpen();
        if (it.isValid()) {
          return true;
        }
        try {
          it.status(); // a read error, if that is why
        } catch (RocksDBException e) {
          throw owner.readFailed(e);
        }
        return false;
      }
    }

    @Override
    public byte[] key() {
      synchronized (owner) {
        check();
        return it.key();
      }
    }

    @Override
    public byte[] value() {
      synchronized (owner) {
        check();
        return it.value();
      }
    }

    private void check() {
      owner.checkOpen();
      if (!it.isValid()) {
        throw new NoSuchElementException("the cursor is past the last entry");
      }
    }

    @Override
    public void next() {
      synchronized (owner) {
        check();
        it.next();
      }
    }

    @Override
    public void close() {
      synchronized (owner) {
        it.close();
      }
    }
  }
}
