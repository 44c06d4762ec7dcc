package raftkv.raft;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Terminated;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
import raftkv.common.CborSerializable;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;
import raftkv.common.RaftSettings;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvCommand;
import raftkv.api.Limits;
import raftkv.api.Result;
import raftkv.kv.StateMachineActor;
import raftkv.raft.LeaderState.FollowerRead;
import raftkv.raft.LeaderState.LocalRead;
import raftkv.raft.LeaderState.PendingRead;
import raftkv.raft.LeaderState.Progress;
import raftkv.raft.LeaderState.ReadWaiter;
import raftkv.storage.EntryType;
import raftkv.storage.LogEntry;
import raftkv.storage.RaftStorage;

/**
 * A Raft node (Figure 2 of the Raft paper, with pre-vote, check-quorum and ReadIndex reads from the
 * dissertation), as a typed actor with three behaviors: {@link #follower}, {@link #candidate} and
 * {@link #leader}.
 *
 * <p>Message flow. A follower whose election timer fires (randomized, [150, 300) ms) asks its peers
 * for a pre-vote; with a majority it raises its term, votes for itself, persists both, and sends
 * RequestVote. A candidate with a majority of votes becomes leader, appends a no-op entry of its
 * term and sends AppendEntries every heartbeat. Client writes reach the leader, are appended in
 * memory, and share one synced write when the {@code Flush} message the first of them queued comes
 * up; AppendEntries then carry them to followers, which sync before acknowledging. An entry of the
 * current term stored on a majority commits, with everything before it, and committed entries go in
 * order to the {@link StateMachineActor} child, which applies them through the client session table
 * and answers the waiting clients. A linearizable read records the commit index, waits for a
 * majority to acknowledge one heartbeat round started after it arrived, then is answered by the
 * child once applied that far.
 *
 * <p>Every peer message first goes through {@link #observeTerm}: a higher term turns any role into
 * a follower of that term (§5.1). The one exception is the pre-vote pair, which carries a proposed
 * term that nobody adopts.
 */
public final class RaftNode {

  /** Everything the node's actor handles: peer messages, client requests (wrapped), its own ticks. */
  public interface Command {}

  /** A client request, as it came through the door. */
  private record FromClient(ClientProtocol.Request request) implements Command {}

  /** A Raft RPC or reply between nodes. {@code from} identifies the member; {@code fromId} labels it. */
  public sealed interface PeerMessage extends Command, NodeMessage, CborSerializable
      permits PreVote,
          PreVoteReply,
          RequestVote,
          RequestVoteReply,
          AppendEntries,
          AppendEntriesReply,
          ReadIndexRequest,
          ReadIndexReply,
          Ping {
    long term();

    Endpoint from();

    int fromId();
  }

  /** Dissertation §9.6: would you vote for me in {@code term} (our term + 1)? Changes no state. */
  public record PreVote(long term, Endpoint from, int fromId, long lastLogIndex, long lastLogTerm)
      implements PeerMessage {}

  /** A granted reply carries the proposed term; a refusal carries the voter's current term. */
  public record PreVoteReply(long term, Endpoint from, int fromId, boolean granted)
      implements PeerMessage {}

  public record RequestVote(long term, Endpoint from, int fromId, long lastLogIndex, long lastLogTerm)
      implements PeerMessage {}

  public record RequestVoteReply(long term, Endpoint from, int fromId, boolean granted)
      implements PeerMessage {}

  /**
   * Figure 2's AppendEntries; {@code from} is the leader. {@code round} is echoed in the reply, so
   * the leader knows which heartbeat round a follower acknowledged (ReadIndex).
   */
  public record AppendEntries(
      long term,
      Endpoint from,
      int fromId,
      long prevLogIndex,
      long prevLogTerm,
      List<LogEntry> entries,
      long leaderCommit,
      long round)
      implements PeerMessage {}

  /**
   * On success {@code index} is the last index now known to match the leader's log. On failure it
   * is the {@code prevLogIndex} that did not match, with the conflict hint: the follower's term at
   * that index (0 if it has no entry there) and the first index it holds with that term (or its
   * last index + 1).
   */
  public record AppendEntriesReply(
      long term,
      Endpoint from,
      int fromId,
      boolean success,
      long index,
      long conflictTerm,
      long conflictIndex,
      long round)
      implements PeerMessage {}

  /** A follower asks the leader for a read index on behalf of a linearizable read. */
  public record ReadIndexRequest(long term, Endpoint from, int fromId, long requestId)
      implements PeerMessage {}

  /** {@code ok}: the leader confirmed its leadership after the request; read at {@code readIndex}. */
  public record ReadIndexReply(
      long term, Endpoint from, int fromId, long requestId, boolean ok, long readIndex)
      implements PeerMessage {}

  /**
   * Keeps the connection to a peer open, so the first message of an election does not pay for a
   * new connection and handshake. Carries no term ({@code term} is always 0) and changes nothing.
   */
  public record Ping(long term, Endpoint from, int fromId) implements PeerMessage {}

  /** Published on the system event stream whenever this node changes role or term. */
  public record RoleChanged(int id, Endpoint node, String role, long term) {}

  private enum ElectionTimeout implements Command {
    INSTANCE
  }

  private enum HeartbeatTick implements Command {
    INSTANCE
  }

  private enum CheckQuorumTick implements Command {
    INSTANCE
  }

  private enum Flush implements Command {
    INSTANCE
  }

  private enum KeepaliveTick implements Command {
    INSTANCE
  }

  /** The minimum election timeout has passed since the leader was last heard. */
  private enum LeaderQuiet implements Command {
    INSTANCE
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
  /** How long a follower remembers a read it forwarded to the leader; clients wait less. */
  private static final Duration FOLLOWER_READ_RETENTION = Duration.ofSeconds(30);

  /** The role-specific part of the state; a follower has none. */
  private sealed interface Role permits Follower, Candidate, Leader {}

  private enum Follower implements Role {
    INSTANCE
  }

  /** An election in progress: a pre-vote for {@code term}, or a real vote in it. */
  private record Candidate(boolean preVote, long term, Set<Endpoint> votes) implements Role {}

  private record Leader(LeaderState state) implements Role {}

