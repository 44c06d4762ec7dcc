package raftkv.raft.core;

import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import raftkv.common.Endpoint;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Effects.LeadershipLost;
import raftkv.raft.core.Effects.NotLeader;
import raftkv.raft.core.Effects.ReadAt;
import raftkv.raft.core.Effects.TimerOp;
import raftkv.raft.core.Input.Tick;
import raftkv.raft.core.LeaderState.LocalRead;
import raftkv.raft.core.LeaderState.ReadWaiter;
import raftkv.raft.core.LeaderState.RemoteRead;
import raftkv.raft.core.RaftRules.Acceptance;
import raftkv.raft.core.RaftRules.VoteDecision;
import raftkv.raft.core.Role.Candidate;
import raftkv.raft.core.Role.Follower;
import raftkv.raft.core.Role.FollowerRead;
import raftkv.raft.core.Role.Leader;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.raft.core.Rpc.InstallSnapshot;
import raftkv.raft.core.Rpc.InstallSnapshotReply;
import raftkv.raft.core.Rpc.PeerMessage;
import raftkv.raft.core.Rpc.Ping;
import raftkv.raft.core.Rpc.PreVote;
import raftkv.raft.core.Rpc.PreVoteReply;
import raftkv.raft.core.Rpc.ReadIndexReply;
import raftkv.raft.core.Rpc.ReadIndexRequest;
import raftkv.raft.core.Rpc.RequestVote;
import raftkv.raft.core.Rpc.RequestVoteReply;
import raftkv.storage.LogEntry;
import raftkv.storage.RaftLog;

/**
 * Raft's decisions (Figure 2 of the paper, with pre-vote, check-quorum and ReadIndex from the
 * dissertation), with no actor and no I/O: {@link #step} takes the node's state and one {@link
 * Input} and returns the next state and the {@link Effects} the node must carry out. It reads the
 * log it is given, and never writes it: the node does, as the effects say.
 *
 * <p>Every peer message enters through one door ({@link #onPeer}): the sender is checked against
 * the members, a malformed AppendEntries is dropped, and the message's term is observed (§5.1: a
 * higher term makes any role a follower of that term; pre-votes carry a proposed term that nobody
 * adopts). Then the role's handler runs: {@link #follower}, {@link #candidate} or, for a leader,
 * {@link Leading}. Deterministic given its inputs, the log, the clock and the incarnation, so a
 * simulation can replay it.
 */
public final class RaftCore {
  /** How long a follower remembers a read it forwarded to the leader; clients wait less. */
  static final long FOLLOWER_READ_RETENTION_MILLIS = 30_000;

  final ClusterConfig cluster;
  final RaftSettings settings;
  final RaftLog log;
  final Clock clock;
  final Logger logger;
  /**
   * Drawn once per run of the node from the injected random: tells this run's forwarded reads from
   * an earlier run's.
   */
  final long incarnation;
  private final Leading leading;
  private final ElectionTimeouts timeouts;
  /** The last election timeout drawn, for the log line when it fires. */
  private java.time.Duration lastTimeout = java.time.Duration.ZERO;
  /** Senders outside the cluster already warned about (logging only). */
  private final Set<Endpoint> strangers = new HashSet<>();
  /** The ids members gave in their messages: labels for logs and status only. */
  private final Map<Endpoint, Integer> peerIds = new HashMap<>();

  public RaftCore(
      ClusterConfig cluster,
      RaftSettings settings,
      RaftLog log,
      Clock clock,
      java.util.Random random,
      Logger logger) {
    this.cluster = cluster;
    this.settings = settings;
    this.log = log;
    this.clock = clock;
    this.timeouts =
        new ElectionTimeouts(settings.electionTimeoutMin(), settings.electionTimeoutMax(), random);
    this.incarnation = random.nextLong();
    this.logger = logger;
    this.leading = new Leading(this);
  }

