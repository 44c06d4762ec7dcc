package raftkv.raft;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.Terminated;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.PeerStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.Limits;
import raftkv.api.Result;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.common.RaftSettings;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvCommand;
import raftkv.kv.StateMachineActor;
import raftkv.metrics.NodeMetrics;
import raftkv.raft.core.Caller;
import raftkv.raft.core.ClusterConfig;
import raftkv.raft.core.Effects;
import raftkv.raft.core.Effects.AwaitApply;
import raftkv.raft.core.Effects.ClientEffect;
import raftkv.raft.core.Effects.LeadershipLost;
import raftkv.raft.core.Effects.NotLeader;
import raftkv.raft.core.Effects.Outbound;
import raftkv.raft.core.Effects.ReadAt;
import raftkv.raft.core.Effects.TimerOp;
import raftkv.raft.core.Input;
import raftkv.raft.core.Input.Tick;
import raftkv.raft.core.Progress;
import raftkv.raft.core.RaftCore;
import raftkv.raft.core.RaftState;
import raftkv.raft.core.Role;
import raftkv.raft.core.Rpc.InstallSnapshot;
import raftkv.raft.core.Rpc.InstallSnapshotReply;
import raftkv.raft.core.Rpc.PeerMessage;
import raftkv.raft.core.Step;
import raftkv.storage.EntryType;
import raftkv.storage.RaftStorage;
import raftkv.storage.StorageException;

/**
 * A Raft node as a typed actor: a thin shell around {@link RaftCore}, which makes every decision.
 *
 * <p>Message flow. Peer messages, client requests and the node's own timer ticks come in through
 * one door and become the core's {@link Input}s. The core returns the next state and its {@link
 * Effects}, which this shell carries out in order: the term and vote are saved (synced), entries
 * written (a follower syncs them before it answers; a leader writes its entries without a sync,
 * sends them to its followers, then syncs, §10.2.1, and counts them toward a commit only once the
 * sync is done), messages sent, callers answered, timers set; then the behavior of the new role
 * takes the next message. A follower whose election timer fires (randomized, [150, 300) ms) asks
 * for a pre-vote, then for votes; a leader appends a no-op of its term and sends AppendEntries
 * every heartbeat, at most {@code max-inflight-appends} ahead of each follower's acknowledgements.
 * Committed entries go in bounded batches to the {@link StateMachineActor} child, which applies
 * them through the client session table, acknowledges each batch, answers the waiting clients, and
 * answers linearizable reads once it has applied up to their read index. The state machine's data
 * is in the node's storage, with the index it was applied up to: a restarted node hands it the
 * entries after that index only, and never counts less than that index as committed.
 */
public final class RaftNode {

  /** What the node's actor handles, once through the door. */
  public sealed interface Command permits FromPeer, FromClient, Timer, Applied {}

  /** A peer's Raft message. */
  record FromPeer(PeerMessage message) implements Command {}

  /** A client's request, with its reply address. */
  record FromClient(ClientProtocol.Request request) implements Command {}

  /** One of the node's timers fired. */
  record Timer(Tick tick) implements Command {}

  /** The state machine applied every entry up to {@code index}. */
  record Applied(long index) implements Command {}

  /** Published on the system event stream whenever this node changes role or term. */
  public record RoleChanged(int id, Endpoint node, String role, long term) {}

  /**
   * A client waiting for the core's answer; {@code key} for a read, null for a write; {@code
   * arrivedNanos} when it arrived, for the read-index latency.
   */
  private record ClientCaller(ActorRef<Reply> replyTo, String key, long arrivedNanos) implements Caller {}

  /** A linearizable scan waiting for its read index, like a read's {@link ClientCaller}. */
  private record ScanCaller(ClientProtocol.Scan scan, long arrivedNanos) implements Caller {}

  /** A write proposed by a client, encoded once the core has stamped it. */
  private record WriteProposal(ClientProtocol.Write write) implements Input.Proposal {
    @Override
    public EntryType type() {
      return EntryType.COMMAND;
    }