  /** A follower's linearizable read, waiting for the leader's read index. */
  private record FollowerReadWait(String key, ActorRef<Reply> replyTo, long sinceMillis) {}

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Logger log;
  private final ClusterConfig cluster;
  private final RaftSettings settings;
  private final RaftStorage storage;
  private final Transport transport;
  private final Clock clock;
  private final ElectionTimeouts timeouts;
  private final ActorRef<StateMachineActor.Command> stateMachine;
  /** Ids peers have told us, for logs and status. */
  private final Map<Endpoint, Integer> peerIds = new HashMap<>();
  private final Map<Long, FollowerReadWait> followerReads = new LinkedHashMap<>();
  /** Senders outside the cluster already warned about. */
  private final Set<String> strangers = new HashSet<>();
  private long nextReadRequestId;
  /** {@code System.nanoTime()} of the last AppendEntries from a current leader, or -1. */
  private long lastLeaderContactNanos = -1;
  /**
   * Heard from a leader less than the minimum election timeout ago (set by its AppendEntries,
   * cleared by {@link LeaderQuiet}): while true, pre-votes are refused (dissertation §4.2.3).
   */
  private boolean leaderHeardRecently;
  private Duration lastElectionTimeout = Duration.ZERO;

  /**
   * The node's behavior. {@code random} draws election timeouts and {@code clock} stamps commands
   * for session expiry; tests inject both.
   */
  public static Behavior<NodeMessage> create(
      ClusterConfig cluster,
      RaftSettings settings,
      RaftStorage storage,
      Transport transport,
      Clock clock,
      Random random) {
    Behavior<Command> node =
        Behaviors.withMdc(
        Command.class,
        Map.of("nodeId", "n" + cluster.selfId()),
        Behaviors.setup(
            ctx ->
                Behaviors.withTimers(
                    timers ->
                        new RaftNode(ctx, timers, cluster, settings, storage, transport, clock, random)
                            .start())));
    return Behaviors.intercept(Door::new, node).narrow();
  }

  /** The door: client requests are wrapped; peer messages and the node's own ticks pass as they are. */
  private static final class Door extends BehaviorInterceptor<Object, Command> {
    Door() {
      super(Object.class);
    }

    @Override
    public Behavior<Command> aroundReceive(
        TypedActorContext<Object> ctx, Object msg, ReceiveTarget<Command> target) {
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
      Random random) {
    this.context = context;
    this.timers = timers;
    this.log = context.getLog();
    this.cluster = cluster;
    this.settings = settings;
    this.storage = storage;
    this.transport = transport;
    this.clock = clock;
    this.timeouts =
        new ElectionTimeouts(settings.electionTimeoutMin(), settings.electionTimeoutMax(), random);
    // The same dispatcher as the node: whoever starts the node decides where it runs (a
    // simulation runs it on a deterministic one).
    this.stateMachine =
        context.spawn(
            StateMachineActor.create(settings), "state-machine", DispatcherSelector.sameAsParent());
    context.watch(stateMachine);
  }

  private Behavior<Command> start() {
    // What an earlier run of this node wrote may never have been synced: it stopped between a
    // write and its sync, or because the sync failed. Such entries read back like any other, and
    // acknowledging them to a leader would count a copy that a power failure can still take. One
    // sync now makes everything this node will acknowledge durable (found by the simulation: a
    // follower whose sync failed came back and completed a majority with an unsynced entry).
    storage.sync();
    NodeState s = NodeState.initial(storage.currentTerm(), storage.votedFor());
    long commit = Math.min(storage.commitHint(), storage.lastIndex());
    log.info(
        "Node [n{}] at [{}] starting in term [{}]: log [{}..{}] (last term {}), commit [{}], peers {}",
        cluster.selfId(),
        cluster.self(),
        s.term(),
        storage.firstIndex(),
        storage.lastIndex(),
        storage.lastTerm(),
        commit,
        cluster.peers());
    // Entries known committed before the restart can be applied at once: committed entries are
    // never replaced (§5.4), so the state machine is back without waiting for a leader.
    s = applyCommitted(s.withCommitIndex(commit));
    onKeepalive(Follower.INSTANCE);
    timers.startTimerWithFixedDelay(KEEPALIVE_TIMER, KeepaliveTick.INSTANCE, KEEPALIVE_INTERVAL);
    if (cluster.peers().isEmpty()) {
      return startElection(s); // a cluster of one elects itself
    }
    return becomeFollower(s);
  }

  // ---------------------------------------------------------------------------------------------
  // Behaviors: one per role. Each routes messages to handlers shared by all roles; the handler
  // decides by role where roles differ.

  private Behavior<Command> follower(NodeState s) {
    return roleBehavior(s, Follower.INSTANCE)
        .onMessageEquals(ElectionTimeout.INSTANCE, () -> onElectionTimeout(s, Follower.INSTANCE))
        .onMessageEquals(HeartbeatTick.INSTANCE, Behaviors::same)
        .onMessageEquals(CheckQuorumTick.INSTANCE, Behaviors::same)
        .onMessageEquals(Flush.INSTANCE, Behaviors::same)
        .build();
  }

  private Behavior<Command> candidate(NodeState s, Candidate c) {
    return roleBehavior(s, c)
        .onMessageEquals(ElectionTimeout.INSTANCE, () -> onElectionTimeout(s, c))
        .onMessageEquals(HeartbeatTick.INSTANCE, Behaviors::same)
        .onMessageEquals(CheckQuorumTick.INSTANCE, Behaviors::same)
        .onMessageEquals(Flush.INSTANCE, Behaviors::same)
        .build();
  }

  private Behavior<Command> leader(NodeState s, Leader l) {
    return roleBehavior(s, l)
        .onMessageEquals(HeartbeatTick.INSTANCE, () -> onHeartbeatTick(s, l.state()))
        .onMessageEquals(CheckQuorumTick.INSTANCE, () -> onCheckQuorum(s, l))
        .onMessageEquals(Flush.INSTANCE, () -> onFlush(s, l))
        .onMessageEquals(ElectionTimeout.INSTANCE, Behaviors::same)
        .build();
  }