  /**
   * The state a node starts in, from what its storage holds. Entries known committed before the
   * restart, and those its log was compacted past, count as committed at once: committed entries
   * are never replaced (§5.4).
   */
  public Step start(long term, Optional<Endpoint> votedFor, long commitHint) {
    // What the log was compacted up to is in the state machine: committed, whatever the hint says.
    long commit = Math.max(Math.min(commitHint, log.lastIndex()), log.firstIndex() - 1);
    RaftState s = new RaftState(NodeState.initial(term, votedFor, commit), Follower.NEW, 0);
    logger.info(
        "Node [n{}] at [{}] starting in term [{}]: log [{}..{}] (last term {}), commit [{}], peers {}",
        cluster.selfId(), cluster.self(), term, log.firstIndex(), log.lastIndex(), log.lastTerm(),
        commit, cluster.peers());
    Effects.Builder fx = new Effects.Builder();
    // Every peer hears from us at once, so connections are open before an election needs them.
    Ping ping = new Ping(0, cluster.self(), cluster.selfId());
    cluster.peers().forEach(p -> fx.send(p, ping));
    RaftState next = cluster.peers().isEmpty() ? startElection(s, fx) : becomeFollower(s, fx);
    return new Step(next, fx.build());
  }

  public Step step(RaftState s, Input in) {
    Effects.Builder fx = new Effects.Builder();
    RaftState next;
    if (in instanceof PeerMessage m) {
      next = onPeer(s, m, fx);
    } else if (in instanceof Tick t) {
      next = onTick(s, t, fx);
    } else if (in instanceof Input.Propose p) {
      next = s.role() instanceof Leader l ? leading.propose(s, l, p, fx) : refuse(s, p.caller(), fx);
    } else if (in instanceof Input.Read r) {
      next = onRead(s, r, fx);
    } else if (in instanceof Input.Installed i) {
      next = onInstalled(s, i, fx);
    } else {
      Input.Synced sy = (Input.Synced) in;
      next = s.role() instanceof Leader l ? leading.synced(s, l, sy.index(), fx) : s;
    }
    return new Step(next, fx.build());
  }

  // ---------------------------------------------------------------------------------------------
  // The front door

  private RaftState onPeer(RaftState s, PeerMessage m, Effects.Builder fx) {
    if (m.from() == null || !cluster.isPeer(m.from())) {
      if (strangers.add(m.from())) {
        logger.warn(
            "Dropping {} from [{}]: not a member of this cluster (further ones dropped silently)",
            m.getClass().getSimpleName(), m.from());
      }
      return s;
    }
    if (m.fromId() > 0) {
      peerIds.put(m.from(), m.fromId());
    }
    if (m instanceof Ping) {
      return s;
    }
    if (m instanceof AppendEntries ae) {
      String malformed = malformed(ae);
      if (malformed != null) {
        logger.warn("Dropping malformed AppendEntries from [{}]: {}", m.from(), malformed);
        return s;
      }
    }
    if (m instanceof InstallSnapshot is) {
      String malformed = malformed(is);
      if (malformed != null) {
        logger.warn("Dropping malformed InstallSnapshot from [{}]: {}", m.from(), malformed);
        return s;
      }
    }
    // §9.6: a pre-vote, and a granted reply to one, carry a proposed term: nobody adopts it.
    boolean realTerm = !(m instanceof PreVote) && !(m instanceof PreVoteReply r && r.granted());
    RaftState n = realTerm ? observeTerm(s, m, fx) : s;
    if (n.role() instanceof Leader l) {
      return leading.onPeer(n, l, m, fx);
    }
    if (n.role() instanceof Candidate c) {
      return candidate(n, c, m, fx);
    }
    return follower(n, (Follower) n.role(), m, fx);
  }

