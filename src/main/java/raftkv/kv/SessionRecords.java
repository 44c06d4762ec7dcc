package raftkv.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import raftkv.api.ErrorCode;
import raftkv.api.Result;
import raftkv.storage.StorageException;

/**
 * How the {@link SessionTable} is laid out in the {@code sessions} key space of a {@link
 * raftkv.storage.StateStore}: one record per live session, per cached response and per ended
 * session, so that a write changes a few small records whatever the size of the table.
 *
 * <pre>
 * key                                          value (all integers big-endian)
 * 'L' clientId                                 u8 1, i64 lastActive, i64 highestSeq       a live session
 * 'R' u16 length, clientId, i64 seq            u8 1, i64 fingerprint, result              a cached response
 * 'E' clientId                                 u8 1, i64 lastSeq, i64 endedAt, i64 order  an ended session
 * 'M' "last-ended-at"                          i64                                        the table's lastEndedAt
 * result := u8 flags (1: ok, 2: duplicate), string error code (null: none), string message,
 *           string value, i64 index
 * string := i32 length (-1: null), then that many bytes of UTF-8
 * </pre>
 *
 * Client ids and strings are UTF-8. Every string here comes from a command that {@code Limits}
 * checked or from a message built of such strings, so it has a UTF-8 form and reads back equal.
 * {@code order} is the order in which the ended records were made (the table drops the oldest
 * first); it is not part of the replicated state, only of its order.
 */
final class SessionRecords {

  static final byte LIVE = 'L';
  static final byte RESPONSE = 'R';
  static final byte ENDED = 'E';
  static final byte META = 'M';
  static final byte VERSION = 1;

  static final byte[] LAST_ENDED_AT_KEY = key(META, utf8("last-ended-at"));

  private SessionRecords() {}

  static byte[] liveKey(String clientId) {
    return key(LIVE, utf8(clientId));
  }

  static byte[] endedKey(String clientId) {
    return key(ENDED, utf8(clientId));
  }

  static byte[] responseKey(String clientId, long seq) {
    byte[] id = utf8(clientId);
    return ByteBuffer.allocate(1 + 2 + id.length + 8)
        .put(RESPONSE)
        .putShort((short) id.length)
        .put(id)
        .putLong(seq)
        .array();
  }

  /** The client id of a live or ended record's key. */
  static String clientIdOf(byte[] key) {
    return new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
  }

  /** The client id and seq of a response key. */
  record ResponseKey(String clientId, long seq) {}

  static ResponseKey responseKeyOf(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key);
    try {
      b.get();
      int length = Short.toUnsignedInt(b.getShort());
      byte[] id = new byte[length];
      b.get(id);
      long seq = b.getLong();
      if (b.hasRemaining()) {
        throw corrupt("a response key with " + b.remaining() + " trailing bytes");
      }
      return new ResponseKey(new String(id, StandardCharsets.UTF_8), seq);
    } catch (BufferUnderflowException e) {
      throw corrupt("a truncated response key");
    }
  }

  static byte[] live(long lastActive, long highestSeq) {
    return ByteBuffer.allocate(17).put(VERSION).putLong(lastActive).putLong(highestSeq).array();
  }

  /** {lastActive, highestSeq}. */
  static long[] readLive(byte[] value) {
    ByteBuffer b = versioned(value, 17, "live session");
    return new long[] {b.getLong(), b.getLong()};
  }

  static byte[] ended(long lastSeq, long endedAt, long order) {
    return ByteBuffer.allocate(25)
        .put(VERSION)
        .putLong(lastSeq)
        .putLong(endedAt)
        .putLong(order)
        .array();
  }

  /** {lastSeq, endedAt, order}. */
  static long[] readEnded(byte[] value) {
    ByteBuffer b = versioned(value, 25, "ended session");
    return new long[] {b.getLong(), b.getLong(), b.getLong()};
  }

  static byte[] longValue(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  static long readLong(byte[] value) {
    if (value.length != 8) {
      throw corrupt("a meta record of " + value.length + " bytes");
    }
    return ByteBuffer.wrap(value).getLong();
  }

  static byte[] response(SessionTable.Response r) {
    Result result = r.result();
    byte[] error = result.error() == null ? null : utf8(result.error().name());
    byte[] message = utf8(result.message());
    byte[] value = utf8(result.value());
    ByteBuffer b =
        ByteBuffer.allocate(1 + 8 + 1 + CommandCodec.size(error) + CommandCodec.size(message)
            + CommandCodec.size(value) + 8)
            .put(VERSION)
            .putLong(r.fingerprint())
            .put((byte) ((result.ok() ? 1 : 0) | (result.duplicate() ? 2 : 0)));
    CommandCodec.putString(b, error);
    CommandCodec.putString(b, message);
    CommandCodec.putString(b, value);
    b.putLong(result.index());
    return b.array();
  }

  static SessionTable.Response readResponse(byte[] bytes) {
    ByteBuffer b = versioned(bytes, -1, "response");
    try {
      long fingerprint = b.getLong();
      byte flags = b.get();
      String error = getString(b);
      String message = getString(b);
      String value = getString(b);
      long index = b.getLong();
      if (b.hasRemaining()) {
        throw corrupt("a response with " + b.remaining() + " trailing bytes");
      }
      ErrorCode code;
      try {
        code = error == null ? null : ErrorCode.valueOf(error);
      } catch (IllegalArgumentException e) {
        throw corrupt("a response with the unknown error code '" + error + "'");
      }
      return new SessionTable.Response(
          fingerprint,
          new Result((flags & 1) != 0, code, message, value, index, (flags & 2) != 0));
    } catch (BufferUnderflowException e) {
      throw corrupt("a truncated response");
    }
  }

  private static byte[] key(byte kind, byte[] rest) {
    return ByteBuffer.allocate(1 + rest.length).put(kind).put(rest).array();
  }

  /** The value after its version byte; {@code length} -1 for any length. */
  private static ByteBuffer versioned(byte[] value, int length, String what) {
    if (value.length == 0 || value[0] != VERSION || (length >= 0 && value.length != length)) {
      throw corrupt(
          "a " + what + " record of " + value.length + " bytes"
              + (value.length == 0 ? "" : ", version " + value[0]));
    }
    return ByteBuffer.wrap(value, 1, value.length - 1);
  }

  private static String getString(ByteBuffer b) {
    int length = b.getInt();
    if (length == -1) {
      return null;
    }
    if (length < 0 || length > b.remaining()) {
      throw corrupt("a string of " + length + " bytes with " + b.remaining() + " left");
    }
    String s = new String(b.array(), b.arrayOffset() + b.position(), length, StandardCharsets.UTF_8);
    b.position(b.position() + length);
    return s;
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static StorageException corrupt(String what) {
    return new StorageException("corrupt session table in the store: " + what);
  }
}
