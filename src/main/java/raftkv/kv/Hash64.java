package raftkv.kv;

import raftkv.api.Result;

/**
 * A 64-bit FNV-1a hash finished with the SplitMix64 mixer, for replica digests. Stable across JVMs
 * (unlike {@code hashCode} of most types); not cryptographic.
 */
final class Hash64 {

  private long h = 0xcbf29ce484222325L;

  Hash64 add(long v) {
    for (int shift = 0; shift < 64; shift += 8) {
      h = (h ^ ((v >>> shift) & 0xff)) * 0x100000001b3L;
    }
    return this;
  }

  Hash64 add(boolean v) {
    return add(v ? 1 : 0);
  }

  /** Adds the length, then the chars; null adds a marker no string produces. */
  Hash64 add(String s) {
    if (s == null) {
      return add(-1L);
    }
    add(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      h = (h ^ (c & 0xff)) * 0x100000001b3L;
      h = (h ^ (c >>> 8)) * 0x100000001b3L;
    }
    return this;
  }

  Hash64 add(Result r) {
    return add(r.ok())
        .add(r.error() == null ? null : r.error().name())
        .add(r.message())
        .add(r.value())
        .add(r.index())
        .add(r.duplicate());
  }

  long value() {
    long z = h;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