  /**
   * §5.1: a message with a higher term makes this node, whatever its role, a follower of that term,
   * with no vote cast in it yet; persisted (synced) before anything else is done in the new term.
   */
  private RaftState observeTerm(RaftState s, PeerMessage m, Effects.Builder fx) {
    if (m.term() <= s.term()) {
      return s;
    }
    logger.info(
        "Term [{}] -> [{}]: {} from [{}]{}",
        s.term(), m.term(), m.getClass().getSimpleName(), name(m.from(), m.fromId()),
        s.role() instanceof Follower ? "" : "; stepping down from " + s.role().name());
    leaveRole(s, null, 0, "the term changed", fx);
    fx.saveHardState();
    return becomeFollower(s.with(s.node().withTerm(m.term())), fx);
  }

  /** Ends a role's duties: a leader's timers stop; whoever waits on this role is answered. */
  void leaveRole(RaftState s, Endpoint hint, int hintId, String why, Effects.Builder fx) {
    if (s.role() instanceof Leader l) {
      fx.timer(TimerOp.STOP_LEADER);
      for (ReadWaiter w : l.state().allWaitingReads()) {
        if (w instanceof LocalRead lr) {
          fx.client(new NotLeader(lr.caller(), "leadership lost before the read was confirmed", hint, hintId));
        } else if (w instanceof RemoteRead rr) {
          fx.send(rr.follower(), new ReadIndexReply(
              s.term(), cluster.self(), cluster.selfId(), rr.requestId(), rr.incarnation(), false, 0));
        }
      }
      // Proposals still waiting: those stored may yet commit, the rest never will.
      fx.client(new LeadershipLost(log.lastIndex(), hint, hintId));
    } else if (s.role() instanceof Follower f) {
      failFollowerReads(f, why, hint, hintId, fx);
    }
  }

  /** Restarts the election timer with a fresh randomized timeout (§5.2: split votes stay rare). */
  void resetElection(Effects.Builder fx) {
    lastTimeout = timeouts.next();
    fx.resetElection(lastTimeout);
  }

  private RaftState becomeFollower(RaftState s, Effects.Builder fx) {
    resetElection(fx);
    return s.with(Follower.NEW);
  }

  // ---------------------------------------------------------------------------------------------
  // Ticks

  private RaftState onTick(RaftState s, Tick t, Effects.Builder fx) {
    if (s.role() instanceof Leader l) {
      return leading.onTick(s, l, t, fx);
    }
    switch (t) {
      case ELECTION:
        return electionTimeout(s, fx);
      case KEEPALIVE:
        // A leader's heartbeats keep its connections busy; everyone else pings.
        Ping ping = new Ping(0, cluster.self(), cluster.selfId());
        cluster.peers().forEach(p -> fx.send(p, ping));
        return s;
      case LEADER_QUIET:
        return s.role() instanceof Follower f
            ? s.with(new Follower(false, f.lastContactMillis(), f.reads()))
            : s;
      default:
        return s; // a leader's tick, queued before it stepped down
    }
  }

  private RaftState electionTimeout(RaftState s, Effects.Builder fx) {
    if (s.role() instanceof Candidate c) {
      logger.info(
          "Election timeout after [{}] ms: {} for term [{}] did not reach a majority ({} of {})",
          lastTimeout.toMillis(), c.preVote() ? "pre-vote" : "election", c.term(), c.votes().size(),
          cluster.quorum());
    } else {
      logger.info(
          "Election timeout after [{}] ms in term [{}]: {}",
          lastTimeout.toMillis(),
          s.term(),
          s.node().leader() == null
              ? "no leader"
              : "lost leader [" + name(s.node().leader(), s.node().leaderId()) + "]");
      leaveRole(s, null, 0, "no leader: the election timer fired", fx);
    }
    RaftState n = s.with(s.node().withoutLeader());
    return settings.preVote() ? startPreVote(n, fx) : startElection(n, fx);
  }

  // ---------------------------------------------------------------------------------------------
  // Elections

