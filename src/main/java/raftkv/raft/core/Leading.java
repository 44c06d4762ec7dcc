package raftkv.raft.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import raftkv.common.Endpoint;
import raftkv.raft.core.Effects.AwaitApply;
import raftkv.raft.core.Effects.ReadAt;
import raftkv.raft.core.Effects.TimerOp;
import raftkv.raft.core.Input.Tick;
import raftkv.raft.core.LeaderState.LocalRead;
import raftkv.raft.core.LeaderState.PendingRead;
import raftkv.raft.core.LeaderState.ReadWaiter;
import raftkv.raft.core.LeaderState.RemoteRead;
import raftkv.raft.core.Role.Follower;
import raftkv.raft.core.Role.Leader;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.raft.core.Rpc.InstallSnapshotReply;
import raftkv.raft.core.Rpc.PeerMessage;
import raftkv.raft.core.Rpc.ReadIndexReply;
import raftkv.raft.core.Rpc.ReadIndexRequest;
import raftkv.storage.LogEntry;

/**
 * The leader's half of the core: proposals, replication with flow control, the commit rule,
 * check-quorum and ReadIndex reads. Every method returns the next state and adds its effects.
 */
final class Leading {
  private final RaftCore core;

  Leading(RaftCore core) {
    this.core = core;
  }

  /** A candidate with a majority of votes leads from now on (§5.2). */
  RaftState become(RaftState s, Effects.Builder fx) {
    NodeState n = s.node().withLeader(core.cluster.self(), core.cluster.selfId());
    core.logger.info(
        "Won election for term [{}]: leader of {} members, log ends at {}",
        n.term(), core.cluster.clusterSize(), core.lastPosition());
    fx.timer(TimerOp.CANCEL_ELECTION);
    fx.timer(TimerOp.START_LEADER);
    long last = core.log.lastIndex();
    // Our own entries count toward a commit only once synced: the first flush syncs.
    LeaderState ls = LeaderState.initial(core.cluster.peers(), last + 1, 0);
    // §8: a no-op of the new term, so that entries of earlier terms commit with it (they cannot
    // commit by counting replicas, Figure 8) and reads learn a valid commit index.
    fx.append(List.of(LogEntry.noop(last + 1, n.term())), false);
    // Every follower hears of the new leader at once, not a heartbeat later.
    fx.next(Tick.BROADCAST);
    return s.with(n, new Leader(ls));
  }

  RaftState onTick(RaftState s, Leader l, Tick t, Effects.Builder fx) {
    switch (t) {
      case FLUSH:
        return writeUnflushed(s, l.state().withFlushScheduled(false), fx);
      case REPLICATE:
        return flush(s, l.state(), false, fx);
      case BROADCAST:
        return flush(s, l.state(), true, fx);
      case HEARTBEAT:
        return heartbeat(s, l.state(), fx);
      case CHECK_QUORUM:
        return checkQuorum(s, l.state(), fx);
      default:
        return s; // election and follower timers: not a leader's business
    }
  }

  RaftState onPeer(RaftState s, Leader l, PeerMessage m, Effects.Builder fx) {
    if (m instanceof AppendEntriesReply r) {
      // Only replies to this leadership's requests count: a reply to an AppendEntries an earlier
      // leadership of ours sent (even one echoed under our current term) proves nothing now.
      if (r.term() != s.term() || r.requestTerm() != s.term()) {
        return s;
      }
      return onAppendEntriesReply(s, l.state(), r, fx);
    }
    if (m instanceof InstallSnapshotReply r) {
      if (r.term() != s.term() || r.requestTerm() != s.term()) {
        return s;
      }
      return onInstallSnapshotReply(s, l.state(), r, fx);
    }
    if (m instanceof ReadIndexRequest rr) {
      // Served whatever the follower's term: the index is valid for anyone once confirmed.
      return enqueueRead(s, l, new RemoteRead(rr.from(), rr.requestId(), rr.incarnation()), fx);
    }
    if (m instanceof AppendEntries ae && ae.term() == s.term()) {
      // Two leaders in one term would break Election Safety (§5.2): this cannot happen.
      core.logger.error("AppendEntries from [{}] claims leadership of our own term [{}]", ae.from(), s.term());
      return s;
    }
    return core.anyRole(s, m, fx);
  }