    @Override
    public byte[] encode(long timestampMillis) {
      return CommandCodec.encode(new KvCommand(write.clientId(), write.seq(), timestampMillis, write.op()));
    }
  }

  /** §6.3: a session starts with a log entry of its own, applied like a write. */
  private record RegisterProposal(ClientProtocol.Register register) implements Input.Proposal {
    @Override
    public EntryType type() {
      return EntryType.COMMAND;
    }

    @Override
    public byte[] encode(long timestampMillis) {
      return CommandCodec.encode(KvCommand.register(register.clientId(), timestampMillis));
    }
  }

  private static final String ELECTION_TIMER = "election";
  private static final String HEARTBEAT_TIMER = "heartbeat";
  private static final String CHECK_QUORUM_TIMER = "check-quorum";
  private static final String KEEPALIVE_TIMER = "keepalive";
  private static final String LEADER_QUIET_TIMER = "leader-quiet";
  /**
   * How often a node that sends nothing else to a peer pings it. Artery opens connections lazily
   * and closes idle ones: followers otherwise never talk to each other until an election.
   */
  private static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(1);

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Logger log;
  private final ClusterConfig cluster;
  private final RaftSettings settings;
  private final RaftStorage storage;
  private final Transport transport;
  private final RaftCore core;
  private final ActorRef<StateMachineActor.Command> stateMachine;
  private final ApplyWindow applied;
  /** The state the node is in: the behaviors, one per role, read it and {@link #step} replaces it. */
  private RaftState state;
  private final ActorRef<StateMachineActor.Applied> appliedAdapter;
  private final NodeMetrics metrics;
  /** A leader's snapshot transfers to followers that need compacted entries. */
  private final SnapshotSender snapshots;
  /** A follower's incoming snapshot. */
  private final SnapshotReceiver incoming;
  /** A leader's backups in progress ({@code kv_client snapshot save}). */
  private final BackupCursors backups;

  /**
   * The node's behavior. {@code random} draws election timeouts and the run's incarnation, and
   * {@code clock} stamps commands for session expiry; tests inject both.
   */
  public static Behavior<NodeMessage> create(
      ClusterConfig cluster,
      RaftSettings settings,
      RaftStorage storage,
      Transport transport,
      Clock clock,
      Random random) {
    return create(cluster, settings, storage, transport, clock, random, NodeMetrics.NONE);
  }

  /** As above, reporting to {@code metrics} as it runs. */
  public static Behavior<NodeMessage> create(
      ClusterConfig cluster,
      RaftSettings settings,
      RaftStorage storage,
      Transport transport,
      Clock clock,
      Random random,
      NodeMetrics metrics) {
    Behavior<Command> node =
        Behaviors.withMdc(
            Command.class,
            Map.of("nodeId", "n" + cluster.selfId()),
            Behaviors.setup(
                ctx ->
                    Behaviors.withTimers(
                        timers ->
                            new RaftNode(ctx, timers, cluster, settings, storage, transport, clock, random, metrics)
                                .start())));
    return Behaviors.intercept(Door::new, node).narrow();
  }

  /** The door: what comes from outside is wrapped; the node's own messages pass as they are. */
  private static final class Door extends BehaviorInterceptor<Object, Command> {
    Door() {
      super(Object.class);
    }

    @Override
    public Behavior<Command> aroundReceive(
        TypedActorContext<Object> ctx, Object msg, ReceiveTarget<Command> target) {
      if (msg instanceof PeerMessage m) {
        return target.apply(ctx, new FromPeer(m));
      }
      if (msg instanceof ClientProtocol.Request r) {
        return target.apply(ctx, new FromClient(r));
      }
      if (msg instanceof Command c) {
        return target.apply(ctx, c);
      }
      return Behaviors.unhandled();
    }
  }

