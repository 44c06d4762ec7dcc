package raftkv.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import raftkv.storage.LogEntry;

/**
 * Raft's safety properties (§5.4.3, Figure 3) for one simulated cluster, checked as the cluster
 * runs and cheaply enough to do at every event:
 *
 * <ul>
 *   <li>Election Safety: at most one leader per term.
 *   <li>Log Matching: two logs holding an entry with the same index and term hold the same entries
 *       up to it (checked on every write, through a hash of each log prefix).
 *   <li>State Machine Safety: no two nodes commit different entries at one index, and no node ever
 *       removes a committed entry from its log.
 *   <li>Leader Completeness: a leader holds every entry committed in an earlier term.
 *   <li>Durability: every committed entry is on the synced disk of a majority.
 * </ul>
 *
 * <p>The disks report their writes from inside the node's actor, where an exception would only
 * stop that node; so a violation is recorded and raised by {@link #assertNoViolation()}, which the
 * cluster calls after every event.
 */
final class SafetyChecker {

  private final int size;
  private final List<List<Long>> prefixHashes = new ArrayList<>();
  /** (index, term) -> hash of the log prefix ending there, as first seen on any node. */
  private final Map<Long, Map<Long, Long>> prefixByIndexAndTerm = new HashMap<>();
  /** Committed entries by index - 1, and the term in which each was first seen committed. */
  private final List<LogEntry> committed = new ArrayList<>();
  private final List<Long> committedSeenInTerm = new ArrayList<>();
  private final Map<Long, Integer> leaderOfTerm = new HashMap<>();
  private final Set<String> leadersChecked = new HashSet<>();
  private String violation;

  SafetyChecker(int size) {
    this.size = size;
    for (int i = 0; i < size; i++) {
      prefixHashes.add(new ArrayList<>());
    }
  }

  /**
   * Node {@code node}'s log now holds {@code added} from index {@code from}, replacing {@code
   * removed}; {@code crash} when a crash lost the unsynced entries (a leader's own copy of a
   * committed entry may be among them: the majority that committed it holds it).
   */
  synchronized void replaced(int node, long from, List<LogEntry> removed, List<LogEntry> added, boolean crash) {
    for (int k = 0; k < removed.size() && !crash; k++) {
      long index = from + k;
      LogEntry c = committedAt(index);
      LogEntry now = k < added.size() ? added.get(k) : null;
      if (c != null && c.equals(removed.get(k)) && !c.equals(now)) {
        fail("State Machine Safety: n%d removed committed entry %s (replaced by %s)", node + 1, c, now);
      }
    }
    List<Long> hashes = prefixHashes.get(node);
    while (hashes.size() >= from) {
      hashes.remove(hashes.size() - 1);
    }
    long h = hashes.isEmpty() ? 0 : hashes.get(hashes.size() - 1);
    for (LogEntry e : added) {
      h = mix(h * 0x9E3779B97F4A7C15L + e.hashCode() + 31L * e.term());
      hashes.add(h);
      Long before = prefixByIndexAndTerm.computeIfAbsent(e.index(), i -> new HashMap<>()).putIfAbsent(e.term(), h);
      if (before != null && before != h) {
        fail("Log Matching: n%d's log up to %s differs from another log holding that entry", node + 1, e);
      }
    }
  }

  /**
   * Node {@code node} installed a snapshot up to {@code index} (an entry of {@code term}): it kept
   * its log after it ({@code keptSuffix}, its log held that entry), or dropped the whole log
   * ({@code dropped}: the entries after the snapshot it lost). The snapshot must hold the committed
   * prefix, no committed entry may go, and the node's log from then on continues that prefix.
   */
  synchronized void installed(int node, long index, long term, boolean keptSuffix, List<LogEntry> dropped) {
    LogEntry c = committedAt(index);
    if (c != null && c.term() != term) {
      fail("State Machine Safety: n%d installed a snapshot up to %d@%d where %s was committed", node + 1, index, term, c);
    }
    Long prefix = prefixByIndexAndTerm.getOrDefault(index, Map.of()).get(term);
    if (prefix == null) {
      fail("n%d installed a snapshot up to %d@%d, an entry no log ever held", node + 1, index, term);
      return;
    }
    for (LogEntry e : dropped) {
      LogEntry at = committedAt(e.index());
      if (at != null && at.equals(e)) {
        // Dropped with the rest of the log (the snapshot's entry differed from ours): it was
        // committed, so ours had to match at the snapshot's index.
        fail("State Machine Safety: n%d dropped committed %s with its log", node + 1, e);
      }
    }
    if (keptSuffix) {
      return; // its log up to the snapshot was the committed prefix already: its hashes stand
    }
    // Its log now continues that prefix; no write goes below it again, so only its last hash counts.
    List<Long> hashes = prefixHashes.get(node);
    hashes.clear();
    for (long i = 1; i < index; i++) {
      hashes.add(0L);
    }
    hashes.add(prefix);
  }

