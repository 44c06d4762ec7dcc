package raftkv.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import raftkv.storage.StateStore.Cursor;
import raftkv.storage.StateStore.Space;

/**
 * How a snapshot travels: the state machine's entries (the keys, then the session records) in key
 * order, cut into chunks of about a given size. A chunk's data is a run of {@code [space: 1 byte]
 * [key length: 4][key][value length: 4][value]}; a {@link Position} says where the next chunk
 * starts, so any chunk can be read again from a frozen view (a resend after a loss). Each chunk's
 * {@link #digest} chains a CRC32C through every chunk before it, so the last one's vouches for the
 * whole snapshot. InstallSnapshot between nodes and backups ({@code kv_client snapshot save}, {@code
 * kvstore restore}) use the same chunks.
 */
public final class SnapshotChunks {
  private SnapshotChunks() {}

  /** The two spaces a snapshot holds, in the order it sends them. */
  private static final List<Space> SPACES = List.of(Space.KEYS, Space.SESSIONS);

  /** Where a chunk starts: in {@code space}, strictly after {@code after} (null: at its start). */
  public record Position(Space space, byte[] after) {
    public static final Position START = new Position(Space.KEYS, null);
  }

  /** One chunk read: its data, where the next one starts, and whether it is the last. */
  public record Chunk(byte[] data, Position next, boolean last) {}

  /** One entry of a chunk. */
  public record Entry(Space space, byte[] key, byte[] value) {}

  /** Reads the chunk that starts at {@code from}: entries until {@code maxBytes} are reached. */
  public static Chunk read(StateStore.View view, Position from, long maxBytes) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    try {
      for (int s = SPACES.indexOf(from.space()); s < SPACES.size(); s++) {
        Space space = SPACES.get(s);
        byte[] start = s == SPACES.indexOf(from.space()) && from.after() != null
            ? successor(from.after())
            : new byte[0];
        try (Cursor c = view.scan(space, start)) {
          for (; c.valid(); c.next()) {
            byte[] key = c.key();
            byte[] value = c.value();
            out.writeByte(space.ordinal());
            out.writeInt(key.length);
            out.write(key);
            out.writeInt(value.length);
            out.write(value);
            if (bytes.size() >= maxBytes) {
              return new Chunk(bytes.toByteArray(), new Position(space, key), false);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Chunk(bytes.toByteArray(), null, true);
  }

  /**
   * Stages {@code entries} of an incoming snapshot in {@link Space#INCOMING} of {@code store}, in
   * one write (see {@link StateStore#stage}): a follower receiving a chunk, a restore reading a
   * backup.
   */
  public static void stage(StateStore store, List<Entry> entries) {
    try (StateStore.Batch batch = store.newBatch()) {
      for (Entry e : entries) {
        batch.put(Space.INCOMING, StateStore.stagedKey(e.space(), e.key()), e.value());
      }
      store.stage(batch);
    }
  }

  /**
   * The entries of a chunk's data.
   *
   * @throws IllegalArgumentException if the data is not a run of whole entries of KEYS or SESSIONS
   */
  public static List<Entry> decode(byte[] data) {
    List<Entry> entries = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(data);
    try {
      while (in.hasRemaining()) {
        int code = in.get();
        if (code != Space.KEYS.ordinal() && code != Space.SESSIONS.ordinal()) {
          throw new IllegalArgumentException("unknown space " + code + " in a snapshot chunk");
        }
        byte[] key = new byte[length(in)];
        in.get(key);
        byte[] value = new byte[length(in)];
        in.get(value);
        entries.add(new Entry(Space.values()[code], key, value));
      }
    } catch (RuntimeException e) {
      if (e instanceof IllegalArgumentException i) {
        throw i;
      }
      throw new IllegalArgumentException("a snapshot chunk cut short or malformed: " + e, e);
    }
    return entries;
  }

  /**
   * A length read from {@code in}, checked against what is left before anything is allocated for
   * it: a damaged length must not make a decode try to allocate gigabytes.
   */
  private static int length(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0 || n > in.remaining()) {
      throw new IllegalArgumentException(
          "a snapshot chunk cut short or malformed: a length of " + n + " with " + in.remaining()
              + " bytes left");
    }
    return n;
  }

    /** The digest of a chunk holding {@code data}, after the chunks whose digest is {@code previous}. */
  public static long digest(long previous, byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(ByteBuffer.allocate(Long.BYTES).putLong(previous).array());
    crc.update(data);
    return crc.getValue();
  }

  /** The smallest key after {@code key} in unsigned byte order: the key with a 0 byte appended. */
  private static byte[] successor(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }
}
