package raftkv.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import raftkv.api.Limits;
import raftkv.api.Op;

/**
 * The binary form of a {@link KvCommand}: the data of a COMMAND log entry, stored on disk and sent
 * to followers. Written by hand so that it never depends on Java serialization or on a library's
 * defaults. Once released, a version's layout never changes: a new layout takes a new version byte,
 * and {@link #decode} keeps reading the old ones.
 *
 * <p>Version 2 (written since registrations exist), all integers big-endian:
 *
 * <pre>
 * command := u8 version (= 2)
 *            u8 kind, then by kind:
 *            1 write     string clientId, i64 seq, i64 timestampMillis, op
 *            2 register  string clientId (null: the cluster chooses), i64 timestampMillis
 * </pre>
 *
 * <p>Version 1 (read, and written only for a {@link KvCommand.Kind#V1_WRITE}), decoded as a {@link
 * KvCommand.Kind#V1_WRITE}:
 *
 * <pre>
 * command := u8 version (= 1)
 *            string clientId
 *            i64 seq
 *            i64 timestampMillis
 *            op
 * op      := u8 tag, then by tag:
 *            1 put     string key, string value
 *            2 delete  string key
 *            3 cas     string key, string expected, string value
 *            4 incr    string key, i64 delta
 * string  := i32 length, then length bytes of UTF-8;
 *            length -1 (and no bytes) is null, so cas's absent expected differs from ""
 * </pre>
 *
 * <p>Any string may be null in the format; whether a null is acceptable is for {@link Limits} to
 * say, so that such a command is refused the same way on every replica rather than lost.
 */
public final class CommandCodec {

  /** The version {@link #encode} writes. */
  public static final byte VERSION = 2;

  /** The layout before registrations: one write, no kind byte. */
  static final byte VERSION_1 = 1;

  static final byte KIND_WRITE = 1;
  static final byte KIND_REGISTER = 2;

  static final byte TAG_PUT = 1;
  static final byte TAG_DELETE = 2;
  static final byte TAG_CAS = 3;
  static final byte TAG_INCR = 4;

  private CommandCodec() {}

  /**
   * Encodes {@code c} in the current version.
   *
   * @throws IllegalArgumentException if it has no op or a string has no UTF-8 form (an unpaired
   *     surrogate; {@link Limits#check} refuses those first)
   */
  public static byte[] encode(KvCommand c) {
    byte[] clientId = utf8("client id", c.clientId());
    if (c.kind() == KvCommand.Kind.REGISTER) {
      ByteBuffer b = ByteBuffer.allocate(2 + size(clientId) + 8);
      b.put(VERSION).put(KIND_REGISTER);
      putString(b, clientId);
      b.putLong(c.timestampMillis());
      return b.array();
    }
    byte[][] opStrings = opStrings(c.op());
    boolean v1 = c.kind() == KvCommand.Kind.V1_WRITE;
    ByteBuffer b =
        ByteBuffer.allocate((v1 ? 1 : 2) + size(clientId) + 16 + opSize(c.op(), opStrings));
    if (v1) {
      b.put(VERSION_1);
    } else {
      b.put(VERSION).put(KIND_WRITE);
    }
    putString(b, clientId);
    b.putLong(c.seq());
    b.putLong(c.timestampMillis());
    putOp(b, c.op(), opStrings);
    return b.array();
  }