  private RaftNode(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ClusterConfig cluster,
      RaftSettings settings,
      RaftStorage storage,
      Transport transport,
      Clock clock,
      Random random,
      NodeMetrics metrics) {
    this.context = context;
    this.metrics = metrics;
    this.timers = timers;
    this.log = context.getLog();
    this.cluster = cluster;
    this.settings = settings;
    this.storage = storage;
    this.transport = transport;
    this.core = new RaftCore(cluster, settings, storage, clock, random, log);
    this.snapshots =
        new SnapshotSender(cluster, settings.snapshots(), storage, transport, core::nowMillis, log);
    this.incoming = new SnapshotReceiver(storage.stateStore(), log);
    this.backups = new BackupCursors(storage, settings.snapshots().chunkBytes(), core::nowMillis, log);
    // An install interrupted by a crash is finished before the state machine loads its state; a
    // transfer interrupted before its end is dropped (the leader sends it again).
    long pendingInstall = storage.stateStore().pendingInstall();
    if (pendingInstall >= 0) {
      log.info("Finishing the install of a snapshot up to index [{}] that a restart interrupted",
          pendingInstall);
      storage.stateStore().installStaged();
    } else {
      storage.stateStore().clearStaged();
    }
    // The same dispatcher as the node: whoever starts the node decides where it runs (a
    // simulation runs it on a deterministic one).
    this.stateMachine =
        context.spawn(
            StateMachineActor.create(settings, clock, storage.stateStore()),
            "state-machine",
            DispatcherSelector.sameAsParent());
    context.watch(stateMachine);
    this.appliedAdapter =
        context.messageAdapter(StateMachineActor.Applied.class, a -> new Applied(a.index()));
    // The state machine loads its state from the same store: it resumes after this index.
    this.applied = new ApplyWindow(storage, settings.maxAppendBytes(), storage.stateStore().appliedIndex());
  }

  private Behavior<Command> start() {
    // What an earlier run of this node wrote may never have been synced: it stopped between a
    // write and its sync, or because the sync failed. Such entries read back like any other, and
    // acknowledging them to a leader would count a copy that a power failure can still take. One
    // sync now makes everything this node will acknowledge durable (found by the simulation: a
    // follower whose sync failed came back and completed a majority with an unsynced entry).
    storage.sync();
    timers.startTimerWithFixedDelay(KEEPALIVE_TIMER, new Timer(Tick.KEEPALIVE), KEEPALIVE_INTERVAL);
    long stored = applied.handed();
    if (stored > storage.lastIndex()) {
      throw new StorageException(
          "the state machine is stored up to index " + stored + ", beyond the log's last index "
              + storage.lastIndex());
    }
    if (stored < storage.firstIndex() - 1) {
      throw new StorageException(
          "the state machine is stored up to index " + stored + ", but the log starts at "
              + storage.firstIndex() + ": the entries between are lost");
    }
    // What the state machine applied was committed: the commit index starts no lower.
    Step first = core.start(storage.currentTerm(), storage.votedFor(), Math.max(storage.commitHint(), stored));
    log.info("State machine stored up to index [{}]; applying committed entries from [{}]", stored, stored + 1);
    // Entries committed before the restart and not yet applied are applied from the start, without
    // a leader: the window hands over those after the stored index.
    state = execute(new RaftState(first.state().node().withCommitIndex(stored), first.state().role(), 0), first);
    return behaviorFor(state);
  }

  // ---------------------------------------------------------------------------------------------
  // Behaviors: one per role, each taking the ticks its role acts on

  private Behavior<Command> follower() {
    return common()
        .onMessage(Timer.class, t -> t.tick() == Tick.ELECTION || t.tick() == Tick.LEADER_QUIET || t.tick() == Tick.KEEPALIVE,
            t -> step(t.tick()))
        .onMessage(Timer.class, t -> Behaviors.same()) // a former role's tick
        .build();
  }

  private Behavior<Command> candidate() {
    return common()
        .onMessage(Timer.class, t -> t.tick() == Tick.ELECTION || t.tick() == Tick.KEEPALIVE,
            t -> step(t.tick()))
        .onMessage(Timer.class, t -> Behaviors.same())
        .build();
  }

