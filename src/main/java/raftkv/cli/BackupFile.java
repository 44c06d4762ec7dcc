package raftkv.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import raftkv.common.Endpoint;
import raftkv.storage.SnapshotChunks;
import raftkv.storage.SnapshotChunks.Entry;
import raftkv.storage.StateStore.Space;

/**
 * The backup file of {@code kv_client snapshot save} and {@code kvstore restore}: the leader's
 * snapshot chunks as they came, framed so that a file cut short, altered, or not a backup at all is
 * told apart from a whole one before anything is restored from it.
 *
 * <pre>
 *   "raftkv-backup 1\n"                        magic and format version (16 bytes)
 *   [header length: 4][header][CRC32C: 4]      header: index 8, term 8, member count 4, members (UTF)
 *   ( 'C' [length: 4][chunk data] )*           chunks, as {@link SnapshotChunks} encodes them
 *   'E' [chunks: 8][entries: 8][digest: 8]     trailer; then the file ends
 * </pre>
 *
 * The trailer's digest is the chain of {@link SnapshotChunks#digest} through every chunk, the one
 * the leader computed as it read its view, so a backup is checked end to end: from the leader's
 * store to the restored one. The trailer comes last and a backup is written to {@code FILE.tmp},
 * synced and only then renamed to {@code FILE}: a backup that failed half way never looks whole.
 */
final class BackupFile {
  private BackupFile() {}

  static final byte[] MAGIC = "raftkv-backup 1\n".getBytes(StandardCharsets.US_ASCII);
  private static final int CHUNK = 'C';
  private static final int END = 'E';
  /** Far above any chunk a leader sends (a few hundred KiB): a larger length is corruption. */
  private static final int MAX_CHUNK_BYTES = 64 << 20;

  /** Where the snapshot is from: its index, the term of the entry there, and the members then. */
  record Header(long index, long term, List<Endpoint> members) {
    Header {
      members = List.copyOf(members);
    }
  }

  /** What a whole backup holds; {@code bytes} is the file's size. */
  record Summary(Header header, long chunks, long entries, long keys, long bytes, long digest) {}

  /** A file refused: {@link #getMessage()} is one line for an operator. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /** Writes one backup: {@link #chunk} for each chunk in order, then {@link #finish}. */
  static final class Writer implements AutoCloseable {
    private final Path file;
    private final Path tmp;
    private final FileChannel channel;
    private final DataOutputStream out;
    private final Header header;
    private long chunks;
    private long entries;
    private long keys;
    private long digest;
    private boolean finished;

    private Writer(Path file, Path tmp, FileChannel channel, Header header) {
      this.file = file;
      this.tmp = tmp;
      this.channel = channel;
      this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
      this.header = header;
    }

    /**
     * Starts a backup to {@code file}, through {@code file.tmp} (replaced if a failed backup left
     * one).
     *
     * @throws Refused if {@code file} exists: a backup never overwrites a file
     */
    static Writer create(Path file, Header header) throws Refused, IOException {
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new Refused(file + " exists: a backup never overwrites a file; give a new name");
      }
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      FileChannel channel =
          FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
      Writer w = new Writer(file, tmp, channel, header);
      try {
        w.out.write(MAGIC);
        byte[] h = encodeHeader(header);
        w.out.writeInt(h.length);
        w.out.write(h);
        w.out.writeInt(crc(h));
      } catch (IOException e) {
        w.close();
        throw e;
      }
      return w;
    }

    /**
     * Adds the next chunk, as the leader sent it with {@code leaderDigest}, the chain through it.
     *
     * @throws Refused if the chunk is not what the leader vouched for (damaged on the way) or
     *     not a run of whole entries
     */
    void chunk(byte[] data, long leaderDigest) throws Refused, IOException {
      long d = SnapshotChunks.digest(digest, data);
      if (d != leaderDigest) {
        throw new Refused("chunk " + chunks + " does not match the leader's checksum");
      }
      List<Entry> decoded;
      try {
        decoded = SnapshotChunks.decode(data);
      } catch (IllegalArgumentException e) {
        throw new Refused("chunk " + chunks + " is malformed: " + e.getMessage());
      }
      out.writeByte(CHUNK);
      out.writeInt(data.length);
      out.write(data);
      digest = d;
      chunks++;
      entries += decoded.size();
      keys += decoded.stream().filter(e -> e.space() == Space.KEYS).count();
    }

