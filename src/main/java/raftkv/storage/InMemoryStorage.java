package raftkv.storage;

import java.util.List;
import java.util.Optional;
import raftkv.common.Endpoint;

/**
 * Storage kept in memory: for tests, where one object outliving a node's actor stands for its disk,
 * the state machine's data included ({@link InMemoryStateStore}).
 * Counts the syncs a real store would make, so tests can check that writes share them. The
 * simulation's disk ({@code raftkv.sim.SimDisk}) extends it with what a power failure loses.
 */
public class InMemoryStorage implements RaftStorage {

  private long term;
  private Optional<Endpoint> votedFor = Optional.empty();
  private long commitHint;
  /** The log as written; a subclass that simulates a disk also reads what it replaces. */
  protected final InMemoryLog log = new InMemoryLog();
  private final InMemoryStateStore state;
  private long syncs;

  public InMemoryStorage() {
    this(new InMemoryStateStore());
  }

  /** With {@code state} as the state machine's data (a simulated disk passes one that tracks writes). */
  protected InMemoryStorage(InMemoryStateStore state) {
    this.state = state;
  }

  @Override
  public InMemoryStateStore stateStore() {
    return state;
  }

  @Override
  public synchronized long currentTerm() {
    return term;
  }

  @Override
  public synchronized Optional<Endpoint> votedFor() {
    return votedFor;
  }

  @Override
  public synchronized void saveTermAndVote(long term, Optional<Endpoint> votedFor) {
    setTermAndVote(term, votedFor);
    sync();
  }

  /** Sets term and vote without a sync: what a simulated disk restores after a power failure. */
  protected synchronized void setTermAndVote(long term, Optional<Endpoint> votedFor) {
    this.term = term;
    this.votedFor = votedFor;
  }

  @Override
  public synchronized long commitHint() {
    return commitHint;
  }

  @Override
  public synchronized void saveCommitHint(long commitIndex) {
    this.commitHint = commitIndex;
  }

  @Override
  public synchronized long firstIndex() {
    return log.firstIndex();
  }

  @Override
  public synchronized long lastIndex() {
    return log.lastIndex();
  }

  @Override
  public synchronized long lastTerm() {
    return log.lastTerm();
  }

  @Override
  public synchronized long termAt(long index) {
    return log.termAt(index);
  }

  @Override
  public synchronized LogEntry entry(long index) {
    return log.entry(index);
  }

  @Override
  public synchronized List<LogEntry> entries(long from, long toInclusive, long maxBytes) {
    return log.entries(from, toInclusive, maxBytes);
  }

  @Override
  public synchronized void sync() {
    syncs++;
  }

  @Override
  public synchronized void appendUnsynced(List<LogEntry> entries) {
    log.append(entries);
  }

  @Override
  public synchronized void compact(long upTo) {
    long applied = state.appliedIndex();
    if (upTo > applied) {
      throw new IllegalArgumentException(
          "cannot compact up to " + upTo + ": the state machine is stored up to " + applied);
    }
    sync(); // the state machine's data up to its applied index, before the entries it replaces go
    log.compact(upTo);
    sync();
  }

  @Override
  public synchronized void beginInstall(long index, long term) {
    if (index >= log.firstIndex() && index <= log.lastIndex() && log.termAt(index) == term) {
      log.compact(index);
    } else {
      log.reset(index, term);
    }
    try (StateStore.Batch marker = state.newBatch()) {
      marker.put(StateStore.Space.INCOMING, StateStore.INSTALL_MARKER,
          java.nio.ByteBuffer.allocate(Long.BYTES).putLong(index).array());
      state.stage(marker);
    }
    sync(); // the staged snapshot, its marker and the log's new start: durable together
  }

  @Override
  public synchronized long logBytes() {
    return log.bytes();
  }

  /** A copy of every entry, for assertions. */
  public synchronized List<LogEntry> snapshotOfLog() {
    return log.copy();
  }

  /** How many synced writes a disk would have made so far. */
  public synchronized long syncs() {
    return syncs;
  }

  @Override
  public void close() {}
}
