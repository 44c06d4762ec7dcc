package raftkv.storage;

import static raftkv.storage.StoreFormat.APPLIED_INDEX_KEY;
import static raftkv.storage.StoreFormat.longBytes;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
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

  /** How much one batch of an install copies. */
  private static final long INSTALL_BATCH_BYTES = 4L << 20;

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

  /**
   * RocksDB's figures: the files of the two column families (which may still hold overwritten
   * values, until RocksDB compacts them) and what is in their memtables.
   */
  @Override
  public long approximateBytes() {
    synchronized (owner) {
      owner.checkOpen();
      long bytes = 0;
      try {
        for (ColumnFamilyHandle f : List.of(db.kv, db.sessions)) {
          bytes += db.rocks.getLongProperty(f, "rocksdb.total-sst-files-size");
          bytes += db.rocks.getLongProperty(f, "rocksdb.cur-size-all-mem-tables");
        }
      } catch (RocksDBException e) {
        return -1;
      }
      return bytes;
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

  @Override
  public void stage(Batch batch) {
    synchronized (owner) {
      owner.checkOpen();
      try {
        db.rocks.write(unsynced, ((RocksBatch) batch).batch);
      } catch (RocksDBException e) {
        throw owner.writeFailed(e);
      }
    }
  }

  @Override
  public long pendingInstall() {
    synchronized (owner) {
      owner.checkOpen();
      try {
        byte[] marker = db.rocks.get(db.incoming, INSTALL_MARKER);
        return marker == null ? -1 : ByteBuffer.wrap(marker).getLong();
      } catch (RocksDBException e) {
        throw owner.readFailed(e);
      }
    }
  }

  /**
   * Empties {@code kv} and {@code sessions}, copies the staged entries into them a few MiB per
   * batch, and then, in one last batch, sets the applied index and empties {@code incoming} (the
   * marker with it). None of it is synced: a crash before the last batch leaves the marker and
   * the staged data, and the next start does it all again; the log's next sync makes it durable.
   */
  @Override
  public long installStaged() {
    synchronized (owner) {
      long index = pendingInstall();
      if (index < 0) {
        return -1;
      }
      try {
        try (WriteBatch clear = new WriteBatch()) {
          deleteAll(clear, db.kv);
          deleteAll(clear, db.sessions);
          db.rocks.write(unsynced, clear);
        }
        // The old state's files go at once rather than at RocksDB's next compaction: covered by
        // the deletion just written, and a crash now leaves the marker, so the install is redone.
        dropFiles(db.kv);
        dropFiles(db.sessions);
        WriteBatch batch = new WriteBatch();
        try (RocksIterator it = db.rocks.newIterator(db.incoming)) {
          for (it.seekToFirst(); it.isValid(); it.next()) {
            byte[] key = it.key();
            if (key[0] != Space.KEYS.ordinal() && key[0] != Space.SESSIONS.ordinal()) {
              continue; // the marker
            }
            ColumnFamilyHandle target = key[0] == Space.KEYS.ordinal() ? db.kv : db.sessions;
            batch.put(target, Arrays.copyOfRange(key, 1, key.length), it.value());
            if (batch.getDataSize() >= INSTALL_BATCH_BYTES) {
              db.rocks.write(unsynced, batch);
              batch.close();
              batch = new WriteBatch();
            }
          }
          it.status();
          deleteAll(batch, db.incoming);
          batch.put(db.meta, APPLIED_INDEX_KEY, longBytes(index));
          db.rocks.write(unsynced, batch);
        } finally {
          batch.close();
        }
        // The staged files go too, once the install is durable (the marker is among them).
        db.rocks.syncWal();
        dropFiles(db.incoming);
      } catch (RocksDBException e) {
        throw owner.writeFailed(e);
      }
      appliedIndex = index;
      return index;
    }
  }

  @Override
  public void clearStaged() {
    synchronized (owner) {
      owner.checkOpen();
      try (WriteBatch batch = new WriteBatch()) {
        deleteAll(batch, db.incoming);
        db.rocks.write(unsynced, batch);
      } catch (RocksDBException e) {
        throw owner.writeFailed(e);
      }
    }
  }

  /**
   * Deletes the files of {@code family} whose keys are all in [empty, {@link #LAST_KEY}]: every
   * file, once all its keys were deleted (keys are at most a few KiB, so all sort below it).
   */
  private void dropFiles(ColumnFamilyHandle family) throws RocksDBException {
    db.rocks.deleteFilesInRanges(family, List.of(new byte[0], LAST_KEY), true);
  }

  /** Above every key this store holds (16 KiB of 0xFF). */
  private static final byte[] LAST_KEY = filled(16 << 10, (byte) 0xFF);

  private static byte[] filled(int n, byte b) {
    byte[] a = new byte[n];
    Arrays.fill(a, b);
    return a;
  }

  /** Adds to {@code batch} the deletion of every key {@code family} holds now. */
  private void deleteAll(WriteBatch batch, ColumnFamilyHandle family) throws RocksDBException {
    try (RocksIterator it = db.rocks.newIterator(family)) {
      it.seekToFirst();
      if (!it.isValid()) {
        it.status();
        return;
      }
      byte[] first = it.key();
      it.seekToLast();
      byte[] last = it.key();
      batch.deleteRange(family, first, last);
      batch.delete(family, last);
    }
  }

  /** A RocksDB snapshot: the applied index and the data as of one instant. */
  @Override
  public View view() {
    synchronized (owner) {
      owner.checkOpen();
      Snapshot snapshot = db.rocks.getSnapshot();
      ReadOptions options = new ReadOptions().setSnapshot(snapshot);
      long index;
      try {
        index = ByteBuffer.wrap(db.rocks.get(db.meta, options, APPLIED_INDEX_KEY)).getLong();
      } catch (RocksDBException e) {
        options.close();
        db.rocks.releaseSnapshot(snapshot);
        throw owner.readFailed(e);
      }
      return new View() {
        @Override
        public long appliedIndex() {
          return index;
        }

        @Override
        public Cursor scan(Space space, byte[] from) {
          synchronized (owner) {
            owner.checkOpen();
            RocksIterator it = db.rocks.newIterator(family(space), options);
            it.seek(from);
            return new RocksCursor(it);
          }
        }

        @Override
        public void close() {
          synchronized (owner) {
            options.close();
            if (!owner.isClosed()) {
              db.rocks.releaseSnapshot(snapshot);
            }
          }
        }
      };
    }
  }

  private ColumnFamilyHandle family(Space space) {
    return switch (space) {
      case KEYS -> db.kv;
      case SESSIONS -> db.sessions;
      case INCOMING -> db.incoming;
    };
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