  private Behavior<Command> leader() {
    return common()
        .onMessage(Timer.class, t -> t.tick() == Tick.HEARTBEAT || t.tick() == Tick.CHECK_QUORUM || t.tick() == Tick.FLUSH,
            t -> step(t.tick()))
        .onMessage(Timer.class, t -> Behaviors.same())
        .build();
  }

  private BehaviorBuilder<Command> common() {
    return Behaviors.receive(Command.class)
        .onSignal(Terminated.class, this::onStateMachineStopped)
        .onSignal(PostStop.class, signal -> {
          snapshots.endAll();
          backups.endAll();
          return Behaviors.same();
        })
        .onSignal(PreRestart.class, signal -> {
          snapshots.endAll();
          backups.endAll();
          return Behaviors.same();
        })
        .onMessage(FromPeer.class, m -> step(m.message()))
        .onMessage(FromClient.class, m -> onClient(state, m.request()))
        .onMessage(Applied.class, m -> {
          applied.acknowledged(m.index());
          pumpApply(state.node().commitIndex());
          compactIfDue();
          return Behaviors.same();
        });
  }

  private Behavior<Command> behaviorFor(RaftState s) {
    if (s.role() instanceof Role.Leader) {
      return leader();
    }
    if (s.role() instanceof Role.Candidate) {
      return candidate();
    }
    return follower();
  }

  /**
   * The state machine child stopped (it failed): this node can no longer apply or answer. Failing
   * the node lets its supervisor restart it, which reloads the state machine from storage, or stop
   * it if the storage failed.
   */
  private Behavior<Command> onStateMachineStopped(Terminated t) {
    if (t instanceof ChildFailed f && f.getCause() instanceof StorageException e) {
      // Its store failed: the node stops rather than restart on a store it cannot trust.
      throw new StorageException("state machine: " + e.getMessage(), e);
    }
    throw new IllegalStateException("state machine stopped (" + t.getRef() + "); restarting the node");
  }

  // ---------------------------------------------------------------------------------------------
  // Running the core: decide, then persist, send, answer, become

  private Behavior<Command> step(Input in) {
    if (in == Tick.ELECTION) {
      metrics.electionTimeout();
    }
    RaftState before = state;
    state = execute(before, core.step(before, in));
    if (in == Tick.HEARTBEAT && state.role() instanceof Role.Leader) {
      snapshots.tick();
      backups.tick();
    }
    // A behavior per role, not per state: most steps change the state, few change the role.
    return state.role().getClass() == before.role().getClass() ? Behaviors.same() : behaviorFor(state);
  }

  /**
   * Carries out {@code step}'s effects in order, then its follow-up input's, and returns the state
   * the node ends in.
   */
  private RaftState execute(RaftState before, Step step) {
    RaftState s = step.state();
    Effects fx = step.effects();
    if (fx.saveHardState()) {
      // Synced before any message of the new term or vote leaves this node: a node that forgot
      // its term or vote in a crash could vote twice in one term.
      storage.saveTermAndVote(s.term(), s.node().votedFor());
    }
    if (!fx.append().isEmpty()) {
      long started = System.nanoTime();
      if (fx.appendSynced()) {
        storage.append(fx.append());
      } else {
        storage.appendUnsynced(fx.append());
      }
      metrics.appended(fx.appendSynced(), System.nanoTime() - started);
    }
    for (Outbound o : fx.send()) {
      transport.send(o.to(), o.message());
    }
    long installed = -1;
    for (Effects.SnapshotOp op : fx.snapshots()) {
      installed = Math.max(installed, snapshotOp(s, op));
    }
    if (before.role() instanceof Role.Leader && !(s.role() instanceof Role.Leader)) {
      snapshots.endAll();
      backups.endAll();
    }
    if (fx.syncAfterSend()) {
      long started = System.nanoTime();
      storage.sync();
      metrics.synced(System.nanoTime() - started);
    }
    for (ClientEffect c : fx.clients()) {
      answer(c, s.node().commitIndex());
    }
    for (TimerOp t : fx.timers()) {
      applyTimer(t);
    }
    if (fx.electionTimeout() != null) {
      // Restarting the key cancels the running timer and any tick of it already queued.
      timers.startSingleTimer(ELECTION_TIMER, new Timer(Tick.ELECTION), fx.electionTimeout());
    }
    if (fx.flushLater()) {
      // Queued behind the requests already in the mailbox: they all join the same sync.
      context.getSelf().tell(new Timer(Tick.FLUSH));
    }
    if (s.node().commitIndex() > before.node().commitIndex()) {
      if (s.role() instanceof Role.Leader) {
        metrics.committedAsLeader(s.node().commitIndex() - before.node().commitIndex());
      }
      storage.saveCommitHint(s.node().commitIndex());
      pumpApply(s.node().commitIndex());
    }
    report(before, s);
    if (s.term() != before.term() || !s.role().name().equals(before.role().name())) {
      context.getSystem().eventStream().tell(new EventStream.Publish<>(
          new RoleChanged(cluster.selfId(), cluster.self(), s.role().name(), s.term())));
    }
    if (installed >= 0) {
      s = execute(s, core.step(s, new Input.Installed(installed)));
    }
    return fx.next() == null ? s : execute(s, core.step(s, fx.next()));
  }

