package raftkv.raft.core;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.slf4j.LoggerFactory;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Effects.ClientEffect;
import raftkv.raft.core.Effects.Outbound;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.raft.core.Rpc.PeerMessage;
import raftkv.raft.core.Rpc.PreVoteReply;
import raftkv.raft.core.Rpc.RequestVoteReply;
import raftkv.storage.EntryType;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;

/**
 * Drives the pure core of n1 (peers n2, n3) as the node actor would, without an actor: each input
 * is stepped, its storage effects are applied to an in-memory log, follow-ups run at once, and what
 * it sent and told callers is collected for the test to read. Time passes only as ticks the test
 * steps ({@link Input.Tick#ELECTION}, ...); the effects of each step are kept, so a test can check
 * what one step asked for together (a reply and the write it must follow).
 */
final class CoreDriver {
  static final Endpoint N1 = new Endpoint("127.0.0.1", 9001);
  static final Endpoint N2 = new Endpoint("127.0.0.1", 9002);
  static final Endpoint N3 = new Endpoint("127.0.0.1", 9003);

  /** A caller the test can recognise in the effects. */
  record TestCaller(String name) implements Caller {}

  /** A proposal of a fixed payload. */
  record Bytes(byte[] data) implements Input.Proposal {
    @Override
    public EntryType type() {
      return EntryType.COMMAND;
    }

    @Override
    public byte[] encode(long timestampMillis) {
      return data;
    }
  }

  final InMemoryStorage storage;
  final RaftSettings settings;
  final RaftCore core;
  RaftState state;
  final List<Outbound> sent = new ArrayList<>();
  final List<ClientEffect> told = new ArrayList<>();
  /** The effects of every step since the last {@link #deliver}: the input's own, then follow-ups. */
  final List<Effects> steps = new ArrayList<>();
  int flushesQueued;

  /**
   * Starts n1's core on {@code storage} as the node does, from the term, vote and commit hint it
   * holds: a second driver on the storage of a first one is that node restarted.
   */
  CoreDriver(RaftSettings settings, long seed, InMemoryStorage storage) {
    this.storage = storage;
    this.settings = settings;
    Clock clock = Clock.fixed(Instant.ofEpochMilli(1_000_000), ZoneOffset.UTC);
    core = new RaftCore(new ClusterConfig(1, N1, List.of(N2, N3)), settings, storage, clock,
        new Random(seed), LoggerFactory.getLogger(CoreDriver.class));
    apply(core.start(storage.currentTerm(), storage.votedFor(), storage.commitHint()));
  }

  CoreDriver(RaftSettings settings, long seed) {
    this(settings, seed, new InMemoryStorage());
  }

  CoreDriver() {
    this(RaftSettings.defaults().withPreVote(false), 1);
  }

  /**
   * A node whose log holds entries 1..n of the given terms, in the term of its last entry with no
   * vote cast (an empty log: term 0).
   */
  static CoreDriver withLog(RaftSettings settings, long... terms) {
    InMemoryStorage disk = new InMemoryStorage();
    if (terms.length > 0) {
      disk.append(entries(1, terms));
      disk.saveTermAndVote(terms[terms.length - 1], Optional.empty());
    }
    return new CoreDriver(settings, 1, disk);
  }

  /** Command entries from {@code firstIndex} on, with the given terms. */
  static List<LogEntry> entries(long firstIndex, long... terms) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      out.add(new LogEntry(firstIndex + i, terms[i], EntryType.COMMAND, new byte[] {(byte) i, (byte) terms[i]}));
    }
    return out;
  }

  /** An AppendEntries from n2 as leader of {@code term}. */
  static AppendEntries append(long term, long prevIndex, long prevTerm, List<LogEntry> entries, long commit) {
    return new AppendEntries(term, N2, 2, prevIndex, prevTerm, entries, commit, 0);
  }

  /** An entry-less AppendEntries from n2 as leader of {@code term}, claiming an empty log. */
  static AppendEntries heartbeat(long term) {
    return append(term, 0, 0, List.of(), 0);
  }

  /** The terms of the log's entries, first to last. */
  long[] logTerms() {
    return storage.snapshotOfLog().stream().mapToLong(LogEntry::term).toArray();
  }

  void step(Input in) {
    apply(core.step(state, in));
  }

  /**
   * Steps {@code in} (and its follow-ups) after forgetting what was sent before, and returns the
   * effects of the step of {@code in} itself.
   */
  Effects deliver(Input in) {
    sent.clear();
    steps.clear();
    step(in);
    return steps.get(0);
  }

  private void apply(Step st) {
    state = st.state();
    Effects fx = st.effects();
    steps.add(fx);
    if (fx.saveHardState()) {
      storage.saveTermAndVote(state.term(), state.node().votedFor());
    }
    if (!fx.append().isEmpty()) {
      storage.append(fx.append());
    }
    sent.addAll(fx.send());
    told.addAll(fx.clients());
    if (fx.flushLater()) {
      flushesQueued++;
    }
    if (fx.next() != null) {
      step(fx.next());
    }
  }

  /** Runs the flushes queued so far, as the mailbox would. */
  void flush() {
    while (flushesQueued > 0) {
      flushesQueued--;
      step(Input.Tick.FLUSH);
    }
  }

  /**
   * Times out and wins the election of the next term with n3's vote, through its pre-vote first
   * when pre-vote is on; returns the new term.
   */
  long becomeLeader() {
    step(Input.Tick.ELECTION);
    if (state.role() instanceof Role.Candidate c && c.preVote()) {
      step(new PreVoteReply(c.term(), N3, 3, true));
    }
    long term = state.term();
    step(new RequestVoteReply(term, N3, 3, true));
    if (!(state.role() instanceof Role.Leader)) {
      throw new AssertionError("n1 did not become leader: " + state);
    }
    return term;
  }

  /** n3 acknowledges everything n1 holds, in n1's current term. */
  void ackAll(Endpoint from, int id, long round) {
    step(new AppendEntriesReply(state.term(), from, id, true, storage.lastIndex(), 0, 0, round));
  }

  <T extends PeerMessage> List<T> take(Class<T> type) {
    List<T> out = sent.stream().map(Outbound::message).filter(type::isInstance).map(type::cast).toList();
    sent.clear();
    return out;
  }

  List<AppendEntries> appendsTo(Endpoint peer) {
    List<AppendEntries> out = sent.stream().filter(o -> o.to().equals(peer)).map(Outbound::message)
        .filter(AppendEntries.class::isInstance).map(AppendEntries.class::cast).toList();
    return out;
  }

  List<ClientEffect> takeTold() {
    List<ClientEffect> out = List.copyOf(told);
    told.clear();
    return out;
  }

  Optional<Role.Leader> leader() {
    return state.role() instanceof Role.Leader l ? Optional.of(l) : Optional.empty();
  }
}