  private akka.actor.typed.javadsl.BehaviorBuilder<Command> roleBehavior(NodeState s, Role r) {
    return Behaviors.receive(Command.class)
        .onSignal(Terminated.class, this::onStateMachineStopped)
        .onMessage(PreVote.class, m -> onPreVote(s, r, m))
        .onMessage(PreVoteReply.class, m -> onPreVoteReply(s, r, m))
        .onMessage(RequestVote.class, m -> onRequestVote(s, r, m))
        .onMessage(RequestVoteReply.class, m -> onRequestVoteReply(s, r, m))
        .onMessage(AppendEntries.class, m -> onAppendEntries(s, r, m))
        .onMessage(AppendEntriesReply.class, m -> onAppendEntriesReply(s, r, m))
        .onMessage(ReadIndexRequest.class, m -> onReadIndexRequest(s, r, m))
        .onMessage(ReadIndexReply.class, m -> onReadIndexReply(s, r, m))
        .onMessage(Ping.class, m -> Behaviors.same())
        .onMessageEquals(KeepaliveTick.INSTANCE, () -> onKeepalive(r))
        .onMessageEquals(LeaderQuiet.INSTANCE, () -> {
          leaderHeardRecently = false;
          return Behaviors.same();
        })
        .onMessage(FromClient.class, m -> onClient(s, r, m.request()));
  }

  private Behavior<Command> onClient(NodeState s, Role r, ClientProtocol.Request request) {
    if (request instanceof ClientProtocol.Write w) {
      return onWrite(s, r, w);
    }
    if (request instanceof ClientProtocol.Register g) {
      return onRegister(s, r, g);
    }
    if (request instanceof ClientProtocol.Read rd) {
      return onRead(s, r, rd);
    }
    return onStatus(s, r, (ClientProtocol.GetStatus) request);
  }

  /**
   * The state machine child stopped (it failed): this node can no longer apply or answer. Failing
   * the node lets its supervisor restart it, which rebuilds the state machine from storage.
   */
  private Behavior<Command> onStateMachineStopped(Terminated t) {
    throw new IllegalStateException("state machine stopped (" + t.getRef() + "); restarting the node");
  }

  private Behavior<Command> behaviorFor(NodeState s, Role r) {
    if (r instanceof Leader l) {
      return leader(s, l);
    }
    if (r instanceof Candidate c) {
      return candidate(s, c);
    }
    return follower(s);
  }

  // ---------------------------------------------------------------------------------------------
  // Terms and role changes

  /** The state and role after observing a message's term. */
  private record Step(NodeState s, Role r) {}

  /**
   * §5.1: a message with a higher term makes this node, whatever its role, a follower of that term,
   * with no vote cast in it yet. Persisted (synced) before anything else is done in the new term.
   */
  private Step observeTerm(NodeState s, Role r, long term, String cause, PeerMessage m) {
    if (term <= s.term()) {
      return new Step(s, r);
    }
    log.info(
        "Term [{}] -> [{}]: {} from [{}]{}",
        s.term(),
        term,
        cause,
        name(m.from(), m.fromId()),
        r == Follower.INSTANCE ? "" : "; stepping down from " + roleName(r));
    leaveRole(s, r, null, 0);
    NodeState f = s.withTerm(term);
    persistTermAndVote(f);
    resetElectionTimer();
    publishRole(f, Follower.INSTANCE);
    return new Step(f, Follower.INSTANCE);
  }

  /** Ends leader or candidate duties: timers stop, waiting clients are told to go elsewhere. */
  private void leaveRole(NodeState s, Role r, Endpoint hint, int hintId) {
    if (r instanceof Leader l) {
      timers.cancel(HEARTBEAT_TIMER);
      timers.cancel(CHECK_QUORUM_TIMER);
      LeaderState ls = l.state();
      List<ReadWaiter> waiting = new ArrayList<>(ls.readsBeforeCommitInTerm);
      ls.readsNeedingRound.forEach(p -> waiting.add(p.waiter()));
      ls.readsAwaitingQuorum.forEach(p -> waiting.add(p.waiter()));
      for (ReadWaiter w : waiting) {
        if (w instanceof LocalRead lr) {
          lr.replyTo()
              .tell(Reply.notLeader("leadership lost before the read was confirmed", idOrNull(hintId), hint));
        } else if (w instanceof FollowerRead fr) {
          transport.send(
              fr.follower(),
              new ReadIndexReply(s.term(), cluster.self(), cluster.selfId(), fr.requestId(), false, 0));
        }
      }
      // Unflushed entries were never stored, so never acknowledged: dropping them is safe, and
      // their clients are told not_leader; clients of stored entries get unknown (they may commit).
      stateMachine.tell(
          new StateMachineActor.FailPending(idOrNull(hintId), hint, storage.lastIndex()));
    }
  }

  private Behavior<Command> becomeFollower(NodeState s) {
    resetElectionTimer();
    publishRole(s, Follower.INSTANCE);
    return follower(s);
  }

  private void resetElectionTimer() {
    lastElectionTimeout = timeouts.next();
    // Restarting the key cancels the running timer and any tick of it already queued.
    timers.startSingleTimer(ELECTION_TIMER, ElectionTimeout.INSTANCE, lastElectionTimeout);
  }

  private void persistTermAndVote(NodeState s) {
    // Synced before any message of the new term or vote leaves this node: a node that forgot its
    // term or vote in a crash could vote twice in one term.
    storage.saveTermAndVote(s.term(), s.votedFor());
  }

  // ---------------------------------------------------------------------------------------------
  // Elections

  private Behavior<Command> onElectionTimeout(NodeState s, Role r) {
    if (r instanceof Leader) {
      return Behaviors.same();
    }
    if (r instanceof Candidate c) {
      log.info(
          "Election timeout after [{}] ms: {} for term [{}] did not reach a majority ({} of {})",
          lastElectionTimeout.toMillis(),
          c.preVote() ? "pre-vote" : "election",
          c.term(),
          c.votes().size(),
          cluster.quorum());
    } else {
      log.info(
          "Election timeout after [{}] ms in term [{}]: {}",
          lastElectionTimeout.toMillis(),
          s.term(),
          s.leader() == null ? "no leader" : "lost leader [" + name(s.leader(), s.leaderId()) + "]");
    }
    failFollowerReads("no leader: the election timer fired", null, 0);
    NodeState n = s.withoutLeader();
    return settings.preVote() ? startPreVote(n) : startElection(n);
  }