  LogPosition lastPosition() {
    return new LogPosition(log.lastIndex(), log.lastTerm());
  }

  private RaftState startPreVote(RaftState s, Effects.Builder fx) {
    Candidate c = new Candidate(true, s.term() + 1, Set.of(cluster.self()));
    logger.info("Pre-vote for term [{}] started (last log {})", c.term(), lastPosition());
    resetElection(fx);
    PreVote request =
        new PreVote(c.term(), cluster.self(), cluster.selfId(), log.lastIndex(), log.lastTerm());
    cluster.peers().forEach(p -> fx.send(p, request));
    return s.with(c);
  }

  private RaftState startElection(RaftState s, Effects.Builder fx) {
    NodeState n = s.node().withTerm(s.term() + 1).withVotedFor(cluster.self());
    logger.info("Term [{}] -> [{}]: starting election, voting for self", s.term(), n.term());
    fx.saveHardState();
    Candidate c = new Candidate(false, n.term(), Set.of(cluster.self()));
    resetElection(fx);
    if (c.votes().size() >= cluster.quorum()) {
      return leading.become(s.with(n, c), fx);
    }
    RequestVote request =
        new RequestVote(n.term(), cluster.self(), cluster.selfId(), log.lastIndex(), log.lastTerm());
    cluster.peers().forEach(p -> fx.send(p, request));
    return s.with(n, c);
  }

  /** Any role: nothing is adopted from a pre-vote, its term is only proposed (§9.6). */
  RaftState onPreVote(RaftState s, PreVote m, Effects.Builder fx) {
    boolean hearingFromLeader =
        s.role() instanceof Leader
            || (s.role() instanceof Follower f && s.node().leader() != null && f.leaderHeard());
    VoteDecision d =
        RaftRules.decidePreVote(
            s.term(), hearingFromLeader, lastPosition(), m.term(),
            new LogPosition(m.lastLogIndex(), m.lastLogTerm()));
    if (d.granted()) {
      logger.info("Pre-vote for [{}] in term [{}] granted (our term {})", name(m.from(), m.fromId()), m.term(), s.term());
    } else {
      logger.info("Pre-vote for [{}] in term [{}] refused: {}", name(m.from(), m.fromId()), m.term(), d.reason());
    }
    long replyTerm = d.granted() ? m.term() : s.term();
    fx.send(m.from(), new PreVoteReply(replyTerm, cluster.self(), cluster.selfId(), d.granted()));
    return s;
  }

  /** Any role, once the request's term is observed (Figure 2, RequestVote receiver). */
  RaftState onRequestVote(RaftState s, RequestVote m, Effects.Builder fx) {
    VoteDecision d =
        RaftRules.decideVote(
            s.term(), s.node().votedFor(), lastPosition(), m.term(), m.from(),
            new LogPosition(m.lastLogIndex(), m.lastLogTerm()));
    if (!d.granted()) {
      logger.info("Vote in term [{}] refused to [{}]: {}", s.term(), name(m.from(), m.fromId()), d.reason());
      fx.send(m.from(), new RequestVoteReply(s.term(), cluster.self(), cluster.selfId(), false));
      return s;
    }
    NodeState n = s.node();
    if (n.votedFor().isEmpty()) {
      n = n.withVotedFor(m.from());
      fx.saveHardState(); // synced before the reply: at most one vote per term (§5.2)
    }
    logger.info("Vote in term [{}] granted to [{}]", s.term(), name(m.from(), m.fromId()));
    fx.send(m.from(), new RequestVoteReply(s.term(), cluster.self(), cluster.selfId(), true));
    // Granting a vote restarts the election timer (Figure 2, followers), and a pre-candidate that
    // votes for another gives up its own campaign.
    resetElection(fx);
    Role r = s.role() instanceof Follower ? s.role() : Follower.NEW;
    return s.with(n, r);
  }