  /**
   * Carries out one snapshot effect; returns the index of a snapshot installed by it, or -1.
   */
  private long snapshotOp(RaftState s, Effects.SnapshotOp op) {
    if (op instanceof Effects.SendSnapshot send) {
      snapshots.start(send.peer(), s.term());
    } else if (op instanceof Effects.SnapshotAcked a) {
      snapshots.acked(a.peer(), a.transfer(), a.nextSeq());
    } else if (op instanceof Effects.SnapshotDone d) {
      snapshots.done(d.peer());
    } else if (op instanceof Effects.StageChunk c) {
      InstallSnapshot m = c.chunk();
      if (m.seq() == 0 && !Set.copyOf(m.members()).equals(Set.copyOf(cluster.members()))) {
        log.warn("The snapshot from [{}] names members {}; ours are {}", m.from(), m.members(), cluster.members());
      }
      SnapshotReceiver.Outcome o = incoming.receive(m);
      long installed = -1;
      if (o.complete()) {
        install(m.lastIndex(), m.lastTerm());
        installed = m.lastIndex();
      }
      transport.send(m.from(), new InstallSnapshotReply(s.term(), cluster.self(), cluster.selfId(),
          m.lastIndex(), m.lastTerm(), m.transfer(), o.nextSeq(), o.complete(), m.term()));
      return installed;
    }
    return -1;
  }

  /**
   * Installs the snapshot staged in full (Figure 13, rules 6-8): the log starts after it and the
   * install is marked, in one durable write; the state machine then replaces its state with the
   * staged one, before any entry after the snapshot reaches it.
   */
  private void install(long index, long term) {
    storage.beginInstall(index, term);
    stateMachine.tell(new StateMachineActor.Install(index, appliedAdapter));
    applied.installed(index);
  }

  /**
   * Log compaction (§7): once the log is over its bounds, the prefix that the stored state
   * machine covers goes, all but the last {@code retain-entries} (none when over the size bound).
   * The stored state is the snapshot, so nothing is copied: a sync and a range deletion.
   */
  private void compactIfDue() {
    RaftSettings.Snapshots bounds = settings.snapshots();
    long first = storage.firstIndex();
    long last = storage.lastIndex();
    boolean overBytes = storage.logBytes() > bounds.logBytes();
    if (last - first + 1 <= bounds.logEntries() && !overBytes) {
      return;
    }
    long stored = storage.stateStore().appliedIndex();
    long upTo = Math.min(stored, last) - (overBytes ? 0 : bounds.retainEntries());
    if (upTo < first) {
      return;
    }
    long started = System.nanoTime();
    storage.compact(upTo);
    log.info("Compacted the log up to index [{}] (the stored state covers it): it now holds [{}..{}], {} KiB, in {} ms",
        upTo, storage.firstIndex(), storage.lastIndex(), storage.logBytes() >> 10,
        (System.nanoTime() - started) / 1_000_000);
  }

