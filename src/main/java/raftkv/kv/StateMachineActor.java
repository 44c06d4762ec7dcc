package raftkv.kv;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Optional;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Continuation;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Result;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.storage.EntryType;
import raftkv.storage.InMemoryStateStore;
import raftkv.storage.LogEntry;
import raftkv.storage.StateStore;

/**
 * The node's child that owns the replicated state: the keys and the client session table ({@link
 * KvStateMachine}), stored in the node's {@link StateStore}. The node hands it committed entries in
 * log order; it applies each once, answers the client waiting for that entry, and answers reads
 * once it has applied far enough. Each {@link Apply} ends with one atomic, unsynced write of what
 * it applied and the new applied index ({@link KvStateMachine#endBatch}); a node that restarts
 * resumes after that index, see {@link StateStore} for why an unsynced write is enough.
 *
 * <p>Because the node sends {@link Apply} before any {@link Read} whose index it covers, and one
 * sender's messages arrive in order, a read at index N is answered from a state that includes every
 * entry up to N. A scan waits and is answered the same way; it is served between batches, when
 * every applied write is in the store, so its page, read from one cursor, is exactly the stored
 * state at some applied index at or past N.
 */
public final class StateMachineActor extends AbstractBehavior<StateMachineActor.Command> {

  public sealed interface Command {}

  /**
   * Committed entries, consecutive, starting right after the last one applied; {@code ackTo} hears
   * when they are applied, so the node hands over the next batch only then.
   */
  public record Apply(List<LogEntry> entries, ActorRef<Applied> ackTo) implements Command {}

  /** Every entry up to {@code index} is applied. */
  public record Applied(long index) {}

  /**
   * A snapshot up to {@code index} is staged in full and marked for install (the node's log now
   * starts after it): replace the state with it ({@link StateStore#installStaged}), then go on
   * with the entries after it. {@code ackTo} hears {@link Applied} of {@code index}.
   */
  public record Install(long index, ActorRef<Applied> ackTo) implements Command {}

  /**
   * A client waits for the entry the leader appended at {@code index} in {@code term}. If a
   * different entry ends up committed there, the client is told to retry instead.
   */
  public record AwaitResult(long index, long term, ActorRef<Reply> replyTo) implements Command {}

  /** A read or a scan: answered once {@code atIndex} is applied (0: at once, from the current state). */
  public sealed interface Query extends Command permits Read, ScanKeys {
    long atIndex();
  }

  /** Answer a read once {@code atIndex} is applied (0: at once, from the current state). */
  public record Read(String key, long atIndex, ActorRef<Reply> replyTo) implements Query {}

  /** Answer one page of {@code scan} once {@code atIndex} is applied (0: at once). */
  public record ScanKeys(ClientProtocol.Scan scan, long atIndex) implements Query {}

  /**
   * The node lost leadership: every waiting writer is told to retry at {@code leader} with the same
   * (clientId, seq). One whose entry was stored in this node's log (index at most {@code
   * lastStoredIndex}) gets {@code unknown}: the entry may still commit, and the retry then reports
   * it as a duplicate. One whose entry was never stored (it was still in memory, and is dropped)
   * gets {@code not_leader}: it was not applied.
   */
  public record FailPending(Integer leaderId, Endpoint leader, long lastStoredIndex)
      implements Command {}

  private enum Sweep implements Command {
    INSTANCE
  }

  /** Fill in {@code lastApplied} and answer. */
  public record Status(NodeStatus partial, ActorRef<NodeStatus> replyTo) implements Command {}

  private record Waiter(long term, ActorRef<Reply> replyTo) {}

  /** A read or scan waiting to be applied far enough, dropped at {@code deadlineMillis}. */
  private record WaitingRead(Query read, long deadlineMillis, long order) {}

  private static final String SWEEP_TIMER = "sweep";
  /** How often waiting reads are checked against their deadline, while any wait. */
  private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(1);

  private KvStateMachine machine;
  private final StateStore store;
  private final RaftSettings settings;
  private final TimerScheduler<Command> timers;
  private final Clock clock;
  private final int maxPendingReads;
  private final long readWaitMillis;
  private final Map<Long, Waiter> waiters = new HashMap<>();
  private final PriorityQueue<WaitingRead> reads =
      new PriorityQueue<>(
          Comparator.comparingLong((WaitingRead w) -> w.read().atIndex()).thenComparingLong(WaitingRead::order));
  private long readOrder;
  private long applied;

