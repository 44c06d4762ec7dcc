package raftkv.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A store's RocksDB opened directly, past {@link RocksDbStorage}: how tests plant what a store must
 * refuse, or write a store of an older format. Opens every column family the store has, creating
 * the directory and the meta and log column families if they are missing.
 */
final class RawRocks {

  interface Edit {
    void apply(RocksDB db, ColumnFamilyHandle meta, ColumnFamilyHandle log) throws RocksDBException;
  }

  /** An edit that sees every column family, by name. */
  interface EditAll {
    void apply(RocksDB db, Map<String, ColumnFamilyHandle> families) throws RocksDBException;
  }

  private RawRocks() {}

  static void edit(Path dir, Edit edit) throws RocksDBException {
    editAll(dir, (db, families) -> edit.apply(db, families.get("meta"), families.get("log")));
  }

  static void editAll(Path dir, EditAll edit) throws RocksDBException {
    RocksDbLibrary.load();
    List<byte[]> names = new ArrayList<>();
    names.add(RocksDB.DEFAULT_COLUMN_FAMILY);
    names.add(StoreFormat.META_CF);
    names.add(StoreFormat.LOG_CF);
    if (Files.exists(dir.resolve("CURRENT"))) {
      try (Options options = new Options()) {
        for (byte[] name : RocksDB.listColumnFamilies(options, dir.toString())) {
          if (names.stream().noneMatch(n -> Arrays.equals(n, name))) {
            names.add(name);
          }
        }
      }
    }
    try (ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        DBOptions options =
            new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (byte[] name : names) {
        descriptors.add(new ColumnFamilyDescriptor(name, cfOptions));
      }
      try (RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles)) {
        try {
          Map<String, ColumnFamilyHandle> byName = new HashMap<>();
          for (int i = 0; i < names.size(); i++) {
            byName.put(new String(names.get(i), StandardCharsets.UTF_8), handles.get(i));
          }
          edit.apply(db, byName);
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