  /** Elections and leader changes, for the metrics. */
  private void report(RaftState before, RaftState s) {
    // Only an election raises this node's term to a candidate's or leader's (a one-node cluster
    // wins in the same step).
    boolean elects = s.role() instanceof Role.Leader
        || (s.role() instanceof Role.Candidate c && !c.preVote());
    if (elects && s.term() > before.term()) {
      metrics.electionStarted();
    }
    if (s.role() instanceof Role.Leader && !(before.role() instanceof Role.Leader)) {
      metrics.electionWon();
    }
    int leader = s.node().leaderId();
    if (leader > 0 && leader != before.node().leaderId()) {
      metrics.leaderChanged();
    }
  }

  /** Hands committed entries to the state machine, a bounded window of them at a time. */
  private void pumpApply(long commitIndex) {
    for (var batch : applied.next(commitIndex)) {
      stateMachine.tell(new StateMachineActor.Apply(batch, appliedAdapter));
    }
  }

  private void answer(ClientEffect c, long commitIndex) {
    if (c instanceof ReadAt r && r.caller() instanceof ScanCaller sc) {
      metrics.readIndexConfirmed(System.nanoTime() - sc.arrivedNanos());
      stateMachine.tell(new StateMachineActor.ScanKeys(sc.scan(), r.readIndex()));
    } else if (c instanceof NotLeader n && n.caller() instanceof ScanCaller sc) {
      sc.scan().replyTo().tell(ScanReply.notLeader(n.message(), idOrNull(n.leaderId()), n.leader()));
    } else if (c instanceof AwaitApply a) {
      stateMachine.tell(new StateMachineActor.AwaitResult(a.index(), a.term(), caller(a.caller()).replyTo()));
    } else if (c instanceof ReadAt r) {
      ClientCaller cc = caller(r.caller());
      metrics.readIndexConfirmed(System.nanoTime() - cc.arrivedNanos());
      stateMachine.tell(new StateMachineActor.Read(cc.key(), r.readIndex(), cc.replyTo()));
    } else if (c instanceof NotLeader n) {
      if (caller(n.caller()).key() == null) {
        metrics.proposalRefused();
      }
      caller(n.caller()).replyTo().tell(Reply.notLeader(n.message(), idOrNull(n.leaderId()), n.leader()));
    } else if (c instanceof LeadershipLost l) {
      metrics.proposalsLost(Math.max(0, l.lastStored() - commitIndex));
      stateMachine.tell(new StateMachineActor.FailPending(idOrNull(l.leaderId()), l.leader(), l.lastStored()));
    }
  }

  private static ClientCaller caller(Caller c) {
    return (ClientCaller) c;
  }

