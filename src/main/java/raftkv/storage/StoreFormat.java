package raftkv.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import raftkv.common.Endpoint;
import raftkv.storage.RocksDbStorage.Db;
import raftkv.storage.RocksDbStorage.Terms;

/**
 * The on-disk format of {@link RocksDbStorage}: the keys, how values are encoded, and the checks
 * that what is stored is ours and intact, with the one-line errors that say why not.
 *
 * <h2>On-disk layout (format {@value #FORMAT})</h2>
 *
 * Column families {@code meta} and {@code log}, plus RocksDB's {@code default}, which stays empty.
 * Every number is big-endian with a fixed width; strings are UTF-8.
 *
 * <pre>
 * meta  "format"          "raftkv-1"      marks the directory as ours; checked before anything else
 *       "node-id"         4-byte int      the node this store belongs to
 *       "term"            8-byte long     currentTerm
 *       "voted-for"       "host:port"     votedFor; absent when the node has not voted in this term
 *       "commit-hint"     8-byte long     see {@link TermStore#commitHint()}
 *       "log-first-index" 8-byte long     index of the first entry held: 1
 *       "log-prev-term"   8-byte long     term of entry log-first-index - 1: 0
 * log   8-byte index   -> [format byte = 1][EntryType code][term: 8 bytes][data bytes]
 * </pre>
 *
 * Log keys are contiguous from {@code log-first-index}, and terms never decrease along the log.
 * Nothing compacts the log yet: a new store writes {@code log-first-index} 1 and {@code
 * log-prev-term} 0, and nothing changes them. They are there for snapshots, which are planned; an
 * open already accepts a log that starts later.
 */
final class StoreFormat {

  static final String FORMAT = "raftkv-1";
  static final byte ENTRY_FORMAT = 1;
  /** Format byte, type code and term, before the entry's data. */
  static final int ENTRY_HEADER_BYTES = 1 + 1 + Long.BYTES;

  static final byte[] META_CF = utf8("meta");
  static final byte[] LOG_CF = utf8("log");
  static final byte[] FORMAT_KEY = utf8("format");
  static final byte[] NODE_ID_KEY = utf8("node-id");
  static final byte[] TERM_KEY = utf8("term");
  static final byte[] VOTED_FOR_KEY = utf8("voted-for");
  static final byte[] COMMIT_HINT_KEY = utf8("commit-hint");
  static final byte[] FIRST_INDEX_KEY = utf8("log-first-index");
  static final byte[] PREV_TERM_KEY = utf8("log-prev-term");

  private StoreFormat() {}

  // ---------------------------------------------------------------------- validation on open

  /** The meta column family, decoded. */
  record Meta(
      int nodeId,
      long term,
      Optional<Endpoint> votedFor,
      long commitHint,
      long firstIndex,
      long prevTerm) {}

  static Meta readMeta(Path dir, Db db, int expectedNodeId) {
    try {
      byte[] format = db.rocks.get(db.meta, FORMAT_KEY);
      if (format == null) {
        throw notOurs(dir, "RocksDB without the raftkv format marker");
      }
      if (!Arrays.equals(format, utf8(FORMAT))) {
        throw notOurs(dir, "format '" + text(format) + "', expected '" + FORMAT + "'");
      }
      int nodeId = ByteBuffer.wrap(fixed(dir, db, NODE_ID_KEY, Integer.BYTES)).getInt();
      if (nodeId != expectedNodeId) {
        throw new StorageException(
            dir + " belongs to node " + nodeId + ", not node " + expectedNodeId);
      }
      long firstIndex = readLong(dir, db, FIRST_INDEX_KEY);
      long prevTerm = readLong(dir, db, PREV_TERM_KEY);
      if (firstIndex < 1 || prevTerm < 0 || (firstIndex == 1 && prevTerm != 0)) {
        throw corrupt(dir, "log starts at index " + firstIndex + " after term " + prevTerm);
      }
      return new Meta(
          nodeId,
          readLong(dir, db, TERM_KEY),
          readVotedFor(dir, db),
          readLong(dir, db, COMMIT_HINT_KEY),
          firstIndex,
          prevTerm);
    } catch (RocksDBException e) {
      throw openFailed(dir, e);
    }
  }

  private static long readLong(Path dir, Db db, byte[] key) throws RocksDBException {
    return ByteBuffer.wrap(fixed(dir, db, key, Long.BYTES)).getLong();
  }

  /** The value of a meta key that must be present with exactly {@code length} bytes. */
  private static byte[] fixed(Path dir, Db db, byte[] key, int length) throws RocksDBException {
    byte[] value = db.rocks.get(db.meta, key);
    if (value == null) {
      throw corrupt(dir, "meta '" + text(key) + "' is missing");
    }
    if (value.length != length) {
      throw corrupt(
          dir, "meta '" + text(key) + "' has " + value.length + " bytes, expected " + length);
    }
    return value;
  }

