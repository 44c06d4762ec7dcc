package raftkv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.api.ClientProtocol.Continuation;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.Limits;
import raftkv.api.Op;
import raftkv.kv.KvStateMachine.ScanPage;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.LogEntry;
import raftkv.storage.RocksDbStorage;
import raftkv.storage.StateStore;

/**
 * How the state machine builds a scan's page, on both stores: the prefix bounds it in byte order,
 * the limit and the byte cap end it early (never before one entry), and the continuation resumes
 * strictly after the page's last key, until every matching key was seen exactly once.
 */
class KvStateMachineScanTest {

  @Nested
  class InMemory extends Pages {
    @Override
    StateStore newStore() {
      return new InMemoryStateStore();
    }
  }

  @Nested
  class OnRocksDb extends Pages {
    @TempDir Path tmp;
    private final List<RocksDbStorage> opened = new ArrayList<>();

    @Override
    StateStore newStore() {
      RocksDbStorage s = RocksDbStorage.open(tmp.resolve("store-" + opened.size()), 1);
      opened.add(s);
      // The stored applied index may not pass the log's end: a log of no-ops covers it.
      List<LogEntry> noops = new ArrayList<>();
      for (long i = 1; i <= 1_000; i++) {
        noops.add(LogEntry.noop(i, 1));
      }
      s.append(noops);
      return s.stateStore();
    }

    @AfterEach
    void close() {
      opened.forEach(RocksDbStorage::close);
    }
  }

  abstract static class Pages {
    abstract StateStore newStore();

    private KvStateMachine machine;
    private long index;
    private long seq;
    /** What the machine should hold: the naive model a page is checked against. */
    private final TreeMap<String, String> model = new TreeMap<>(KvStateMachineScanTest::byteOrder);

    private KvStateMachine machine() {
      if (machine == null) {
        machine = new KvStateMachine(newStore(), 60_000, 100, 4, 60_000, 100);
        machine.apply(++index, 1, KvCommand.register("c", 0));
      }
      return machine;
    }

    private void put(String key, String value) {
      machine().apply(++index, 1, new KvCommand("c", ++seq, 0, new Op.Put(key, value)));
      model.put(key, value);
    }

    private void delete(String key) {
      machine().apply(++index, 1, new KvCommand("c", ++seq, 0, new Op.Delete(key)));
      model.remove(key);
    }

    private ScanPage scan(String prefix, String after, int limit, boolean keysOnly) {
      return machine().scan(prefix, after, limit, keysOnly, Limits.MAX_SCAN_PAGE_BYTES);
    }

    /** Every page of a scan, following the continuations. */
    private List<ScanPage> pages(String prefix, int limit, boolean keysOnly) {
      List<ScanPage> pages = new ArrayList<>();
      String after = null;
      do {
        if (pages.size() == 50) {
          throw new AssertionError("a scan of " + prefix + " did not end in 50 pages");
        }
        ScanPage p = scan(prefix, after, limit, keysOnly);
        pages.add(p);
        after = p.continuation() == null ? null : Continuation.key(p.continuation()).orElseThrow();
      } while (after != null);
      return pages;
    }

    private List<ScanEntry> expected(String prefix) {
      return model.entrySet().stream()
          .filter(e -> e.getKey().startsWith(prefix))
          .map(e -> new ScanEntry(e.getKey(), e.getValue()))
          .toList();
    }

    private void someKeys() {
      for (String k : List.of("a", "a/1", "a/2", "a/10", "ab", "b", "b/1", "a\u00e9", "a\uD83D\uDE00", "`z")) {
        put(k, "v-" + k);
      }
      put("a/3", "gone");
      delete("a/3");
      machine().endBatch();
    }

    @Test
    void aPrefixMatchesExactlyTheKeysThatStartWithIt() {
      someKeys();
      ScanPage a = scan("a", null, 100, false);
      assertThat(a.entries()).isEqualTo(expected("a"));
      assertThat(a.entries()).extracting(ScanEntry::key).doesNotContain("b", "b/1", "`z", "a/3");
      assertThat(a.continuation()).isNull();
      assertThat(scan("a/", null, 100, false).entries()).isEqualTo(expected("a/"));
      assertThat(scan("b", null, 100, false).entries()).isEqualTo(expected("b"));
      assertThat(scan("c", null, 100, false).entries()).isEmpty();
    }

    @Test
    void anEmptyPrefixScansEveryKeyInByteOrder() {
      someKeys();
      ScanPage all = scan("", null, 100, false);
      assertThat(all.entries()).isEqualTo(expected(""));
      assertThat(all.entries()).hasSize(10);
      // UTF-8 byte order: the emoji (F0 ...) sorts after é (C3 A9), both after every ASCII key.
      assertThat(all.entries().get(all.entries().size() - 1).key()).isEqualTo("b/1");
      assertThat(all.entries()).extracting(ScanEntry::key).containsSubsequence("ab", "a\u00e9", "a\uD83D\uDE00", "b");
      assertThat(scan(null, null, 100, false).entries()).isEqualTo(all.entries());
    }