  // ---------------------------------------------------------------------------------------------
  // Proposals and replication

  RaftState propose(RaftState s, Leader l, Input.Propose p, Effects.Builder fx) {
    LeaderState ls = l.state();
    // Logged time for session expiry: never behind an earlier command of this leadership.
    long ts = Math.max(ls.lastTimestamp(), core.clock.millis());
    long index = core.log.lastIndex() + ls.unflushed().size() + 1;
    LogEntry entry = new LogEntry(index, s.term(), p.proposal().type(), p.proposal().encode(ts));
    fx.client(new AwaitApply(p.caller(), index, s.term()));
    return s.with(new Leader(scheduleFlush(ls.withProposed(entry, ts), fx)));
  }

  /**
   * The flush's first half: every proposal since the last flush goes to the log in one write
   * (unsynced), and the second half ({@code REPLICATE}, run next) sends it. A proposal written as it
   * came would cost a write each, and a reply arriving in between would send part of a batch.
   */
  private RaftState writeUnflushed(RaftState s, LeaderState ls, Effects.Builder fx) {
    if (ls.unflushed().isEmpty()) {
      return flush(s, ls, false, fx);
    }
    core.logger.debug("Appending [{}..{}] in one write", core.log.lastIndex() + 1,
        core.log.lastIndex() + ls.unflushed().size());
    fx.append(ls.unflushed().toList(), false);
    fx.next(Tick.REPLICATE);
    return s.with(new Leader(ls.withUnflushedWritten()));
  }

  private static LeaderState scheduleFlush(LeaderState ls, Effects.Builder fx) {
    if (ls.flushScheduled()) {
      return ls;
    }
    fx.flushLater(); // queued behind the requests in the mailbox: they share the sync and sends
    return ls.withFlushScheduled(true);
  }

  /**
   * Sends what is new: to every follower if {@code broadcast} or reads wait for a round, else to
   * those that can take new entries now; then syncs our own log (§10.2.1: the followers write
   * while we do, and our entries count once our sync is done).
   */
  private RaftState flush(RaftState s, LeaderState ls0, boolean broadcast, Effects.Builder fx) {
    LeaderState ls = startReadRound(ls0);
    boolean newRound = ls.round() != ls0.round();
    long last = core.log.lastIndex();
    Map<Endpoint, Progress> progress = new LinkedHashMap<>(ls.progress());
    for (Map.Entry<Endpoint, Progress> e : progress.entrySet()) {
      Progress p = e.getValue();
      if (broadcast || newRound || (p.nextIndex() <= last && canSend(p))) {
        e.setValue(sendAppend(s, ls, e.getKey(), p, fx));
      }
    }
    ls = ls.withAllProgress(progress);
    if (ls.selfMatch() < last) {
      fx.syncAfterSend(last);
      return s.with(new Leader(ls));
    }
    return releaseReads(s, ls, fx);
  }

  private RaftState heartbeat(RaftState s, LeaderState ls, Effects.Builder fx) {
    Map<Endpoint, Progress> progress = new LinkedHashMap<>(ls.progress());
    progress.replaceAll((peer, p) -> sendAppend(s, ls, peer, p, fx));
    return s.with(new Leader(ls.withAllProgress(progress)));
  }

  private boolean canSend(Progress p) {
    return p.canSend(core.settings.maxInflightAppends(), core.settings.maxInflightBytes());
  }

