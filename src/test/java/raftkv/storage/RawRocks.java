package raftkv.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A store's RocksDB opened directly, past {@link RocksDbStorage}: how tests plant what a store must
 * refuse. Creates the directory and the meta and log column families if they are missing.
 */
final class RawRocks {

  interface Edit {
    void apply(RocksDB db, ColumnFamilyHandle meta, ColumnFamilyHandle log) throws RocksDBException;
  }

  private RawRocks() {}

  static void edit(Path dir, Edit edit) throws RocksDBException {
    RocksDbLibrary.load();
    try (ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        DBOptions options =
            new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      List<ColumnFamilyDescriptor> descriptors =
          List.of(
              new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
              new ColumnFamilyDescriptor(StoreFormat.META_CF, cfOptions),
              new ColumnFamilyDescriptor(StoreFormat.LOG_CF, cfOptions));
      try (RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles)) {
        try {
          edit.apply(db, handles.get(1), handles.get(2));
        } finally {
          handles.forEach(ColumnFamilyHandle::close);
        }
      }
    }
  }

  /** A log value as {@link RocksDbStorage} writes it. */
  static byte[] entryValue(int format, int typeCode, long term, byte[] data) {
    return ByteBuffer.allocate(StoreFormat.ENTRY_HEADER_BYTES + data.length)
        .put((byte) format)
        .put((byte) typeCode)
        .putLong(term)
        .put(data)
        .array();
  }

  static byte[] longBytes(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }
}