  private RaftState candidate(RaftState s, Candidate c, PeerMessage m, Effects.Builder fx) {
    if (m instanceof PreVoteReply r) {
      if (!r.granted() || !c.preVote() || r.term() != c.term()) {
        return s;
      }
      Candidate n = c.withVote(r.from());
      if (n.votes().size() >= cluster.quorum()) {
        logger.info("Pre-vote for term [{}] won ({} of {})", c.term(), n.votes().size(), cluster.clusterSize());
        return startElection(s, fx);
      }
      return s.with(n);
    }
    if (m instanceof RequestVoteReply r) {
      // Only votes of this very election count; replies of older terms are stale.
      if (c.preVote() || r.term() != s.term() || !r.granted()) {
        return s;
      }
      Candidate n = c.withVote(r.from());
      return n.votes().size() >= cluster.quorum() ? leading.become(s.with(n), fx) : s.with(n);
    }
    if ((m instanceof AppendEntries || m instanceof InstallSnapshot) && m.term() == s.term()) {
      logger.info(
          "Leader [{}] of term [{}] found; abandoning {}",
          name(m.from(), m.fromId()), m.term(), c.preVote() ? "pre-vote" : "election");
      return follower(s.with(Follower.NEW), Follower.NEW, m, fx);
    }
    return anyRole(s, m, fx);
  }

  /** Messages every role answers alike. */
  RaftState anyRole(RaftState s, PeerMessage m, Effects.Builder fx) {
    if (m instanceof PreVote pv) {
      return onPreVote(s, pv, fx);
    }
    if (m instanceof RequestVote rv) {
      return onRequestVote(s, rv, fx);
    }
    if (m instanceof AppendEntries ae && ae.term() < s.term()) {
      // Figure 2 rule 1: refuse a stale leader; our term in the reply makes it step down. The
      // reply names the request's term, so that it never counts for a later leadership.
      logger.debug("Refusing AppendEntries of term {} from [{}]: our term is {}", ae.term(), ae.from(), s.term());
      fx.send(ae.from(), new AppendEntriesReply(s.term(), cluster.self(), cluster.selfId(), false,
          ae.prevLogIndex(), 0, 0, ae.round(), ae.term()));
      return s;
    }
    if (m instanceof ReadIndexRequest rr) {
      fx.send(rr.from(), new ReadIndexReply(s.term(), cluster.self(), cluster.selfId(),
          rr.requestId(), rr.incarnation(), false, 0));
      return s;
    }
    if (m instanceof InstallSnapshot is && is.term() < s.term()) {
      // Figure 13 rule 1: a stale leader's chunk is refused; our term makes it step down.
      fx.send(is.from(), new InstallSnapshotReply(s.term(), cluster.self(), cluster.selfId(),
          is.lastIndex(), is.lastTerm(), is.transfer(), 0, false, is.term()));
      return s;
    }
    return s; // a reply meant for another role or term
  }

  // ---------------------------------------------------------------------------------------------
  // Follower

  private RaftState follower(RaftState s, Follower f, PeerMessage m, Effects.Builder fx) {
    if (m instanceof AppendEntries ae && ae.term() == s.term()) {
      return onAppendEntries(s, f, ae, fx);
    }
    if (m instanceof InstallSnapshot is && is.term() == s.term()) {
      return onInstallSnapshot(s, f, is, fx);
    }
    if (m instanceof ReadIndexReply r) {
      return onReadIndexReply(s, f, r, fx);
    }
    return anyRole(s, m, fx);
  }