  private Behavior<Command> startPreVote(NodeState s) {
    Candidate c = new Candidate(true, s.term() + 1, new HashSet<>(Set.of(cluster.self())));
    log.info(
        "Pre-vote for term [{}] started (last log {}@{})",
        c.term(),
        storage.lastIndex(),
        storage.lastTerm());
    resetElectionTimer();
    publishRole(s, c);
    PreVote request =
        new PreVote(
            c.term(), cluster.self(), cluster.selfId(), storage.lastIndex(), storage.lastTerm());
    cluster.peers().forEach(p -> transport.send(p, request));
    return candidate(s, c);
  }

  private Behavior<Command> startElection(NodeState s) {
    NodeState n = s.withTerm(s.term() + 1).withVotedFor(cluster.self());
    log.info("Term [{}] -> [{}]: starting election, voting for self", s.term(), n.term());
    persistTermAndVote(n);
    Candidate c = new Candidate(false, n.term(), new HashSet<>(Set.of(cluster.self())));
    resetElectionTimer();
    publishRole(n, c);
    if (c.votes().size() >= cluster.quorum()) {
      return becomeLeader(n);
    }
    RequestVote request =
        new RequestVote(
            n.term(), cluster.self(), cluster.selfId(), storage.lastIndex(), storage.lastTerm());
    cluster.peers().forEach(p -> transport.send(p, request));
    return candidate(n, c);
  }

  private Behavior<Command> onPreVote(NodeState s, Role r, PreVote m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    // Nothing is adopted from a pre-vote: its term is only proposed (§9.6). Leader stickiness
    // (§4.2.3): a node that heard from its leader within the minimum election timeout, or is the
    // leader, does not help unseat it. Past that, it helps even before its own timer fires, so
    // the first node to notice a dead leader can win at once.
    boolean hearingFromLeader = r instanceof Leader || (s.leader() != null && leaderHeardRecently);
    RaftRules.VoteDecision d =
        RaftRules.decidePreVote(
            s.term(),
            hearingFromLeader,
            storage.lastTerm(),
            storage.lastIndex(),
            m.term(),
            m.lastLogTerm(),
            m.lastLogIndex());
    if (d.granted()) {
      log.info("Pre-vote for [{}] in term [{}] granted (our term {})", name(m.from(), m.fromId()), m.term(), s.term());
    } else {
      log.info("Pre-vote for [{}] in term [{}] refused: {}", name(m.from(), m.fromId()), m.term(), d.reason());
    }
    long replyTerm = d.granted() ? m.term() : s.term();
    transport.send(
        m.from(), new PreVoteReply(replyTerm, cluster.self(), cluster.selfId(), d.granted()));
    return Behaviors.same();
  }