  /**
   * One AppendEntries to {@code peer} from its {@code nextIndex}. A replicating follower with room
   * in flight gets the entries it lacks (up to {@code max-append-bytes}), and its {@code nextIndex}
   * moves past them at once (pipelining); a probing one, or one with its window full, gets none.
   */
  private Progress sendAppend(RaftState s, LeaderState ls, Endpoint peer, Progress p, Effects.Builder fx) {
    long last = core.log.lastIndex();
    long snapshot = core.log.firstIndex() - 1;
    if (p.snapshotting() || p.nextIndex() - 1 < snapshot) {
      // §7: the entries it needs are compacted away; it gets the snapshot instead, and heartbeats
      // from our log's start meanwhile (they keep it a follower and count for read rounds). Not
      // before it answers: a snapshot streamed to a node that is down is work thrown away.
      Progress np = p;
      if (!p.snapshotting() && p.recentActive()) {
        core.logger.info("Follower [{}] needs entries from [{}], before our log's start [{}]: sending it a snapshot",
            RaftCore.name(peer, idOf(peer)), p.nextIndex(), snapshot + 1);
        fx.snapshot(new Effects.SendSnapshot(peer));
        np = p.sendingSnapshot();
      }
      fx.send(peer, new AppendEntries(s.term(), core.cluster.self(), core.cluster.selfId(), snapshot,
          core.log.termAt(snapshot), List.of(), s.node().commitIndex(), ls.round()));
      return np;
    }
    long prev = p.nextIndex() - 1;
    List<LogEntry> entries =
        canSend(p) && p.nextIndex() <= last
            ? core.log.entries(p.nextIndex(), last, core.settings.maxAppendBytes())
            : List.of();
    fx.send(peer, new AppendEntries(s.term(), core.cluster.self(), core.cluster.selfId(), prev,
        core.log.termAt(prev), entries, s.node().commitIndex(), ls.round()));
    if (entries.isEmpty()) {
      return p;
    }
    long bytes = 0;
    for (LogEntry e : entries) {
      bytes += e.sizeBytes();
    }
    long lastSent = entries.get(entries.size() - 1).index();
    core.logger.debug("AppendEntries to [{}]: [{}..{}]", peer, prev + 1, lastSent);
    return p.sent(lastSent, bytes);
  }

  /** Our own log is synced up to {@code index}: it counts toward a majority from now on. */
  RaftState synced(RaftState s, Leader l, long index, Effects.Builder fx) {
    LeaderState ls = l.state().withSelfMatch(index);
    return releaseReads(advanceCommit(s, ls, fx), fx);
  }

  private RaftState onAppendEntriesReply(RaftState s, LeaderState ls, AppendEntriesReply m, Effects.Builder fx) {
    Progress p = ls.progress().get(m.from());
    if (p.silent()) {
      core.logger.info("Follower [{}] answers again", RaftCore.name(m.from(), m.fromId()));
    }
    if (p.snapshotting()) {
      // Its log is being replaced: the reply says it is there, nothing about what it holds.
      Progress np = p.heard(Math.min(m.round(), ls.round()), core.clock.millis());
      return releaseReads(s.with(new Leader(ls.withProgress(m.from(), np))), fx);
    }
    if (m.index() > core.log.lastIndex()) {
      core.logger.warn("Dropping AppendEntries reply from [{}]: index {} beyond our log", m.from(), m.index());
    }
    Progress np = RaftRules.progressOnReply(p, m, ls.round(), core.log, core.clock.millis());
    if (!p.replicating() && np.replicating()) {
      core.logger.info("Follower [{}] matches the log up to [{}]; replicating",
          RaftCore.name(m.from(), m.fromId()), np.matchIndex());
    } else if (np.nextIndex() < p.nextIndex() || (p.replicating() && !np.replicating())) {
      core.logger.debug("Follower [{}] rejected prevLogIndex {} (hint {}@{}); next index {} -> {}",
          m.from(), m.index(), m.conflictIndex(), m.conflictTerm(), p.nextIndex(), np.nextIndex());
    }
    // A rejection at or above what is known to match moves nextIndex back: probe from there. A
    // success lets a replicating follower take what it still lacks, window permitting.
    boolean movedBack =
        !m.success() && m.index() <= core.log.lastIndex() && m.index() >= p.matchIndex();
    boolean more = np.replicating() && np.nextIndex() <= core.log.lastIndex() && canSend(np);
    if (movedBack || more) {
      np = sendAppend(s, ls, m.from(), np, fx);
    }
    RaftState n = advanceCommit(s, ls.withProgress(m.from(), np), fx);
    return releaseReads(n, fx);
  }