  private static Optional<Endpoint> readVotedFor(Path dir, Db db) throws RocksDBException {
    byte[] value = db.rocks.get(db.meta, VOTED_FOR_KEY);
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Endpoint.parse(text(value), ""));
    } catch (IllegalArgumentException e) {
      throw corrupt(dir, "meta 'voted-for' is not host:port (" + e.getMessage() + ")");
    }
  }

  /** Checks every log entry once and returns their terms. */
  static Terms scanLog(Path dir, Db db, Meta meta) {
    Terms terms = new Terms();
    long expected = meta.firstIndex();
    long previousTerm = meta.prevTerm();
    try (RocksIterator it = db.rocks.newIterator(db.log)) {
      for (it.seekToFirst(); it.isValid(); it.next(), expected++) {
        byte[] key = it.key();
        if (key.length != Long.BYTES) {
          throw corrupt(dir, "log key of " + key.length + " bytes at index " + expected);
        }
        long index = indexOf(key);
        if (index != expected) {
          throw corrupt(
              dir, "log is not contiguous: expected index " + expected + ", found " + index);
        }
        long entryTerm = checkedTerm(dir, index, it.value());
        if (entryTerm < previousTerm) {
          throw corrupt(
              dir,
              "log entry at index " + index + " has term " + entryTerm
                  + ", lower than term " + previousTerm + " before it");
        }
        if (terms.size() == Terms.MAX_SIZE) {
          throw corrupt(dir, "log holds more than " + Terms.MAX_SIZE + " entries");
        }
        terms.add(entryTerm);
        previousTerm = entryTerm;
      }
      it.status();
    } catch (RocksDBException e) {
      if (isCorruption(e)) {
        throw corrupt(
            dir, "cannot read the log after index " + (expected - 1) + " (" + describe(e) + ")", e);
      }
      throw openFailed(dir, e);
    }
    return terms;
  }

  /** The highest log index on disk, or {@code firstIndex - 1} when the log is empty. */
  static long lastIndexOnDisk(Path dir, Db db, long firstIndex) {
    try (RocksIterator it = db.rocks.newIterator(db.log)) {
      it.seekToLast();
      if (it.isValid()) {
        return indexOf(it.key());
      }
      it.status();
      return firstIndex - 1;
    } catch (RocksDBException e) {
      throw openFailed(dir, e);
    }
  }

  // ------------------------------------------------------------------------- entry encoding

  static byte[] indexKey(long index) {
    return longBytes(index);
  }

  static long indexOf(byte[] key) {
    return ByteBuffer.wrap(key).getLong();
  }

  static byte[] encode(LogEntry entry) {
    return ByteBuffer.allocate(ENTRY_HEADER_BYTES + entry.data().length)
        .put(ENTRY_FORMAT)
        .put(entry.type().code())
        .putLong(entry.term())
        .put(entry.data())
        .array();
  }

  static LogEntry decode(Path dir, long index, byte[] value) {
    long entryTerm = checkedTerm(dir, index, value);
    EntryType type = EntryType.fromCode(value[1]);
    byte[] data = Arrays.copyOfRange(value, ENTRY_HEADER_BYTES, value.length);
    return new LogEntry(index, entryTerm, type, data);
  }

  /** The term of a stored entry, after checking its header. */
  private static long checkedTerm(Path dir, long index, byte[] value) {
    String at = "log entry at index " + index;
    if (value.length < ENTRY_HEADER_BYTES) {
      throw corrupt(dir, at + " has " + value.length + " bytes, less than its header");
    }
    if (value[0] != ENTRY_FORMAT) {
      throw corrupt(dir, at + " has unknown format byte " + value[0]);
    }
    try {
      EntryType.fromCode(value[1]);
    } catch (IllegalArgumentException e) {
      throw corrupt(dir, at + " has unknown type code " + value[1]);
    }
    long entryTerm = ByteBuffer.wrap(value, 2, Long.BYTES).getLong();
    if (entryTerm < 1) {
      throw corrupt(dir, at + " has term " + entryTerm);
    }
    return entryTerm;
  }

  // ---------------------------------------------------------------------------- small helpers

  static boolean isMissingOrEmpty(Path dir) {
    if (!Files.exists(dir)) {
      return true;
    }
    if (!Files.isDirectory(dir)) {
      throw new StorageException(dir + " is a file, not a data directory; refusing to touch it");
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.findAny().isEmpty();
    } catch (IOException e) {
      throw new StorageException(dir + ": cannot read the directory (" + describe(e) + ")", e);
    }
  }

  static StorageException notOurs(Path dir, String why) {
    return new StorageException(
        dir + " is not a raftkv data directory (" + why + "); refusing to touch it");
  }

  static StorageException corrupt(Path dir, String what) {
    return new StorageException(dir + ": corrupt store: " + what);
  }

  static StorageException corrupt(Path dir, String what, Throwable cause) {
    return new StorageException(dir + ": corrupt store: " + what, cause);
  }

  static StorageException openFailed(Path dir, RocksDBException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    Status.Code code = e.getStatus() == null ? null : e.getStatus().getCode();
    if (code == Status.Code.IOError && message.contains("LOCK")) {
      return new StorageException(dir + " is in use by another process", e);
    }
    if (isCorruption(e)) {
      return corrupt(dir, describe(e), e);
    }
    if (code == Status.Code.InvalidArgument && message.contains("Column famil")) {
      return notOurs(dir, "RocksDB without the raftkv column families");
    }
    return new StorageException(dir + ": cannot open the store: " + describe(e), e);
  }

  static boolean isCorruption(RocksDBException e) {
    return e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption;
  }

  /** One line, whatever the underlying message holds. */
  static String describe(Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replaceAll("\\s+", " ").strip();
  }

  static byte[] intBytes(int value) {
    return ByteBuffer.allocate(Integer.BYTES).putInt(value).array();
  }

  static byte[] longBytes(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
