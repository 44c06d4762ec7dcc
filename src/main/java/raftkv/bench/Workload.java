package raftkv.bench;

import java.util.Locale;
import java.util.Random;

/** The etcd baseline's data: 16-byte keys over a key space of 5,000, 100-byte values. */
final class Workload {
  static final int KEYSPACE = 5000;

  /** 100 printable ASCII characters (100 bytes in UTF-8), the same for every write. */
  static final String VALUE = value(42);

  private Workload() {}

  /** The key of op {@code i}: {@code k%015d} of i modulo the key space, 16 bytes. */
  static String key(long i) {
    return key(i, KEYSPACE);
  }

  /** The key of op {@code i} in a key space of {@code keys}. */
  static String key(long i, int keys) {
    return String.format(Locale.ROOT, "k%015d", Math.floorMod(i, keys));
  }

  static String value(long seed) {
    return value(seed, 100);
  }

  /** {@code bytes} printable ASCII characters (as many bytes in UTF-8), the same for a seed. */
  static String value(long seed, int bytes) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder(bytes);
    for (int i = 0; i < bytes; i++) {
      sb.append((char) ('!' + r.nextInt(94)));
    }
    return sb.toString();
  }

  /**
   * The key space for values of {@code bytes}: the baseline's 5,000 keys, fewer for large values
   * so that at most {@code maxBytes} of values are live (the nodes keep the map in their heap).
   */
  static int keysFor(int bytes, long maxBytes) {
    return (int) Math.max(1, Math.min(KEYSPACE, maxBytes / Math.max(1, bytes)));
  }
}