    /**
     * Writes the trailer, syncs, and renames {@code file.tmp} to {@code file}.
     *
     * @throws Refused if {@code file} appeared meanwhile (it is left alone)
     */
    Summary finish() throws Refused, IOException {
      out.writeByte(END);
      out.writeLong(chunks);
      out.writeLong(entries);
      out.writeLong(digest);
      out.flush();
      channel.force(true);
      long bytes = channel.size();
      channel.close();
      try {
        // A hard link, not a move: it fails when file exists, where a move would replace it.
        Files.createLink(file, tmp);
        Files.delete(tmp);
      } catch (FileAlreadyExistsException e) {
        throw new Refused(file + " appeared during the backup; it is left alone");
      } catch (UnsupportedOperationException | IOException e) {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
          throw new Refused(file + " appeared during the backup; it is left alone");
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE); // no hard links on this file system
      }
      syncDirectory(file);
      finished = true;
      return new Summary(header, chunks, entries, keys, bytes, digest);
    }

    /** Without {@link #finish}: deletes {@code file.tmp}, so no partial backup is left. */
    @Override
    public void close() {
      if (finished) {
        return;
      }
      try {
        channel.close();
      } catch (IOException e) {
        // deleting it below is what matters
      }
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        // nothing more to do: the name says it is incomplete
      }
    }
  }

  /**
   * Reads and checks the backup in {@code file}, handing each chunk's entries to {@code sink} in
   * order; its summary once the trailer vouches for everything before it. A sink that writes
   * somewhere must be ready to drop what it got when this throws.
   *
   * @throws Refused if the file is missing, not a backup, of another format version, cut short,
   *     or its checksums do not match
   */
  static Summary read(Path file, Consumer<List<Entry>> sink) throws Refused {
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
      byte[] magic = new byte[MAGIC.length];
      int got = in.readNBytes(magic, 0, magic.length);
      if (got < magic.length || !Arrays.equals(magic, MAGIC)) {
        String prefix = "raftkv-backup ";
        byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        if (got >= p.length && Arrays.equals(Arrays.copyOf(magic, p.length), p)) {
          throw new Refused(file + ": a raftkv backup of another format version than 1");
        }
        throw new Refused(file + ": not a raftkv backup");
      }
      int headerLength = in.readInt();
      if (headerLength < 20 || headerLength > 1 << 20) {
        throw new Refused(file + ": corrupt header (length " + headerLength + ")");
      }
      byte[] h = in.readNBytes(headerLength);
      if (h.length < headerLength) {
        throw new EOFException();
      }
      if (in.readInt() != crc(h)) {
        throw new Refused(file + ": corrupt header (checksum mismatch)");
      }
      Header header = decodeHeader(file, h);
      long chunks = 0;
      long entries = 0;
      long keys = 0;
      long digest = 0;
      while (true) {
        int tag = in.read();
        if (tag == -1) {
          throw new EOFException();
        }
        if (tag == END) {
          break;
        }
        if (tag != CHUNK) {
          throw new Refused(file + ": corrupt after chunk " + chunks);
        }
        int length = in.readInt();
        if (length < 0 || length > MAX_CHUNK_BYTES) {
          throw new Refused(file + ": corrupt chunk " + chunks + " (length " + length + ")");
        }
        byte[] data = in.readNBytes(length);
        if (data.length < length) {
          throw new EOFException();
        }
        digest = SnapshotChunks.digest(digest, data);
        List<Entry> decoded;
        try {
          decoded = SnapshotChunks.decode(data);
        } catch (IllegalArgumentException e) {
          throw new Refused(file + ": corrupt chunk " + chunks + " (checksum mismatch)");
        }
        sink.accept(decoded);
        chunks++;
        entries += decoded.size();
        keys += decoded.stream().filter(e -> e.space() == Space.KEYS).count();
      }
      long trailerChunks = in.readLong();
      long trailerEntries = in.readLong();
      long trailerDigest = in.readLong();
      if (in.read() != -1) {
        throw new Refused(file + ": corrupt (bytes after the trailer)");
      }
      if (trailerDigest != digest || trailerChunks != chunks || trailerEntries != entries) {
        throw new Refused(file + ": corrupt (checksum mismatch)");
      }
      return new Summary(header, chunks, entries, keys, Files.size(file), digest);
    } catch (EOFException e) {
      throw new Refused(file + ": truncated (it ends before its trailer): an incomplete backup");
    } catch (NoSuchFileException e) {
      throw new Refused(file + ": no such file");
    } catch (IOException e) {
      throw new Refused(file + ": cannot read (" + e.getMessage() + ")");
    }
  }

  private static byte[] encodeHeader(Header h) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeLong(h.index());
    out.writeLong(h.term());
    out.writeInt(h.members().size());
    for (Endpoint e : h.members()) {
      out.writeUTF(e.toString());
    }
    out.flush();
    return bytes.toByteArray();
  }

  private static Header decodeHeader(Path file, byte[] h) throws Refused {
    try (DataInputStream data = new DataInputStream(new ByteArrayInputStream(h))) {
      long index = data.readLong();
      long term = data.readLong();
      int n = data.readInt();
      if (index < 0 || term < 0 || n < 0 || n > 1000) {
        throw new Refused(file + ": corrupt header");
      }
      List<Endpoint> members = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        members.add(Endpoint.parse(data.readUTF(), "127.0.0.1"));
      }
      if (data.available() > 0) {
        throw new Refused(file + ": corrupt header (" + data.available() + " bytes too many)");
      }
      return new Header(index, term, members);
    } catch (IOException | IllegalArgumentException e) {
      throw new Refused(file + ": corrupt header");
    }
  }

  private static int crc(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes);
    return (int) c.getValue();
  }

  /** Makes the rename durable: a crash right after must not lose the file's name. */
  private static void syncDirectory(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the file itself is synced.
    }
  }
}
