package raftkv.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import raftkv.common.Endpoint;
import raftkv.storage.RocksDbStorage.Terms;

/**
 * The on-disk format of {@link RocksDbStorage}: the keys, how values are encoded, and the checks
 * that what is stored is ours and intact, with the one-line errors that say why not.
 *
 * <h2>On-disk layout (format {@value #FORMAT})</h2>
 *
 * Column families {@code meta}, {@code log}, {@code kv}, {@code sessions} and {@code incoming},
 * plus RocksDB's {@code default}, which stays empty. One RocksDB instance, so one write-ahead log: a sync of the log
 * makes every earlier state machine write durable too. Every number is big-endian with a fixed
 * width; strings are UTF-8.
 *
 * <pre>
 * meta      "format"          "raftkv-3"      marks the directory as ours; checked before anything else
 *           "node-id"         4-byte int      the node this store belongs to
 *           "term"            8-byte long     currentTerm
 *           "voted-for"       "host:port"     votedFor; absent when the node has not voted in this term
 *           "commit-hint"     8-byte long     see {@link TermStore#commitHint()}
 *           "log-first-index" 8-byte long     index of the first entry held (1 until compacted)
 *           "log-prev-term"   8-byte long     term of entry log-first-index - 1 (0 for index 0)
 *           "applied-index"   8-byte long     the last log index the state machine's data includes
 *                                             (0: none); written in the same batch as that data
 * log       8-byte index   -> [format byte = 1][EntryType code][term: 8 bytes][data bytes]
 * kv        key (UTF-8)    -> value (UTF-8)   the clients' keys, in byte order
 * sessions  the client session table, one record per key, as raftkv.kv.SessionRecords lays out
 * incoming  a snapshot being received: [0 = kv, 1 = sessions][key] -> value, and, once it is complete
 *           and verified, 0x7F "install" -> the 8-byte index it is installed at (the marker)
 * </pre>
 *
 * Log keys are contiguous from {@code log-first-index}, and terms never decrease along the log.
 * Compaction deletes a prefix of the log that the state machine's data covers and moves {@code
 * log-first-index} and {@code log-prev-term} in the same batch. {@code applied-index} is at most
 * the log's last index (the state machine applies committed entries only, which this node had
 * synced first) and at least {@code log-first-index - 1}, except while an install is marked: the
 * marker is written in one batch with the log's new start, and the next open finishes the install
 * (see {@link StateStore#installStaged}).
 *
 * <h2>Format {@value #FORMAT_2} (before snapshots)</h2>
 *
 * As {@value #FORMAT} without {@code incoming}: upgraded when opened, by creating the column family
 * (empty) and then writing the new format.
 *
 * <h2>Format {@value #FORMAT_1} (before the state machine was stored)</h2>
 *
 * The same {@code meta} (without {@code applied-index}) and {@code log}, no {@code kv} and no
 * {@code sessions}: the state machine lived in the heap and was rebuilt by replaying the log. Such a
 * store is upgraded in place when opened: the three column families are created (empty), then {@code
 * format} becomes {@value #FORMAT} and {@code applied-index} 0 in one synced batch, so the log
 * replays once into the stored state machine. A crash in between leaves format {@value #FORMAT_1}
 * with empty state column families, which the next open upgrades the same way. Any other format is
 * refused and left untouched.
 */
final class StoreFormat {

  static final String FORMAT = "raftkv-3";
  /** The format before snapshots (no {@code incoming}): upgraded in place. */
  static final String FORMAT_2 = "raftkv-2";
  /** The format before the state machine was stored: upgraded in place. */
  static final String FORMAT_1 = "raftkv-1";
  static final byte ENTRY_FORMAT = 1;
  /** Format byte, type code and term, before the entry's data. */
  static final int ENTRY_HEADER_BYTES = 1 + 1 + Long.BYTES;

  static final byte[] META_CF = utf8("meta");
  static final byte[] LOG_CF = utf8("log");
  static final byte[] KV_CF = utf8("kv");
  static final byte[] SESSIONS_CF = utf8("sessions");
  static final byte[] INCOMING_CF = utf8("incoming");
  static final byte[] FORMAT_KEY = utf8("format");
  static final byte[] NODE_ID_KEY = utf8("node-id");
  static final byte[] TERM_KEY = utf8("term");
  static final byte[] VOTED_FOR_KEY = utf8("voted-for");
  static final byte[] COMMIT_HINT_KEY = utf8("commit-hint");
  static final byte[] FIRST_INDEX_KEY = utf8("log-first-index");
  static final byte[] PREV_TERM_KEY = utf8("log-prev-term");
  static final byte[] APPLIED_INDEX_KEY = utf8("applied-index");