  /** On a fresh in-memory store (tests). */
  public static Behavior<Command> create(RaftSettings settings, Clock clock) {
    return create(settings, clock, new InMemoryStateStore());
  }

  /** On {@code store}, resuming after its applied index. */
  public static Behavior<Command> create(RaftSettings settings, Clock clock, StateStore store) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new StateMachineActor(ctx, timers, settings, clock, store)));
  }

  private StateMachineActor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      RaftSettings settings,
      Clock clock,
      StateStore store) {
    super(context);
    this.timers = timers;
    this.clock = clock;
    this.maxPendingReads = settings.maxPendingReads();
    this.readWaitMillis = settings.readWaitTimeout().toMillis();
    this.store = store;
    this.settings = settings;
    this.machine = load(store, settings);
    this.applied = machine.lastAppliedIndex();
  }

  /** The state machine as {@code store} holds it: its applied index, its sessions. */
  private static KvStateMachine load(StateStore store, RaftSettings settings) {
    return new KvStateMachine(
        store,
        settings.sessionTimeout().toMillis(),
        settings.maxSessions(),
        SessionTable.DEFAULT_RESPONSES_PER_SESSION,
        settings.endedSessionRetention().toMillis(),
        settings.maxEndedSessions());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Apply.class, this::onApply)
        .onMessage(Install.class, this::onInstall)
        .onMessage(AwaitResult.class, this::onAwaitResult)
        .onMessage(Query.class, this::onRead)
        .onMessage(FailPending.class, this::onFailPending)
        .onMessage(Status.class, this::onStatus)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .build();
  }

  private Behavior<Command> onApply(Apply m) {
    for (LogEntry e : m.entries()) {
      if (e.index() != applied + 1) {
        throw new IllegalStateException(
            "entry " + e.index() + " handed to apply after " + applied + ": entries apply in order");
      }
      Result result = e.type() == EntryType.COMMAND ? applyCommand(e) : null;
      if (result == null) {
        machine.skip(e.index());
      }
      applied = e.index();
      Waiter w = waiters.remove(e.index());
      if (w != null) {
        if (result != null && w.term() == e.term()) {
          w.replyTo().tell(Reply.of(result));
        } else {
          w.replyTo()
              .tell(
                  Reply.notLeader(
                      "leadership changed and another entry took index "
                          + e.index()
                          + "; retry with the same seq",
                      null,
                      null));
        }
      }
    }
    // One write for the whole batch, not synced: see the class comment.
    machine.endBatch();
    if (!m.entries().isEmpty()) {
      m.ackTo().tell(new Applied(applied));
    }
    serveReads();
    return this;
  }

  private Behavior<Command> onInstall(Install m) {
    long started = System.nanoTime();
    long index = store.installStaged();
    if (index != m.index()) {
      throw new IllegalStateException("install of a snapshot up to " + m.index() + " found " + index);
    }
    machine = load(store, settings);
    applied = machine.lastAppliedIndex();
    // Writers waiting for an entry the snapshot covers cannot tell what took their index.
    List<Long> covered = waiters.keySet().stream().filter(i -> i <= applied).sorted().toList();
    for (long i : covered) {
      waiters.remove(i).replyTo().tell(Reply.of(Result.error(ErrorCode.UNKNOWN,
          "outcome unknown: this node installed a snapshot covering index " + i
              + "; retry with the same seq")));
    }
    getContext().getLog().info("Installed the snapshot: state machine at index [{}] in {} ms",
        applied, (System.nanoTime() - started) / 1_000_000);
    m.ackTo().tell(new Applied(applied));
    serveReads();
    return this;
  }

  private Result applyCommand(LogEntry e) {
    KvCommand command;
    try {
      command = CommandCodec.decode(e.data());
    } catch (IllegalArgumentException ex) {
      // The same bytes are in every replica's log, so every replica refuses them alike.
      getContext().getLog().error("Entry [{}] holds no valid command: {}", e.index(), ex.getMessage());
      machine.skip(e.index());
      return Result.error(ErrorCode.INVALID_REQUEST, "entry " + e.index() + ": " + ex.getMessage());
    }
    return machine.apply(e.index(), e.term(), command);
  }

  private Behavior<Command> onAwaitResult(AwaitResult m) {
    if (m.index() <= applied) {
      // Cannot happen: the node registers a waiter before the entry can commit.
      m.replyTo().tell(Reply.notLeader("entry " + m.index() + " already applied; retry", null, null));
      return this;
    }
    waiters.put(m.index(), new Waiter(m.term(), m.replyTo()));
    return this;
  }

  private Behavior<Command> onRead(Query m) {
    if (m.atIndex() <= applied) {
      answer(m);
      return this;
    }
    if (reads.size() >= maxPendingReads) {
      refuse(m, Result.error(ErrorCode.UNAVAILABLE,
          "too many reads wait for this node to catch up (" + maxPendingReads + "); retry later"));
      return this;
    }
    reads.add(new WaitingRead(m, clock.millis() + readWaitMillis, readOrder++));
    if (!timers.isTimerActive(SWEEP_TIMER)) {
      timers.startTimerWithFixedDelay(SWEEP_TIMER, Sweep.INSTANCE, SWEEP_INTERVAL);
    }
    return this;
  }

  private void serveReads() {
    while (!reads.isEmpty() && reads.peek().read().atIndex() <= applied) {
      answer(reads.poll().read());
    }
    if (reads.isEmpty()) {
      timers.cancel(SWEEP_TIMER);
    }
  }

  /** Answers {@code q} from the current state: between batches, so the store holds all of it. */
  private void answer(Query q) {
    if (q instanceof Read r) {
      r.replyTo().tell(Reply.of(Result.value(machine.get(r.key()), 0)));
      return;
    }
    ClientProtocol.Scan s = ((ScanKeys) q).scan();
    Optional<Result> refused = Limits.checkScan(s.prefix(), s.after(), s.limit());
    if (refused.isPresent()) {
      s.replyTo().tell(ScanReply.failed(refused.get()));
      return;
    }
    KvStateMachine.ScanPage page =
        machine.scan(
            s.prefix(),
            s.after() == null ? null : Continuation.key(s.after()).orElseThrow(),
            s.limit() == 0 ? Limits.DEFAULT_SCAN_LIMIT : s.limit(),
            s.keysOnly(),
            Limits.MAX_SCAN_PAGE_BYTES);
    getContext().getLog().debug(
        "Scan of [{}] at applied [{}]: [{}] keys, more [{}]",
        s.prefix(), applied, page.entries().size(), page.continuation() != null);
    s.replyTo().tell(ScanReply.page(page.entries(), page.continuation()));
  }

  private static void refuse(Query q, Result r) {
    if (q instanceof Read read) {
      read.replyTo().tell(Reply.of(r));
    } else {
      ((ScanKeys) q).scan().replyTo().tell(ScanReply.failed(r));
    }
  }

  /**
   * Drops the reads whose deadline passed: this node has not applied far enough for them (a
   * follower cut off after its leader gave it a read index), and their clients gave up long ago.
   */
  private Behavior<Command> onSweep() {
    long now = clock.millis();
    int before = reads.size();
    reads.removeIf(w -> {
      if (w.deadlineMillis() > now) {
        return false;
      }
      refuse(w.read(), Result.error(ErrorCode.UNAVAILABLE,
          "this node has not applied up to the read index " + w.read().atIndex() + " in time; retry"));
      return true;
    });
    if (reads.size() < before) {
      getContext().getLog().debug("Dropped [{}] reads past their deadline", before - reads.size());
    }
    if (reads.isEmpty()) {
      timers.cancel(SWEEP_TIMER);
    }
    return this;
  }

  private Behavior<Command> onFailPending(FailPending m) {
    List<Map.Entry<Long, Waiter>> failed = new ArrayList<>(waiters.entrySet());
    failed.sort(Map.Entry.comparingByKey());
    waiters.clear();
    for (Map.Entry<Long, Waiter> w : failed) {
      Reply reply =
          w.getKey() <= m.lastStoredIndex()
              ? new Reply(
                  Result.error(
                      ErrorCode.UNKNOWN,
                      "outcome unknown: leadership was lost after the write was stored in the"
                          + " log at index " + w.getKey()
                          + "; it may still be applied; retry with the same seq"),
                  m.leaderId(),
                  m.leader())
              : Reply.notLeader(
                  "leadership lost before the write was stored; it was not applied;"
                      + " retry with the same seq",
                  m.leaderId(),
                  m.leader());
      w.getValue().replyTo().tell(reply);
    }
    return this;
  }

  private Behavior<Command> onStatus(Status m) {
    m.replyTo().tell(m.partial().withLastApplied(applied));
    return this;
  }
}