  private void applyTimer(TimerOp t) {
    switch (t) {
      case CANCEL_ELECTION -> timers.cancel(ELECTION_TIMER);
      case START_LEADER -> {
        timers.startTimerWithFixedDelay(HEARTBEAT_TIMER, new Timer(Tick.HEARTBEAT), settings.heartbeatInterval());
        timers.startTimerWithFixedDelay(
            CHECK_QUORUM_TIMER, new Timer(Tick.CHECK_QUORUM), settings.electionTimeoutMax());
      }
      case STOP_LEADER -> {
        timers.cancel(HEARTBEAT_TIMER);
        timers.cancel(CHECK_QUORUM_TIMER);
      }
      case LEADER_QUIET -> timers.startSingleTimer(
          LEADER_QUIET_TIMER, new Timer(Tick.LEADER_QUIET), settings.electionTimeoutMin());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Clients

  private Behavior<Command> onClient(RaftState s, ClientProtocol.Request request) {
    if (request instanceof ClientProtocol.Write w) {
      // Refused at the edge, nothing proposed: every replica would refuse it the same way.
      Optional<Result> refused = Limits.check(w.clientId(), w.seq(), w.op());
      if (refused.isPresent()) {
        w.replyTo().tell(Reply.of(refused.get()));
        return Behaviors.same();
      }
      return step(new Input.Propose(new WriteProposal(w), new ClientCaller(w.replyTo(), null, 0)));
    }
    if (request instanceof ClientProtocol.Register g) {
      Optional<Result> refused = Limits.checkClientId(g.clientId());
      if (refused.isPresent()) {
        g.replyTo().tell(Reply.of(refused.get()));
        return Behaviors.same();
      }
      return step(new Input.Propose(new RegisterProposal(g), new ClientCaller(g.replyTo(), null, 0)));
    }
    if (request instanceof ClientProtocol.Read r) {
      Optional<Result> refused = Limits.checkKey(r.key());
      if (refused.isPresent()) {
        r.replyTo().tell(Reply.of(refused.get()));
        return Behaviors.same();
      }
      if (r.consistency() == ClientProtocol.Consistency.STALE) {
        stateMachine.tell(new StateMachineActor.Read(r.key(), 0, r.replyTo()));
        return Behaviors.same();
      }
      return step(new Input.Read(new ClientCaller(r.replyTo(), r.key(), System.nanoTime())));
    }
    if (request instanceof ClientProtocol.Scan sc) {
      Optional<Result> refused = Limits.checkScan(sc.prefix(), sc.after(), sc.limit());
      if (refused.isPresent()) {
        sc.replyTo().tell(ScanReply.failed(refused.get()));
        return Behaviors.same();
      }
      if (sc.consistency() == ClientProtocol.Consistency.STALE) {
        stateMachine.tell(new StateMachineActor.ScanKeys(sc, 0));
        return Behaviors.same();
      }
      // §6.4: the same ReadIndex round as a linearizable read
      return step(new Input.Read(new ScanCaller(sc, System.nanoTime())));
    }
    if (request instanceof ClientProtocol.ReadSnapshot rs) {
      onReadSnapshot(s, rs);
      return Behaviors.same();
    }
    onStatus(s, (ClientProtocol.GetStatus) request);
    return Behaviors.same();
  }

  /**
   * A backup's chunk, from the leader's own stored state: a follower answers {@code not_leader}
   * with its hint, as to a write, so the client finds the leader; a backup begun on this node
   * while it led ends when it stops leading (its cursors close), and its client starts over.
   */
  private void onReadSnapshot(RaftState s, ClientProtocol.ReadSnapshot m) {
    if (!(s.role() instanceof Role.Leader)) {
      int leader = s.node().leaderId();
      m.replyTo().tell(SnapshotChunkReply.notLeader(
          leader > 0 ? "node n" + cluster.selfId() + " is not the leader; the leader is n" + leader
              : "node n" + cluster.selfId() + " is not the leader and knows none",
          idOrNull(leader), s.node().leader()));
      return;
    }
    m.replyTo().tell(backups.read(m, cluster.members()));
  }

  private void onStatus(RaftState s, ClientProtocol.GetStatus m) {
    List<PeerStatus> peers = new ArrayList<>();
    Long lastContact = null;
    long now = core.nowMillis();
    if (s.role() instanceof Role.Leader l) {
      lastContact = 0L;
      for (Map.Entry<Endpoint, Progress> e : l.state().progress().entrySet()) {
        Progress p = e.getValue();
        peers.add(new PeerStatus(core.peerId(e.getKey()), e.getKey(), p.matchIndex(),
            p.lastAckMillis() < 0 ? null : now - p.lastAckMillis()));
      }
    } else if (s.role() instanceof Role.Follower f && f.lastContactMillis() >= 0) {
      lastContact = now - f.lastContactMillis();
    }
    NodeStatus partial =
        new NodeStatus(
            cluster.selfId(), cluster.self(), s.role().name(), s.term(), idOrNull(s.node().leaderId()),
            s.node().leader(), s.node().commitIndex(), 0, storage.lastIndex(), storage.lastTerm(),
            lastContact, peers, storage.firstIndex() - 1, storage.firstIndex(), storage.logBytes(),
            storage.stateStore().approximateBytes());
    stateMachine.tell(new StateMachineActor.Status(partial, m.replyTo()));
  }

  private static Integer idOrNull(int id) {
    return id > 0 ? id : null;
  }
}