  /**
   * A message from the leader of our term: it is our leader now (Figure 2, followers: the election
   * timer restarts), and the reads forwarded to an earlier leader are failed.
   */
  private RaftState heardFromLeader(RaftState s, Follower f, PeerMessage m, Effects.Builder fx) {
    NodeState n = s.node();
    Map<Long, FollowerRead> reads = f.reads();
    if (!m.from().equals(n.leader())) {
      logger.info("Following leader [{}] in term [{}]", name(m.from(), m.fromId()), s.term());
      failFollowerReads(f, "the leader changed", m.from(), m.fromId(), fx);
      reads = Map.of();
      n = n.withLeader(m.from(), m.fromId());
    }
    long now = clock.millis();
    reads = forgetUnansweredReads(reads, now);
    fx.timer(TimerOp.LEADER_QUIET);
    resetElection(fx);
    return s.with(n, new Follower(true, now, reads));
  }

  private RaftState onAppendEntries(RaftState s, Follower f, AppendEntries m, Effects.Builder fx) {
    RaftState heard = heardFromLeader(s, f, m, fx);
    NodeState n = heard.node();

    Acceptance a =
        RaftRules.acceptAppend(
            log, n.commitIndex(), new LogPosition(m.prevLogIndex(), m.prevLogTerm()), m.entries(),
            m.leaderCommit());
    if (!a.matches()) {
      logger.debug("Log does not match at {}@{}: hint {}", m.prevLogIndex(), m.prevLogTerm(), a.hint());
      fx.send(m.from(), new AppendEntriesReply(s.term(), cluster.self(), cluster.selfId(), false,
          m.prevLogIndex(), a.hint().conflictTerm(), a.hint().conflictIndex(), m.round(), m.term()));
      return heard;
    }
    if (a.replacesCommitted()) {
      logger.error("AppendEntries from [{}] would replace a committed entry (commit {}); ignored",
          m.from(), n.commitIndex());
      return heard;
    }
    if (!a.toAppend().isEmpty()) {
      long from = a.toAppend().get(0).index();
      if (from <= log.lastIndex()) {
        logger.info("Replacing conflicting entries [{}..{}] with the leader's", from, log.lastIndex());
      }
      fx.append(a.toAppend(), true); // synced before the reply: an acknowledged entry survives a crash
    }
    fx.send(m.from(), new AppendEntriesReply(s.term(), cluster.self(), cluster.selfId(), true,
        a.lastNew(), 0, 0, m.round(), m.term()));
    return heard.with(n.withCommitIndex(a.commitIndex()));
  }

  /**
   * Figure 13, InstallSnapshot receiver, once the term is observed. A snapshot that ends at or
   * below our commit index brings nothing new: our log already matches the leader's that far, and
   * the leader hears so at once. Otherwise the shell checks and stages the chunk ({@link
   * Effects.StageChunk}), answers it, and installs the snapshot after its last chunk.
   */
  private RaftState onInstallSnapshot(RaftState s, Follower f, InstallSnapshot m, Effects.Builder fx) {
    RaftState heard = heardFromLeader(s, f, m, fx);
    if (m.lastIndex() <= heard.node().commitIndex()) {
      fx.send(m.from(), new InstallSnapshotReply(s.term(), cluster.self(), cluster.selfId(),
          m.lastIndex(), m.lastTerm(), m.transfer(), m.seq() + 1, true, m.term()));
      return heard;
    }
    fx.snapshot(new Effects.StageChunk(m));
    return heard;
  }

  /** The shell installed a snapshot up to {@code index}: all of it is committed. */
  private RaftState onInstalled(RaftState s, Input.Installed i, Effects.Builder fx) {
    logger.info("Installed a snapshot up to index [{}] (term {}); the log now starts at [{}]",
        i.index(), log.termAt(i.index()), log.firstIndex());
    if (i.index() <= s.node().commitIndex()) {
      return s;
    }
    return s.with(s.node().withCommitIndex(i.index()));
  }