  /**
   * A follower being sent a snapshot answered a chunk: once it installed one, replication resumes
   * right after the snapshot's last entry; until then its transfer takes the acknowledgement.
   */
  private RaftState onInstallSnapshotReply(
      RaftState s, LeaderState ls, InstallSnapshotReply m, Effects.Builder fx) {
    Progress p = ls.progress().get(m.from());
    if (p.silent()) {
      core.logger.info("Follower [{}] answers again", RaftCore.name(m.from(), m.fromId()));
    }
    Progress heard = p.heard(0, core.clock.millis());
    if (!p.snapshotting()) {
      return s.with(new Leader(ls.withProgress(m.from(), heard)));
    }
    if (!m.installed()) {
      fx.snapshot(new Effects.SnapshotAcked(m.from(), m.lastIndex(), m.lastTerm(), m.transfer(), m.nextSeq()));
      return s.with(new Leader(ls.withProgress(m.from(), heard)));
    }
    if (m.lastIndex() <= p.matchIndex()) {
      // A late answer about an earlier snapshot: the one it needs now goes beyond what it matches.
      return s.with(new Leader(ls.withProgress(m.from(), heard)));
    }
    core.logger.info("Follower [{}] installed the snapshot up to [{}]; replicating from [{}]",
        RaftCore.name(m.from(), m.fromId()), m.lastIndex(), m.lastIndex() + 1);
    fx.snapshot(new Effects.SnapshotDone(m.from()));
    Progress np = heard.installed(m.lastIndex());
    if (np.nextIndex() <= core.log.lastIndex()) {
      np = sendAppend(s, ls, m.from(), np, fx);
    }
    return releaseReads(advanceCommit(s, ls.withProgress(m.from(), np), fx), fx);
  }

  private Integer idOf(Endpoint peer) {
    Integer id = core.peerId(peer);
    return id == null ? 0 : id;
  }

  /** Commits what a majority stores, if of the current term (§5.4.2, Figure 8). */
  private RaftState advanceCommit(RaftState s, LeaderState ls, Effects.Builder fx) {
    long[] match = new long[ls.progress().size() + 1];
    int i = 0;
    for (Progress p : ls.progress().values()) {
      match[i++] = p.matchIndex();
    }
    match[i] = ls.selfMatch();
    long commit = RaftRules.advanceCommit(s.term(), s.node().commitIndex(), match, core.log::termAt);
    if (commit == s.node().commitIndex()) {
      return s.with(new Leader(ls));
    }
    core.logger.debug("Commit index -> [{}]", commit);
    if (!ls.committedInTerm()) {
      List<PendingRead> needing = new ArrayList<>(ls.readsNeedingRound());
      for (ReadWaiter w : ls.readsBeforeCommit()) {
        needing.add(new PendingRead(w, commit, 0));
      }
      ls = ls.withReads(true, ls.round(), List.of(), needing, ls.readsAwaitingQuorum());
      if (!needing.isEmpty()) {
        ls = scheduleFlush(ls, fx);
      }
    }
    return s.with(s.node().withCommitIndex(commit), new Leader(ls));
  }