  /**
   * Decodes what {@link #encode} wrote, in any version it ever wrote.
   *
   * @throws IllegalArgumentException "corrupt command: ..." for anything else: truncated, unknown
   *     version or op tag, a bad length, invalid UTF-8, trailing bytes
   */
  public static KvCommand decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw corrupt("no bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      byte version = b.get();
      KvCommand.Kind kind;
      if (version == VERSION_1) {
        kind = KvCommand.Kind.V1_WRITE;
      } else if (version == VERSION) {
        byte k = b.get();
        if (k == KIND_WRITE) {
          kind = KvCommand.Kind.WRITE;
        } else if (k == KIND_REGISTER) {
          kind = KvCommand.Kind.REGISTER;
        } else {
          throw corrupt("unknown command kind " + k);
        }
      } else {
        throw corrupt(
            "unknown format version " + version + " (this build reads 1 and " + VERSION + ")");
      }
      String clientId = getString(b);
      if (kind == KvCommand.Kind.REGISTER) {
        long timestampMillis = b.getLong();
        if (b.hasRemaining()) {
          throw corrupt(b.remaining() + " trailing bytes after the registration");
        }
        return KvCommand.register(clientId, timestampMillis);
      }
      long seq = b.getLong();
      long timestampMillis = b.getLong();
      Op op = getOp(b);
      if (b.hasRemaining()) {
        throw corrupt(b.remaining() + " trailing bytes after the op");
      }
      return new KvCommand(kind, clientId, seq, timestampMillis, op);
    } catch (BufferUnderflowException e) {
      throw corrupt("truncated at byte " + b.position() + " of " + bytes.length);
    }
  }

  /**
   * A 64-bit digest of {@code op} (the first 8 bytes of SHA-256 over its encoding), kept with a
   * cached response to tell a genuine retry (same op) from a seq reused for another op.
   */
  public static long fingerprint(Op op) {
    byte[][] strings = opStrings(op);
    ByteBuffer b = ByteBuffer.allocate(opSize(op, strings));
    putOp(b, op, strings);
    try {
      return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(b.array())).getLong();
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256.
      throw new IllegalStateException(e);
    }
  }

  private static byte[][] opStrings(Op op) {
    if (op == null) {
      throw new IllegalArgumentException("cannot encode a command without an op");
    }
    byte[] key = utf8("key", op.key());
    if (op instanceof Op.Put p) {
      return new byte[][] {key, utf8("value", p.value())};
    }
    if (op instanceof Op.Cas c) {
      return new byte[][] {key, utf8("expected value", c.expected()), utf8("value", c.value())};
    }
    return new byte[][] {key};
  }

  private static int opSize(Op op, byte[][] strings) {
    int size = 1 + (op instanceof Op.Incr ? 8 : 0);
    for (byte[] s : strings) {
      size += size(s);
    }
    return size;
  }

  private static void putOp(ByteBuffer b, Op op, byte[][] strings) {
    b.put(tag(op));
    for (byte[] s : strings) {
      putString(b, s);
    }
    if (op instanceof Op.Incr i) {
      b.putLong(i.delta());
    }
  }

  private static byte tag(Op op) {
    if (op instanceof Op.Put) {
      return TAG_PUT;
    }
    if (op instanceof Op.Delete) {
      return TAG_DELETE;
    }
    if (op instanceof Op.Cas) {
      return TAG_CAS;
    }
    if (op instanceof Op.Incr) {
      return TAG_INCR;
    }
    throw new IllegalArgumentException("unknown op " + op.getClass().getName());
  }

  private static Op getOp(ByteBuffer b) {
    byte tag = b.get();
    switch (tag) {
      case TAG_PUT:
        return new Op.Put(getString(b), getString(b));
      case TAG_DELETE:
        return new Op.Delete(getString(b));
      case TAG_CAS:
        return new Op.Cas(getString(b), getString(b), getString(b));
      case TAG_INCR:
        return new Op.Incr(getString(b), b.getLong());
      default:
        throw corrupt("unknown op tag " + tag);
    }
  }

  private static byte[] utf8(String what, String s) {
    if (s == null) {
      return null;
    }
    if (Limits.utf8Length(s) < 0) {
      throw new IllegalArgumentException(
          "cannot encode the " + what + ": it holds an unpaired surrogate");
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The bytes {@link #putString} takes for {@code s} (UTF-8, or null). */
  static int size(byte[] s) {
    return 4 + (s == null ? 0 : s.length);
  }

  /** A length-prefixed string (-1 for null), as the session records also store it. */
  static void putString(ByteBuffer b, byte[] s) {
    if (s == null) {
      b.putInt(-1);
    } else {
      b.putInt(s.length).put(s);
    }
  }

  private static String getString(ByteBuffer b) {
    int at = b.position();
    int length = b.getInt();
    if (length == -1) {
      return null;
    }
    if (length < 0) {
      throw corrupt("string length " + length + " at byte " + at);
    }
    if (length > b.remaining()) {
      throw corrupt(
          "truncated: a string of " + length + " bytes at byte " + at + ", " + b.remaining()
              + " left");
    }
    ByteBuffer slice = b.slice();
    slice.limit(length);
    b.position(b.position() + length);
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder().decode(slice);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw corrupt("invalid UTF-8 in the string at byte " + at);
    }
  }

  private static IllegalArgumentException corrupt(String detail) {
    return new IllegalArgumentException("corrupt command: " + detail);
  }
}