  private RaftState onRead(RaftState s, Input.Read r, Effects.Builder fx) {
    if (s.role() instanceof Leader l) {
      return leading.enqueueRead(s, l, new LocalRead(r.caller()), fx);
    }
    if (s.role() instanceof Follower f && s.node().leader() != null) {
      long id = s.lastReadId() + 1;
      Map<Long, FollowerRead> reads = new LinkedHashMap<>(f.reads());
      reads.put(id, new FollowerRead(r.caller(), s.node().leader(), s.term(), clock.millis()));
      fx.send(s.node().leader(),
          new ReadIndexRequest(s.term(), cluster.self(), cluster.selfId(), id, incarnation));
      return new RaftState(s.node(), f.withReads(reads), id);
    }
    return refuse(s, r.caller(), fx);
  }

  /**
   * A read index answers the request it names only: same run of this node (incarnation), same
   * leader asked, a term no older than the one asked in. Anything else is a late reply.
   */
  private RaftState onReadIndexReply(RaftState s, Follower f, ReadIndexReply m, Effects.Builder fx) {
    FollowerRead w = f.reads().get(m.requestId());
    if (w == null || m.incarnation() != incarnation || !m.from().equals(w.leader()) || m.term() < w.term()) {
      logger.debug("Ignoring ReadIndex reply [{}] from [{}]: no such request waits", m.requestId(), m.from());
      return s;
    }
    Map<Long, FollowerRead> reads = new LinkedHashMap<>(f.reads());
    reads.remove(m.requestId());
    if (m.ok()) {
      // Served once this node has applied up to the leader's commit index at confirmation.
      fx.client(new ReadAt(w.caller(), m.readIndex()));
    } else {
      fx.client(notLeader(s, w.caller()));
    }
    return s.with(f.withReads(reads));
  }

  /** Drops forwarded reads the leader never answered (a lost message): their clients gave up. */
  private static Map<Long, FollowerRead> forgetUnansweredReads(Map<Long, FollowerRead> reads, long now) {
    if (reads.isEmpty()) {
      return reads;
    }
    long cutoff = now - FOLLOWER_READ_RETENTION_MILLIS;
    Map<Long, FollowerRead> kept = new LinkedHashMap<>();
    reads.forEach((id, r) -> {
      if (r.sinceMillis() >= cutoff) {
        kept.put(id, r);
      }
    });
    return kept.size() == reads.size() ? reads : kept;
  }

  private void failFollowerReads(Follower f, String why, Endpoint leader, int leaderId, Effects.Builder fx) {
    for (FollowerRead r : f.reads().values()) {
      fx.client(new NotLeader(r.caller(), why + "; retry", leader, leaderId));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The id {@code peer} gave in its messages, or null if none came yet. */
  public Integer peerId(Endpoint peer) {
    return peerIds.get(peer);
  }

  public long nowMillis() {
    return clock.millis();
  }

  RaftState refuse(RaftState s, Caller caller, Effects.Builder fx) {
    fx.client(notLeader(s, caller));
    return s;
  }

  NotLeader notLeader(RaftState s, Caller caller) {
    NodeState n = s.node();
    if (n.leader() == null) {
      return new NotLeader(caller, "node n" + cluster.selfId() + " is not the leader and knows none", null, 0);
    }
    return new NotLeader(
        caller,
        "node n" + cluster.selfId() + " is not the leader; the leader is " + name(n.leader(), n.leaderId()),
        n.leader(),
        n.leaderId());
  }

  /** Null if {@code m} is well formed, else what is wrong with it. */
  static String malformed(AppendEntries m) {
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

  /** Null if {@code m} is well formed, else what is wrong with it. */
  static String malformed(InstallSnapshot m) {
    if (m.lastIndex() < 1 || m.lastTerm() < 1 || m.seq() < 0) {
      return "index, term or chunk number below 1";
    }
    if (m.lastTerm() > m.term()) {
      return "lastTerm " + m.lastTerm() + " above the leader's term " + m.term();
    }
    if (m.data() == null || m.members() == null) {
      return "no data or no members";
    }
    return null;
  }

  static String name(Endpoint e, int id) {
    return id > 0 ? "n" + id : String.valueOf(e);
  }
}
