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
    return String.format(Locale.ROOT, "k%015d", Math.floorMod(i, KEYSPACE));
  }

  static String value(long seed) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder(100);
    for (int i = 0; i < 100; i++) {
      sb.append((char) ('!' + r.nextInt(94)));
    }
    return sb.toString();
  }
}