  private Behavior<Command> onPreVoteReply(NodeState s, Role r, PreVoteReply m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    if (!m.granted()) {
      // A refusal carries the voter's real term: a higher one makes us its follower (§5.1).
      Step st = observeTerm(s, r, m.term(), "pre-vote refusal", m);
      return st.r() == r && st.s() == s ? Behaviors.same() : behaviorFor(st.s(), st.r());
    }
    if (!(r instanceof Candidate c) || !c.preVote() || m.term() != c.term()) {
      return Behaviors.same();
    }
    c.votes().add(m.from());
    if (c.votes().size() >= cluster.quorum()) {
      log.info("Pre-vote for term [{}] won ({} of {})", c.term(), c.votes().size(), cluster.clusterSize());
      return startElection(s);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRequestVote(NodeState s0, Role r0, RequestVote m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    Step st = observeTerm(s0, r0, m.term(), "RequestVote", m);
    NodeState s = st.s();
    Role r = st.r();
    RaftRules.VoteDecision d =
        RaftRules.decideVote(
            s.term(),
            s.votedFor(),
            storage.lastTerm(),
            storage.lastIndex(),
            m.term(),
            m.from(),
            m.lastLogTerm(),
            m.lastLogIndex());
    if (d.granted()) {
      if (s.votedFor().isEmpty()) {
        s = s.withVotedFor(m.from());
        persistTermAndVote(s); // synced before the reply: at most one vote per term (§5.2)
      }
      log.info("Vote in term [{}] granted to [{}]", s.term(), name(m.from(), m.fromId()));
      transport.send(m.from(), new RequestVoteReply(s.term(), cluster.self(), cluster.selfId(), true));
      // Granting a vote restarts the election timer (Figure 2, followers), and a pre-candidate
      // that votes for another gives up its own campaign.
      if (r instanceof Candidate c && c.preVote()) {
        publishRole(s, Follower.INSTANCE);
      }
      resetElectionTimer();
      return follower(s);
    }
    log.info(
        "Vote in term [{}] refused to [{}]: {}", s.term(), name(m.from(), m.fromId()), d.reason());
    transport.send(m.from(), new RequestVoteReply(s.term(), cluster.self(), cluster.selfId(), false));
    return st.s() == s0 && st.r() == r0 ? Behaviors.same() : behaviorFor(s, r);
  }

  private Behavior<Command> onRequestVoteReply(NodeState s0, Role r0, RequestVoteReply m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    Step st = observeTerm(s0, r0, m.term(), "RequestVote reply", m);
    if (st.s() != s0 || st.r() != r0) {
      return behaviorFor(st.s(), st.r());
    }
    // Only votes of this very election count; replies of older terms are stale.
    if (!(r0 instanceof Candidate c) || c.preVote() || m.term() != s0.term() || !m.granted()) {
      return Behaviors.same();
    }
    c.votes().add(m.from());
    if (c.votes().size() >= cluster.quorum()) {
      return becomeLeader(s0);
    }
    return Behaviors.same();
  }

  // ---------------------------------------------------------------------------------------------
  // Leader

  private Behavior<Command> becomeLeader(NodeState s0) {
    NodeState s = s0.withLeader(cluster.self(), cluster.selfId());
    log.info(
        "Won election for term [{}]: leader of {} members, log ends at {}@{}",
        s.term(),
        cluster.clusterSize(),
        storage.lastIndex(),
        storage.lastTerm());
    timers.cancel(ELECTION_TIMER);
    LeaderState l = new LeaderState(cluster.peers(), storage.lastIndex() + 1);
    Leader role = new Leader(l);
    publishRole(s, role);
    // §8: a no-op of the new term, so that entries of earlier terms commit with it (they cannot
    // commit by counting replicas, Figure 8) and reads learn a valid commit index.
    l.unflushed.add(LogEntry.noop(storage.lastIndex() + 1, s.term()));
    timers.startTimerWithFixedDelay(HEARTBEAT_TIMER, HeartbeatTick.INSTANCE, settings.heartbeatInterval());
    timers.startTimerWithFixedDelay(
        CHECK_QUORUM_TIMER, CheckQuorumTick.INSTANCE, settings.electionTimeoutMax());
    // Every follower hears of the new leader at once, not a heartbeat later.
    return leader(flush(s, role, true), role);
  }

  private void scheduleFlush(LeaderState l) {
    if (!l.flushScheduled) {
      l.flushScheduled = true;
      // Queued behind the requests already in the mailbox: they all join the same sync.
      context.getSelf().tell(Flush.INSTANCE);
    }
  }

  /**
   * Writes the entries appended since the last flush with one sync, then sends AppendEntries: to
   * every follower if {@code broadcast} or reads wait for a round, else to those that can take the
   * new entries now.
   */
  private Behavior<Command> onFlush(NodeState s, Leader role) {
    NodeState n = flush(s, role, false);
    return n == s ? Behaviors.same() : leader(n, role);
  }

  private NodeState flush(NodeState s, Leader role, boolean broadcast) {
    LeaderState l = role.state();
    l.flushScheduled = false;
    boolean newEntries = !l.unflushed.isEmpty();
    if (newEntries) {
      log.debug(
          "Appending [{}..{}] in one sync",
          l.unflushed.get(0).index(),
          l.unflushed.get(l.unflushed.size() - 1).index());
      storage.appendUnsynced(l.unflushed);
      l.unflushed.clear();
    }
    boolean newRound = startReadRound(l);
    for (Map.Entry<Endpoint, Progress> e : l.progress.entrySet()) {
      Progress p = e.getValue();
      if (broadcast || newRound || (p.replicating && p.nextIndex <= storage.lastIndex())) {
        sendAppend(s, l, e.getKey(), p);
      }
    }
    if (newEntries) {
      // §10.2.1: the followers got the entries while our own write was under way. Synced before
      // this handler ends, so before any reply can count them: the leader's entries count toward
      // a majority only once durable here (advanceCommit takes our last index as our match).
      storage.sync();
    }
    NodeState n = advanceCommit(s, l);
    releaseReads(n, l);
    return n;
  }

  private Behavior<Command> onHeartbeatTick(NodeState s, LeaderState l) {
    for (Map.Entry<Endpoint, Progress> e : l.progress.entrySet()) {
      sendAppend(s, l, e.getKey(), e.getValue());
    }
    return Behaviors.same();
  }

  /**
   * Every election timeout: report followers that stopped answering, and (check-quorum) step down
   * if a majority did not answer, so that clients stop waiting on a leader that cannot commit.
   */
  private Behavior<Command> onCheckQuorum(NodeState s, Leader role) {
    LeaderState l = role.state();
    int active = 1;
    for (Map.Entry<Endpoint, Progress> e : l.progress.entrySet()) {
      Progress p = e.getValue();
      if (p.recentActive) {
        active++;
      } else if (!p.silent) {
        p.silent = true;
        log.info(
            "Follower [{}] has not answered for [{}] ms",
            name(e.getKey(), peerIds.getOrDefault(e.getKey(), 0)),
            settings.electionTimeoutMax().toMillis());
      }
      p.recentActive = false;
    }
    if (active >= cluster.quorum() || !settings.checkQuorum()) {
      return Behaviors.same();
    }
    log.info(
        "Stepping down in term [{}]: heard from {} of {} members in the last {} ms",
        s.term(),
        active,
        cluster.clusterSize(),
        settings.electionTimeoutMax().toMillis());
    leaveRole(s, role, null, 0);
    return becomeFollower(s.withoutLeader());
  }

  /**
   * Sends one AppendEntries to {@code peer} from its {@code nextIndex}. A replicating follower gets
   * the entries it lacks (up to {@code max-append-bytes}) and its {@code nextIndex} moves past them
   * at once (pipelining); a probing one gets none until a reply shows where its log matches.
   */
  private void sendAppend(NodeState s, LeaderState l, Endpoint peer, Progress p) {
    long last = storage.lastIndex();
    long prev = p.nextIndex - 1;
    List<LogEntry> entries =
        p.replicating && p.nextIndex <= last
            ? storage.entries(p.nextIndex, last, settings.maxAppendBytes())
            : List.of();
    AppendEntries m =
        new AppendEntries(
            s.term(),
            cluster.self(),
            cluster.selfId(),
            prev,
            storage.termAt(prev),
            entries,
            s.commitIndex(),
            l.round);
    if (!entries.isEmpty()) {
      p.nextIndex = entries.get(entries.size() - 1).index() + 1;
      log.debug("AppendEntries to [{}]: [{}..{}]", peer, prev + 1, p.nextIndex - 1);
    }
    transport.send(peer, m);
  }

  private Behavior<Command> onAppendEntriesReply(NodeState s0, Role r0, AppendEntriesReply m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    Step st = observeTerm(s0, r0, m.term(), "AppendEntries reply", m);
    if (st.s() != s0 || st.r() != r0) {
      return behaviorFor(st.s(), st.r());
    }
    if (!(r0 instanceof Leader role) || m.term() != s0.term()) {
      return Behaviors.same(); // a reply to an earlier leadership of ours
    }
    LeaderState l = role.state();
    Progress p = l.progress.get(m.from());
    peerIds.put(m.from(), m.fromId());
    p.recentActive = true;
    p.lastAckNanos = System.nanoTime();
    if (p.silent) {
      p.silent = false;
      log.info("Follower [{}] answers again", name(m.from(), m.fromId()));
    }
    p.ackedRound = Math.max(p.ackedRound, Math.min(m.round(), l.round));
    NodeState s = s0;
    if (m.success()) {
      if (m.index() > storage.lastIndex()) {
        log.warn("Dropping AppendEntries reply from [{}]: index {} beyond our log", m.from(), m.index());
        return Behaviors.same();
      }
      p.matchIndex = Math.max(p.matchIndex, m.index());
      p.nextIndex = Math.max(p.nextIndex, p.matchIndex + 1);
      if (!p.replicating) {
        p.replicating = true;
        log.info(
            "Follower [{}] matches the log up to [{}]; replicating",
            name(m.from(), m.fromId()),
            p.matchIndex);
      }
      s = advanceCommit(s0, l);
      if (p.nextIndex <= storage.lastIndex()) {
        sendAppend(s, l, m.from(), p);
      }
    } else if (m.index() > storage.lastIndex()) {
      log.warn("Dropping AppendEntries rejection from [{}]: index {} beyond our log", m.from(), m.index());
    } else if (m.index() >= p.matchIndex) {
      // A stale rejection (below what is known to match) says nothing new, so only this branch
      // moves nextIndex back, using the follower's hint to skip a whole term at a time.
      long next =
          RaftRules.nextIndexAfterRejection(
              storage,
              p.matchIndex,
              m.index(),
              new RaftRules.ConflictHint(m.conflictTerm(), m.conflictIndex()));
      log.debug(
          "Follower [{}] rejected prevLogIndex {} (hint {}@{}); next index {} -> {}",
          m.from(),
          m.index(),
          m.conflictIndex(),
          m.conflictTerm(),
          p.nextIndex,
          next);
      p.nextIndex = next;
      p.replicating = false;
      sendAppend(s, l, m.from(), p);
    }
    releaseReads(s, l);
    return s == s0 ? Behaviors.same() : leader(s, role);
  }

  /** Commits what a majority stores, if of the current term (Figure 8), and applies it. */
  private NodeState advanceCommit(NodeState s, LeaderState l) {
    long[] match = new long[l.progress.size() + 1];
    int i = 0;
    for (Progress p : l.progress.values()) {
      match[i++] = p.matchIndex;
    }
    match[i] = storage.lastIndex(); // the leader's own entries: synced at flush
    long commit = RaftRules.advanceCommit(s.term(), s.commitIndex(), match, storage::termAt);
    if (commit == s.commitIndex()) {
      return s;
    }
    NodeState n = applyCommitted(s.withCommitIndex(commit));
    if (!l.committedInTerm) {
      l.committedInTerm = true;
      for (ReadWaiter w : l.readsBeforeCommitInTerm) {
        l.readsNeedingRound.add(new PendingRead(w, commit, 0));
      }
      l.readsBeforeCommitInTerm.clear();
      if (!l.readsNeedingRound.isEmpty()) {
        scheduleFlush(l);
      }
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Follower side of AppendEntries

  private Behavior<Command> onAppendEntries(NodeState s0, Role r0, AppendEntries m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    String malformed = malformed(m);
    if (malformed != null) {
      log.warn("Dropping malformed AppendEntries from [{}]: {}", m.from(), malformed);
      return Behaviors.same();
    }
    if (m.term() < s0.term()) {
      // Figure 2 rule 1: refuse a stale leader; our term in the reply makes it step down.
      log.debug("Refusing AppendEntries of term {} from [{}]: our term is {}", m.term(), m.from(), s0.term());
      transport.send(
          m.from(),
          new AppendEntriesReply(
              s0.term(), cluster.self(), cluster.selfId(), false, m.prevLogIndex(), 0, 0, m.round()));
      return Behaviors.same();
    }
    Step st = observeTerm(s0, r0, m.term(), "AppendEntries", m);
    NodeState s = st.s();
    Role r = st.r();
    if (r instanceof Leader) {
      // Two leaders in one term would break Election Safety (§5.2): this cannot happen.
      log.error("AppendEntries from [{}] claims leadership of our own term [{}]", m.from(), s.term());
      return Behaviors.same();
    }
    if (r instanceof Candidate c) {
      log.info(
          "Leader [{}] of term [{}] found; abandoning {}",
          name(m.from(), m.fromId()),
          m.term(),
          c.preVote() ? "pre-vote" : "election");
      r = Follower.INSTANCE;
      publishRole(s, r);
    }
    if (!m.from().equals(s.leader())) {
      log.info("Following leader [{}] in term [{}]", name(m.from(), m.fromId()), s.term());
      failFollowerReads("the leader changed", m.from(), m.fromId());
      s = s.withLeader(m.from(), m.fromId());
    }
    peerIds.put(m.from(), m.fromId());
    lastLeaderContactNanos = System.nanoTime();
    leaderHeardRecently = true;
    timers.startSingleTimer(LEADER_QUIET_TIMER, LeaderQuiet.INSTANCE, settings.electionTimeoutMin());
    resetElectionTimer();
    forgetUnansweredReads();

    // Log matching (Figure 2 rule 2): our entry at prevLogIndex must carry prevLogTerm.
    long prev = m.prevLogIndex();
    if (prev > storage.lastIndex() || storage.termAt(prev) != m.prevLogTerm()) {
      RaftRules.ConflictHint h = RaftRules.conflictHint(storage, prev);
      log.debug("Log does not match at {}@{}: hint {}@{}", prev, m.prevLogTerm(), h.conflictIndex(), h.conflictTerm());
      transport.send(
          m.from(),
          new AppendEntriesReply(
              s.term(),
              cluster.self(),
              cluster.selfId(),
              false,
              prev,
              h.conflictTerm(),
              h.conflictIndex(),
              m.round()));
      return follower(s);
    }

    // Rule 3 and 4: skip what we already hold; from the first entry that is new or conflicts,
    // replace our suffix with the leader's entries. A duplicate or reordered AppendEntries whose
    // entries all match truncates nothing.
    List<LogEntry> entries = m.entries();
    int firstNew = 0;
    while (firstNew < entries.size()) {
      LogEntry e = entries.get(firstNew);
      if (e.index() > storage.lastIndex() || storage.termAt(e.index()) != e.term()) {
        break;
      }
      firstNew++;
    }
    if (firstNew < entries.size()) {
      long from = entries.get(firstNew).index();
      if (from <= s.commitIndex()) {
        log.error(
            "AppendEntries from [{}] would replace committed entry {} (commit {}); ignored",
            m.from(),
            from,
            s.commitIndex());
        return follower(s);
      }
      if (from <= storage.lastIndex()) {
        log.info(
            "Replacing conflicting entries [{}..{}] with the leader's", from, storage.lastIndex());
      }
      // Synced before the reply: an acknowledged entry survives a crash.
      storage.append(entries.subList(firstNew, entries.size()));
    }
    long lastNew = prev + entries.size();
    // Rule 5: commit up to the leader's commit index, within what this message proved we hold.
    long commit = Math.max(s.commitIndex(), Math.min(m.leaderCommit(), lastNew));
    if (commit > s.commitIndex()) {
      s = applyCommitted(s.withCommitIndex(commit));
    }
    transport.send(
        m.from(),
        new AppendEntriesReply(s.term(), cluster.self(), cluster.selfId(), true, lastNew, 0, 0, m.round()));
    return follower(s);
  }

  /** Null if {@code m} is well formed, else what is wrong with it. */
  private static String malformed(AppendEntries m) {
    if (m.prevLogIndex() < 0 || m.prevLogTerm() < 0 || m.leaderCommit() < 0) {
      return "negative index or term";
    }
    if (m.prevLogTerm() > m.term()) {
      return "prevLogTerm " + m.prevLogTerm() + " above the leader's term " + m.term();
    }
    if (m.entries() == null) {
      return "no entry list";
    }
    long expected = m.prevLogIndex() + 1;
    long term = m.prevLogTerm();
    for (LogEntry e : m.entries()) {
      if (e == null || e.index() != expected || e.term() < term || e.term() > m.term()) {
        return "entries not consecutive from " + (m.prevLogIndex() + 1) + " with rising terms";
      }
      expected++;
      term = e.term();
    }
    return null;
  }

  /** Hands every entry up to the commit index to the state machine, in order. */
  private NodeState applyCommitted(NodeState s) {
    if (s.commitIndex() <= s.lastApplied()) {
      return s;
    }
    log.debug("Commit index -> [{}]", s.commitIndex());
    storage.saveCommitHint(s.commitIndex());
    long next = s.lastApplied() + 1;
    while (next <= s.commitIndex()) {
      List<LogEntry> batch = storage.entries(next, s.commitIndex(), settings.maxAppendBytes());
      stateMachine.tell(new StateMachineActor.Apply(batch));
      next = batch.get(batch.size() - 1).index() + 1;
    }
    return s.withLastApplied(s.commitIndex());
  }

  // ---------------------------------------------------------------------------------------------
  // Clients

  private Behavior<Command> onWrite(NodeState s, Role r, ClientProtocol.Write m) {
    if (!(r instanceof Leader role)) {
      m.replyTo().tell(notLeader(s));
      return Behaviors.same();
    }
    Optional<Result> refused = Limits.check(m.clientId(), m.seq(), m.op());
    if (refused.isPresent()) {
      m.replyTo().tell(Reply.of(refused.get()));
      return Behaviors.same();
    }
    LeaderState l = role.state();
    // Logged time for session expiry: never behind an earlier command of this leadership.
    l.lastTimestamp = Math.max(l.lastTimestamp, clock.millis());
    byte[] data = CommandCodec.encode(new KvCommand(m.clientId(), m.seq(), l.lastTimestamp, m.op()));
    return append(s, l, data, m.replyTo());
  }

  /** §6.3: a session starts with a log entry of its own, applied like a write. */
  private Behavior<Command> onRegister(NodeState s, Role r, ClientProtocol.Register m) {
    if (!(r instanceof Leader role)) {
      m.replyTo().tell(notLeader(s));
      return Behaviors.same();
    }
    Optional<Result> refused = Limits.checkClientId(m.clientId());
    if (refused.isPresent()) {
      m.replyTo().tell(Reply.of(refused.get()));
      return Behaviors.same();
    }
    LeaderState l = role.state();
    l.lastTimestamp = Math.max(l.lastTimestamp, clock.millis());
    return append(s, l, CommandCodec.encode(KvCommand.register(m.clientId(), l.lastTimestamp)), m.replyTo());
  }

  private Behavior<Command> append(NodeState s, LeaderState l, byte[] data, ActorRef<Reply> replyTo) {
    long index = storage.lastIndex() + l.unflushed.size() + 1;
    l.unflushed.add(new LogEntry(index, s.term(), EntryType.COMMAND, data));
    stateMachine.tell(new StateMachineActor.AwaitResult(index, s.term(), replyTo));
    scheduleFlush(l);
    return Behaviors.same();
  }

  private Behavior<Command> onRead(NodeState s, Role r, ClientProtocol.Read m) {
    Optional<Result> refused = Limits.checkKey(m.key());
    if (refused.isPresent()) {
      m.replyTo().tell(Reply.of(refused.get()));
      return Behaviors.same();
    }
    if (m.consistency() == ClientProtocol.Consistency.STALE) {
      stateMachine.tell(new StateMachineActor.Read(m.key(), 0, m.replyTo()));
    } else if (r instanceof Leader role) {
      enqueueRead(s, role.state(), new LocalRead(m.key(), m.replyTo()));
    } else if (s.leader() != null) {
      long id = ++nextReadRequestId;
      followerReads.put(id, new FollowerReadWait(m.key(), m.replyTo(), clock.millis()));
      transport.send(s.leader(), new ReadIndexRequest(s.term(), cluster.self(), cluster.selfId(), id));
    } else {
      m.replyTo().tell(notLeader(s));
    }
    return Behaviors.same();
  }

  /** ReadIndex (dissertation §6.4): a read index is only valid once this term committed an entry. */
  private void enqueueRead(NodeState s, LeaderState l, ReadWaiter w) {
    if (!l.committedInTerm) {
      l.readsBeforeCommitInTerm.add(w);
    } else {
      l.readsNeedingRound.add(new PendingRead(w, s.commitIndex(), 0));
      scheduleFlush(l);
    }
  }

  /** Gives every read waiting for a round the next round number; true if there were any. */
  private static boolean startReadRound(LeaderState l) {
    if (l.readsNeedingRound.isEmpty()) {
      return false;
    }
    l.round++;
    for (PendingRead p : l.readsNeedingRound) {
      l.readsAwaitingQuorum.add(new PendingRead(p.waiter(), p.readIndex(), l.round));
    }
    l.readsNeedingRound.clear();
    return true;
  }

  /** Serves the reads whose round a majority acknowledged: we were still leader after they came. */
  private void releaseReads(NodeState s, LeaderState l) {
    long acked = l.quorumRound(cluster.quorum());
    while (!l.readsAwaitingQuorum.isEmpty() && l.readsAwaitingQuorum.peek().round() <= acked) {
      PendingRead p = l.readsAwaitingQuorum.poll();
      if (p.waiter() instanceof LocalRead lr) {
        stateMachine.tell(new StateMachineActor.Read(lr.key(), p.readIndex(), lr.replyTo()));
      } else if (p.waiter() instanceof FollowerRead fr) {
        transport.send(
            fr.follower(),
            new ReadIndexReply(
                s.term(), cluster.self(), cluster.selfId(), fr.requestId(), true, p.readIndex()));
      }
    }
  }

  private Behavior<Command> onReadIndexRequest(NodeState s0, Role r0, ReadIndexRequest m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    Step st = observeTerm(s0, r0, m.term(), "ReadIndex request", m);
    if (st.r() instanceof Leader role) {
      // Served whatever the follower's term: the index is valid for anyone once confirmed.
      enqueueRead(st.s(), role.state(), new FollowerRead(m.from(), m.requestId()));
    } else {
      transport.send(
          m.from(),
          new ReadIndexReply(st.s().term(), cluster.self(), cluster.selfId(), m.requestId(), false, 0));
    }
    return st.s() == s0 && st.r() == r0 ? Behaviors.same() : behaviorFor(st.s(), st.r());
  }

  private Behavior<Command> onReadIndexReply(NodeState s0, Role r0, ReadIndexReply m) {
    if (!knownPeer(m)) {
      return Behaviors.same();
    }
    Step st = observeTerm(s0, r0, m.term(), "ReadIndex reply", m);
    FollowerReadWait w = followerReads.remove(m.requestId());
    if (w != null) {
      if (m.ok()) {
        // Served once this node has applied up to the leader's commit index at confirmation.
        stateMachine.tell(new StateMachineActor.Read(w.key(), m.readIndex(), w.replyTo()));
      } else {
        w.replyTo().tell(notLeader(st.s()));
      }
    }
    return st.s() == s0 && st.r() == r0 ? Behaviors.same() : behaviorFor(st.s(), st.r());
  }

  /**
   * Drops follower reads the leader never answered (a lost message): their clients gave up long
   * ago. Oldest first, so the scan stops at the first recent one.
   */
  private void forgetUnansweredReads() {
    long cutoff = clock.millis() - FOLLOWER_READ_RETENTION.toMillis();
    var it = followerReads.values().iterator();
    while (it.hasNext() && it.next().sinceMillis() < cutoff) {
      it.remove();
    }
  }

  private void failFollowerReads(String why, Endpoint leader, int leaderId) {
    if (followerReads.isEmpty()) {
      return;
    }
    for (FollowerReadWait w : followerReads.values()) {
      w.replyTo().tell(Reply.notLeader(why + "; retry", idOrNull(leaderId), leader));
    }
    followerReads.clear();
  }

  private Reply notLeader(NodeState s) {
    if (s.leader() == null) {
      return Reply.notLeader("node n" + cluster.selfId() + " is not the leader and knows none", null, null);
    }
    return Reply.notLeader(
        "node n" + cluster.selfId() + " is not the leader; the leader is " + name(s.leader(), s.leaderId()),
        idOrNull(s.leaderId()),
        s.leader());
  }

  private Behavior<Command> onStatus(NodeState s, Role r, ClientProtocol.GetStatus m) {
    List<PeerStatus> peers = new ArrayList<>();
    Long lastContact;
    long now = System.nanoTime();
    if (r instanceof Leader l) {
      lastContact = 0L;
      for (Map.Entry<Endpoint, Progress> e : l.state().progress.entrySet()) {
        Progress p = e.getValue();
        peers.add(
            new PeerStatus(
                peerIds.get(e.getKey()),
                e.getKey(),
                p.matchIndex,
                p.lastAckNanos < 0 ? null : (now - p.lastAckNanos) / 1_000_000));
      }
    } else {
      lastContact = lastLeaderContactNanos < 0 ? null : (now - lastLeaderContactNanos) / 1_000_000;
    }
    NodeStatus partial =
        new NodeStatus(
            cluster.selfId(),
            cluster.self(),
            roleName(r),
            s.term(),
            idOrNull(s.leaderId()),
            s.leader(),
            s.commitIndex(),
            0,
            storage.lastIndex(),
            storage.lastTerm(),
            lastContact,
            peers);
    stateMachine.tell(new StateMachineActor.Status(partial, m.replyTo()));
    return Behaviors.same();
  }

  /** A leader's heartbeats already keep its connections busy; everyone else pings. */
  private Behavior<Command> onKeepalive(Role r) {
    if (!(r instanceof Leader)) {
      Ping ping = new Ping(0, cluster.self(), cluster.selfId());
      cluster.peers().forEach(p -> transport.send(p, ping));
    }
    return Behaviors.same();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private boolean knownPeer(PeerMessage m) {
    if (m.from() != null && cluster.isPeer(m.from())) {
      return true;
    }
    if (strangers.add(String.valueOf(m.from()))) {
      log.warn(
          "Dropping {} from [{}]: not a member of this cluster (further ones dropped silently)",
          m.getClass().getSimpleName(),
          m.from());
    }
    return false;
  }

  private void publishRole(NodeState s, Role r) {
    context
        .getSystem()
        .eventStream()
        .tell(new EventStream.Publish<>(new RoleChanged(cluster.selfId(), cluster.self(), roleName(r), s.term())));
  }

  private static String roleName(Role r) {
    if (r instanceof Leader) {
      return "leader";
    }
    if (r instanceof Candidate c) {
      return c.preVote() ? "pre-candidate" : "candidate";
    }
    return "follower";
  }

  private static String name(Endpoint e, int id) {
    return id > 0 ? "n" + id : String.valueOf(e);
  }

  private static Integer idOrNull(int id) {
    return id > 0 ? id : null;
  }
}
