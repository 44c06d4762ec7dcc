package raftkv.storage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.AbstractNativeReference;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * An open RocksDB with some of our column families (see {@link StoreFormat}), and every native
 * object it needs. The state machine's column families ({@code kv}, {@code sessions}) share one
 * LRU block cache and have Bloom filters, for point reads of keys that are not there.
 */
final class StoreDb implements AutoCloseable {

  enum Mode {
    /** A new store: every column family is created. */
    CREATE,
    READ_WRITE,
    /** As READ_WRITE, creating the column families that are missing (a store being upgraded). */
    UPGRADE,
    /** Takes no lock and writes nothing (not even a LOG file): safe on a store we may refuse. */
    READ_ONLY
  }

  /** The write-ahead log files kept, at most (beyond one batch bigger than this). */
  static final long MAX_TOTAL_WAL_BYTES = 128L << 20;

  final RocksDB rocks;
  final ColumnFamilyHandle meta;
  final ColumnFamilyHandle log;
  /** Null when not opened (a store of format 1, read before its upgrade). */
  final ColumnFamilyHandle kv;
  /** Null when not opened, as {@link #kv}. */
  final ColumnFamilyHandle sessions;
  /** Null when not opened (a store of format 1 or 2, read before its upgrade). */
  final ColumnFamilyHandle incoming;

  private final List<ColumnFamilyHandle> handles;
  /** Options: they must outlive the database, so they are closed after it. */
  private final List<AbstractNativeReference> settings;

  private StoreDb(
      RocksDB rocks,
      List<byte[]> families,
      List<ColumnFamilyHandle> handles,
      List<AbstractNativeReference> settings) {
    this.rocks = rocks;
    this.handles = handles;
    this.settings = settings;
    this.meta = handle(families, StoreFormat.META_CF);
    this.log = handle(families, StoreFormat.LOG_CF);
    this.kv = handle(families, StoreFormat.KV_CF);
    this.sessions = handle(families, StoreFormat.SESSIONS_CF);
    this.incoming = handle(families, StoreFormat.INCOMING_CF);
  }

  private ColumnFamilyHandle handle(List<byte[]> families, byte[] name) {
    for (int i = 0; i < families.size(); i++) {
      if (Arrays.equals(families.get(i), name)) {
        return handles.get(i);
      }
    }
    return null;
  }

  /** The column families of the RocksDB in {@code dir}, read from its manifest; writes nothing. */
  static List<byte[]> families(Path dir) throws RocksDBException {
    try (Options options = new Options()) {
      return RocksDB.listColumnFamilies(options, dir.toString());
    }
  }

  /**
   * Opens {@code dir} with the column families {@code families} (besides {@code default}): all of
   * them unless read-only, where a subset is allowed.
   */
  static StoreDb open(Path dir, Mode mode, List<byte[]> families, long stateCacheBytes)
      throws RocksDBException {
    boolean create = mode == Mode.CREATE;
    boolean createFamilies = create || mode == Mode.UPGRADE;
    List<AbstractNativeReference> settings = new ArrayList<>();
    try {
      DBOptions dbOptions =
          new DBOptions()
              .setCreateIfMissing(create)
              .setCreateMissingColumnFamilies(createFamilies)
              .setErrorIfExists(create)
              .setKeepLogFileNum(5)
              // One write-ahead log for five column families: a family with few writes (meta, log
              // after a compaction) would otherwise keep every log file since its last flush, GiBs
              // after a snapshot is installed. Past this much, RocksDB flushes the family holding
              // the oldest file, so it can go.
              .setMaxTotalWalSize(MAX_TOTAL_WAL_BYTES);
      settings.add(dbOptions);
      ColumnFamilyOptions plain = new ColumnFamilyOptions();
      settings.add(plain);
      LRUCache cache = new LRUCache(stateCacheBytes);
      settings.add(cache);
      BloomFilter bloom = new BloomFilter(10);
      settings.add(bloom);
      ColumnFamilyOptions state =
          new ColumnFamilyOptions()
              .setTableFormatConfig(
                  new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom));
      settings.add(state);
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      List<byte[]> names = new ArrayList<>();
      descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, plain));
      names.add(RocksDB.DEFAULT_COLUMN_FAMILY);
      for (byte[] name : families) {
        boolean isState =
            Arrays.equals(name, StoreFormat.KV_CF) || Arrays.equals(name, StoreFormat.SESSIONS_CF);
        descriptors.add(new ColumnFamilyDescriptor(name, isState ? state : plain));
        names.add(name);
      }
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      String path = dir.toString();
      RocksDB rocks =
          mode == Mode.READ_ONLY
              ? RocksDB.openReadOnly(dbOptions, path, descriptors, handles)
              : RocksDB.open(dbOptions, path, descriptors, handles);
      return new StoreDb(rocks, names, handles, settings);
    } catch (RocksDBException | RuntimeException e) {
      settings.forEach(AbstractNativeReference::close);
      throw e;
    }
  }

  /** Column families first, then the database, then what it was opened with. */
  @Override
  public void close() {
    handles.forEach(ColumnFamilyHandle::close);
    rocks.close();
    settings.forEach(AbstractNativeReference::close);
  }
}