    @Test
    void keysOnlyLeavesTheValuesOut() {
      someKeys();
      ScanPage p = scan("a/", null, 100, true);
      assertThat(p.entries()).extracting(ScanEntry::key).containsExactly("a/1", "a/10", "a/2");
      assertThat(p.entries()).extracting(ScanEntry::value).containsOnlyNulls();
    }

    @Test
    void theLimitEndsAPageAndTheContinuationResumesStrictlyAfterIt() {
      someKeys();
      ScanPage first = scan("a", null, 2, false);
      assertThat(first.entries()).isEqualTo(expected("a").subList(0, 2));
      assertThat(first.continuation()).isEqualTo(Continuation.after(first.entries().get(1).key()));
      ScanPage second = scan("a", Continuation.key(first.continuation()).orElseThrow(), 2, false);
      assertThat(second.entries()).isEqualTo(expected("a").subList(2, 4));

      List<ScanPage> pages = pages("a", 2, false);
      assertThat(pages.stream().flatMap(p -> p.entries().stream()).toList()).isEqualTo(expected("a"));
      // 7 keys in pages of 2: the last page holds one, and says it is the last.
      assertThat(pages).hasSize(4);
      assertThat(pages.get(3).continuation()).isNull();
      assertThat(pages.subList(0, 3)).allSatisfy(p -> assertThat(p.continuation()).isNotNull());
    }

    @Test
    void aPageThatEndsExactlyAtTheLastKeyHasNoContinuation() {
      someKeys();
      // "a/" has 3 keys: a page of 3 holds them all, and there is nothing after.
      assertThat(scan("a/", null, 3, false).continuation()).isNull();
      assertThat(scan("a/", null, 2, false).continuation()).isNotNull();
    }

    @Test
    void aContinuationBeforeThePrefixStartsAtThePrefixAndOnePastItEndsTheScan() {
      someKeys();
      assertThat(scan("b", "a", 100, false).entries()).isEqualTo(expected("b"));
      assertThat(scan("a", "a\uD83D\uDE00", 100, false).entries()).isEmpty();
      // The key "a" itself matches prefix "a"; after "a" it is left out, "a/1" is next.
      assertThat(scan("a", "a", 1, false).entries()).extracting(ScanEntry::key).containsExactly("a/1");
    }

    @Test
    void theByteCapEndsAPageButNeverBeforeOneEntry() {
      String big = "x".repeat(Limits.MAX_VALUE_BYTES);
      put("k1", big);
      put("k2", big);
      put("k3", "small");
      machine().endBatch();
      ScanPage first = scan("k", null, 100, false);
      // 1 MiB + 1 MiB would pass the 1.5 MiB cap: one value alone.
      assertThat(first.entries()).extracting(ScanEntry::key).containsExactly("k1");
      assertThat(first.continuation()).isNotNull();
      List<ScanPage> pages = pages("k", 100, false);
      assertThat(pages).hasSize(2);
      assertThat(pages.get(1).entries()).extracting(ScanEntry::key).containsExactly("k2", "k3");
      // Without the values the three keys fit one page.
      assertThat(scan("k", null, 100, true).entries()).hasSize(3);
      // A cap below one entry still returns that entry, one per page.
      assertThat(machine().scan("k", null, 100, true, 1).entries()).hasSize(1);
    }

    @Test
    void manyKeysAcrossManyPagesAreEachSeenOnce() {
      for (int i = 0; i < 500; i++) {
        put(String.format("p/%04d", (i * 7919) % 500), "v" + i);
        put("q/" + i, "other");
        if (i % 50 == 49) {
          machine().endBatch();
        }
      }
      machine().endBatch();
      List<ScanPage> pages = pages("p/", 37, true);
      List<String> keys = pages.stream().flatMap(p -> p.entries().stream()).map(ScanEntry::key).toList();
      assertThat(keys).isEqualTo(expected("p/").stream().map(ScanEntry::key).toList());
      assertThat(keys).hasSize(500).doesNotHaveDuplicates();
      assertThat(pages).hasSize((500 + 36) / 37);
    }

    @Test
    void aScanInsideABatchIsRefused() {
      someKeys();
      put("a/4", "not yet stored");
      assertThatThrownBy(() -> scan("a", null, 10, false)).isInstanceOf(IllegalStateException.class);
      machine().endBatch();
      assertThat(scan("a/4", null, 10, false).entries()).containsExactly(new ScanEntry("a/4", "not yet stored"));
    }
  }

  /** Unsigned byte order of the UTF-8 forms, the store's order. */
  static int byteOrder(String a, String b) {
    return java.util.Arrays.compareUnsigned(
        a.getBytes(java.nio.charset.StandardCharsets.UTF_8), b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