  private StoreFormat() {}

  // ---------------------------------------------------------------------- validation on open

  /** The meta column family, decoded; {@code appliedIndex} is 0 in format 1. */
  record Meta(
      String format,
      int nodeId,
      long term,
      Optional<Endpoint> votedFor,
      long commitHint,
      long firstIndex,
      long prevTerm,
      long appliedIndex) {

    boolean needsUpgrade() {
      return !format.equals(FORMAT);
    }

    /** Format 1 kept no state machine: its applied index starts at 0 when upgraded. */
    boolean hasNoState() {
      return format.equals(FORMAT_1);
    }
  }

  static Meta readMeta(Path dir, StoreDb db, int expectedNodeId) {
    try {
      byte[] format = db.rocks.get(db.meta, FORMAT_KEY);
      if (format == null) {
        throw notOurs(dir, "RocksDB without the raftkv format marker");
      }
      String found = text(format);
      if (!found.equals(FORMAT) && !found.equals(FORMAT_2) && !found.equals(FORMAT_1)) {
        throw notOurs(
            dir,
            "format '" + found + "', expected '" + FORMAT + "' (or '" + FORMAT_2 + "' or '"
                + FORMAT_1 + "', which this build upgrades)");
      }
      boolean current = !found.equals(FORMAT_1);
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
      long appliedIndex = current ? readLong(dir, db, APPLIED_INDEX_KEY) : 0;
      if (appliedIndex < 0) {
        throw corrupt(dir, "meta 'applied-index' is " + appliedIndex);
      }
      return new Meta(
          found,
          nodeId,
          readLong(dir, db, TERM_KEY),
          readVotedFor(dir, db),
          readLong(dir, db, COMMIT_HINT_KEY),
          firstIndex,
          prevTerm,
          appliedIndex);
    } catch (RocksDBException e) {
      throw openFailed(dir, e);
    }
  }

  private static long readLong(Path dir, StoreDb db, byte[] key) throws RocksDBException {
    return ByteBuffer.wrap(fixed(dir, db, key, Long.BYTES)).getLong();
  }

  /** The value of a meta key that must be present with exactly {@code length} bytes. */
  private static byte[] fixed(Path dir, StoreDb db, byte[] key, int length) throws RocksDBException {
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

  private static Optional<Endpoint> readVotedFor(Path dir, StoreDb db) throws RocksDBException {
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
  static Terms scanLog(Path dir, StoreDb db, Meta meta) {
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
        terms.add(entryTerm, it.value().length - ENTRY_HEADER_BYTES + LogEntry.OVERHEAD_BYTES);
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

  /**
   * Checks the state machine's column families against the meta: in format {@value #FORMAT} both
   * are there and the applied index is within the log; in format {@value #FORMAT_1} any that exist
   * (an upgrade interrupted after creating them) are empty.
   */
  static void checkState(Path dir, StoreDb db, Meta meta, long lastIndex) {
    if (meta.hasNoState()) {
      checkEmpty(dir, db, db.kv, "kv");
      checkEmpty(dir, db, db.sessions, "sessions");
      checkEmpty(dir, db, db.incoming, "incoming");
      return;
    }
    if (db.kv == null || db.sessions == null) {
      String missing = db.kv == null ? "kv" : "sessions";
      throw corrupt(dir, "format " + meta.format() + " without the column family '" + missing + "'");
    }
    if (db.incoming == null && !meta.needsUpgrade()) {
      throw corrupt(dir, "format " + FORMAT + " without the column family 'incoming'");
    }
    if (meta.appliedIndex() > lastIndex) {
      throw corrupt(
          dir,
          "the state machine applied up to index " + meta.appliedIndex()
              + ", beyond the log's last index " + lastIndex);
    }
  }

  private static void checkEmpty(Path dir, StoreDb db, ColumnFamilyHandle family, String name) {
    if (family == null) {
      return;
    }
    try (RocksIterator it = db.rocks.newIterator(family)) {
      it.seekToFirst();
      if (it.isValid()) {
        throw corrupt(dir, "format " + FORMAT_1 + " with data in the column family '" + name + "'");
      }
      it.status();
    } catch (RocksDBException e) {
      throw openFailed(dir, e);
    }
  }

  /** The highest log index on disk, or {@code firstIndex - 1} when the log is empty. */
  static long lastIndexOnDisk(Path dir, StoreDb db, long firstIndex) {
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