  /**
   * Node {@code node}, in {@code term}, compacted {@code removed} away: its state machine holds
   * them, so they are committed; they must agree with what is known committed, and they extend it.
   */
  synchronized void compacted(int node, long term, List<LogEntry> removed) {
    for (LogEntry e : removed) {
      if (e.index() <= committed.size()) {
        if (!committed.get((int) e.index() - 1).equals(e)) {
          fail("State Machine Safety: n%d compacted %s where %s was committed", node + 1, e, committed.get((int) e.index() - 1));
        }
      } else if (e.index() == committed.size() + 1) {
        committed.add(e);
        committedSeenInTerm.add(term);
      }
    }
  }

  /** Node {@code node} says it leads in {@code term}; {@code log} reads its log. */
  synchronized void leader(int node, long term, SimDisk log) {
    Integer other = leaderOfTerm.putIfAbsent(term, node);
    if (other != null && other != node) {
      fail("Election Safety: n%d and n%d both lead term %d", other + 1, node + 1, term);
    }
    if (!leadersChecked.add(node + "@" + term)) {
      return;
    }
    // Log Matching makes the highest entry committed before this term stand for all before it.
    for (int i = committed.size() - 1; i >= 0; i--) {
      if (committedSeenInTerm.get(i) < term) {
        LogEntry want = committed.get(i);
        if (i + 1 < log.firstIndex()) {
          return; // compacted: its state machine holds it (checked when it was committed)
        }
        LogEntry have = i + 1 <= log.lastIndex() ? log.entry(i + 1) : null;
        if (!want.equals(have)) {
          fail("Leader Completeness: leader n%d of term %d lacks committed %s (has %s)", node + 1, term, want, have);
        }
        return;
      }
    }
  }

  /** Node {@code node}, in {@code term}, says entries up to {@code commitIndex} are committed. */
  synchronized void committed(int node, long term, long fromExclusive, long commitIndex, SimDisk log) {
    if (commitIndex > log.lastIndex()) {
      fail("n%d commits %d beyond its last index %d", node + 1, commitIndex, log.lastIndex());
      return;
    }
    for (long index = Math.max(fromExclusive + 1, log.firstIndex()); index <= commitIndex; index++) {
      LogEntry e = log.entry(index);
      if (index <= committed.size()) {
        if (!committed.get((int) index - 1).equals(e)) {
          fail("State Machine Safety: n%d commits %s where %s was committed", node + 1, e, committed.get((int) index - 1));
        }
      } else if (index == committed.size() + 1) {
        committed.add(e);
        committedSeenInTerm.add(term);
      }
    }
  }

  /** Every committed entry is durable on a majority; Log Matching lets the last one stand for all. */
  synchronized void checkDurable(List<SimDisk> disks) {
    if (committed.isEmpty()) {
      return;
    }
    LogEntry last = committed.get(committed.size() - 1);
    int holding = 0;
    for (SimDisk d : disks) {
      if (d.durablyHolds(last.index(), last.term())) {
        holding++;
      }
    }
    if (holding <= size / 2) {
      fail("Durability: committed %s is on the synced disk of %d of %d nodes", last, holding, size);
    }
  }

  synchronized List<LogEntry> committedEntries() {
    return List.copyOf(committed);
  }

  synchronized long committedCount() {
    return committed.size();
  }

  synchronized Set<Long> termsWithALeader() {
    return new HashSet<>(leaderOfTerm.keySet());
  }

  synchronized void assertNoViolation() {
    if (violation != null) {
      throw new AssertionError(violation);
    }
  }

  private LogEntry committedAt(long index) {
    return index >= 1 && index <= committed.size() ? committed.get((int) index - 1) : null;
  }

  private void fail(String format, Object... args) {
    if (violation == null) {
      violation = String.format(format, args);
    }
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