  /**
   * Every election timeout: report followers that stopped answering and move them back to probing
   * (nothing more is sent to a silent follower than one heartbeat at a time), and, with
   * check-quorum (§6.2), step down if a majority did not answer, so that clients stop waiting on a
   * leader that cannot commit.
   */
  private RaftState checkQuorum(RaftState s, LeaderState ls, Effects.Builder fx) {
    boolean active = RaftRules.quorumActive(ls.progress().values(), core.cluster.quorum());
    Map<Endpoint, Progress> progress = new LinkedHashMap<>(ls.progress());
    for (Map.Entry<Endpoint, Progress> e : progress.entrySet()) {
      Progress p = e.getValue();
      if (!p.recentActive()) {
        if (!p.silent()) {
          core.logger.info("Follower [{}] has not answered for [{}] ms; probing it",
              e.getKey(), core.settings.electionTimeoutMax().toMillis());
        }
        p = p.replicating() ? p.probe(p.matchIndex() + 1) : p;
        if (p.snapshotting()) {
          // Its transfer stops; once it answers again it gets a snapshot of the state then.
          fx.snapshot(new Effects.SnapshotDone(e.getKey()));
          p = p.probe(p.matchIndex() + 1);
        }
      }
      e.setValue(p.quorumTick(!p.recentActive()));
    }
    LeaderState next = ls.withAllProgress(progress);
    if (active || !core.settings.checkQuorum()) {
      return s.with(new Leader(next));
    }
    core.logger.info("Stepping down in term [{}]: heard from fewer than {} of {} members in the last {} ms",
        s.term(), core.cluster.quorum(), core.cluster.clusterSize(), core.settings.electionTimeoutMax().toMillis());
    core.leaveRole(s, null, 0, "check-quorum", fx);
    core.resetElection(fx);
    return s.with(s.node().withoutLeader(), Follower.NEW);
  }

  // ---------------------------------------------------------------------------------------------
  // ReadIndex (dissertation §6.4)

  /** A read index is only valid once this term committed an entry. */
  RaftState enqueueRead(RaftState s, Leader l, ReadWaiter w, Effects.Builder fx) {
    LeaderState ls = l.state();
    if (!ls.committedInTerm()) {
      List<ReadWaiter> before = new ArrayList<>(ls.readsBeforeCommit());
      before.add(w);
      return s.with(new Leader(ls.withReads(false, ls.round(), before, ls.readsNeedingRound(), ls.readsAwaitingQuorum())));
    }
    List<PendingRead> needing = new ArrayList<>(ls.readsNeedingRound());
    needing.add(new PendingRead(w, s.node().commitIndex(), 0));
    ls = ls.withReads(true, ls.round(), ls.readsBeforeCommit(), needing, ls.readsAwaitingQuorum());
    return s.with(new Leader(scheduleFlush(ls, fx)));
  }

  /** Gives every read waiting for a round the next round number. */
  private static LeaderState startReadRound(LeaderState ls) {
    if (ls.readsNeedingRound().isEmpty()) {
      return ls;
    }
    long round = ls.round() + 1;
    List<PendingRead> awaiting = new ArrayList<>(ls.readsAwaitingQuorum());
    for (PendingRead p : ls.readsNeedingRound()) {
      awaiting.add(new PendingRead(p.waiter(), p.readIndex(), round));
    }
    return ls.withReads(ls.committedInTerm(), round, ls.readsBeforeCommit(), List.of(), awaiting);
  }

  private RaftState releaseReads(RaftState s, Effects.Builder fx) {
    return s.role() instanceof Leader l ? releaseReads(s, l.state(), fx) : s;
  }

  /** Serves the reads whose round a majority acknowledged: we were still leader after they came. */
  private RaftState releaseReads(RaftState s, LeaderState ls, Effects.Builder fx) {
    if (ls.readsAwaitingQuorum().isEmpty()) {
      return s.with(new Leader(ls));
    }
    long acked = RaftRules.quorumRound(ls.round(), ls.progress().values(), core.cluster.quorum());
    List<PendingRead> awaiting = ls.readsAwaitingQuorum();
    int served = 0;
    while (served < awaiting.size() && awaiting.get(served).round() <= acked) {
      PendingRead p = awaiting.get(served++);
      if (p.waiter() instanceof LocalRead lr) {
        fx.client(new ReadAt(lr.caller(), p.readIndex()));
      } else if (p.waiter() instanceof RemoteRead rr) {
        fx.send(rr.follower(), new ReadIndexReply(s.term(), core.cluster.self(), core.cluster.selfId(),
            rr.requestId(), rr.incarnation(), true, p.readIndex()));
      }
    }
    if (served == 0) {
      return s.with(new Leader(ls));
    }
    return s.with(new Leader(ls.withReads(ls.committedInTerm(), ls.round(), ls.readsBeforeCommit(),
        ls.readsNeedingRound(), awaiting.subList(served, awaiting.size()))));
  }
}
