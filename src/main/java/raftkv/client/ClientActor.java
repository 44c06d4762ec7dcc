package raftkv.client;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.Limits;
import raftkv.api.NodeAddress;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.common.Endpoint;

/**
 * The client side of {@link ClientProtocol}: performs one request at a time against the cluster and
 * stashes the ones that arrive meanwhile.
 *
 * <p>A registration, a write, a read or one page of a scan goes to one node at a time, as {@link
 * RetryPolicy} says (with {@link RetryPolicy#INTERACTIVE}): first to the node that answered last
 * (usually the leader), following {@code not_leader} hints, moving on round-robin when a node
 * names no leader or does not answer within the attempt timeout, pausing briefly after a full round
 * of refusals (an election is under way). A write is always retried with the same (clientId,
 * seq): the cluster applies it at most once, and a retry after it was applied gets the first
 * outcome back, marked duplicate. When the request's timeout runs out, a write ends as {@code timeout}, outcome unknown:
 * a node that answered {@code not_leader} or did not answer may still have appended it. A status
 * request asks every node at once and reports who answered in time.
 *
 * <p>Every attempt gets a reply address of its own: a tiny child that tags replies with the attempt
 * number. All of them stop when the request ends, so a late reply to an earlier request goes to dead
 * letters instead of being taken for the current one's, and a late refusal from an earlier attempt
 * does not divert the attempt in flight. A definitive answer from any attempt of the current request
 * ends it: every attempt of a write carries the same (clientId, seq).
 */
public final class ClientActor {

  /** Everything the client actor accepts. */
  public sealed interface Command {}

  /**
   * Registers a session: {@code clientId}, or one the cluster chooses if it is null; the answer's
   * {@link Result#value()} is the session's client id.
   */
  public record Register(String clientId, ActorRef<Result> replyTo) implements Command {}

  /** Applies {@code op} at most once under (clientId, seq); answers one {@link Result}. */
  public record Write(String clientId, long seq, Op op, ActorRef<Result> replyTo)
      implements Command {}

  public record Read(String key, Consistency consistency, ActorRef<Result> replyTo)
      implements Command {}

  /**
   * One page of a scan, see {@link ClientProtocol.Scan}; retried as a read is. The answer is the
   * page, or a {@link ScanReply#failed} one with the reason.
   */
  public record Scan(
      String prefix,
      String after,
      int limit,
      boolean keysOnly,
      Consistency consistency,
      ActorRef<ScanReply> replyTo)
      implements Command {}

  /** Asks every known node for its {@link NodeStatus}. */
  public record Status(ActorRef<ClusterStatus> replyTo) implements Command {}

  /** The nodes asked, in order, with what each answered in time. */
  public record ClusterStatus(List<NodeView> nodes) {

    public ClusterStatus {
      nodes = List.copyOf(nodes);
    }

    /** The node that says it leads in the highest term, if any answered so. */
    public Optional<NodeStatus> leader() {
      return nodes.stream()
          .map(NodeView::status)
          .filter(s -> s != null && "leader".equals(s.role()))
          .max(Comparator.comparingLong(NodeStatus::term));
    }

    /**
     * The leader's id: the node that says it leads in the highest term, or else the leader the
     * answering node of the highest term follows (when only followers were asked).
     */
    public Optional<Integer> leaderId() {
      Optional<NodeStatus> leader = leader();
      if (leader.isPresent()) {
        return Optional.of(leader.get().id());
      }
      return nodes.stream()
          .map(NodeView::status)
          .filter(s -> s != null && s.leaderId() != null)
          .max(Comparator.comparingLong(NodeStatus::term))
          .map(NodeStatus::leaderId);
    }

    public boolean anyReachable() {
      return nodes.stream().anyMatch(NodeView::reachable);
    }
  }

  /** A node as it was asked, and its answer ({@code null} when none came in time). */
  public record NodeView(Endpoint endpoint, NodeStatus status) {
    public boolean reachable() {
      return status != null;
    }
  }

  /**
   * One chunk of a backup, see {@link ClientProtocol.ReadSnapshot}; retried as a read is (asking
   * again for a chunk reads the same bytes). The answer is the chunk, or a {@link
   * SnapshotChunkReply#failed} one with the reason.
   */
  public record ReadSnapshot(Long cursorId, long seq, ActorRef<SnapshotChunkReply> replyTo)
      implements Command {}

  /**
   * A reply to attempt {@code tag}; {@code page} is the whole answer to a scan, {@code chunk} to a
   * backup's read (else null).
   */
  private record GotReply(long tag, Reply reply, ScanReply page, SnapshotChunkReply chunk)
      implements Command {}

  private record GotStatus(long tag, NodeStatus status) implements Command {}

  private enum AttemptTimeout implements Command {
    INSTANCE
  }

  private enum Retry implements Command {
    INSTANCE
  }

  private enum StatusDeadline implements Command {
    INSTANCE
  }

  /**
   * A registration, write, read or scan in progress; {@code message} builds the request of one
   * attempt, with a fresh reply address tagged with the attempt's tag; {@code answer} tells the
   * caller the outcome, and the final reply (null when the request ended without one).
   */
  private record Job(
      LongFunction<ClientProtocol.Request> message,
      RetryPolicy.Request request,
      BiConsumer<Result, GotReply> answer,
      long firstTag) {}

  /** A status round: node {@code i} of {@code asked} replies to the inbox tagged firstTag + i. */
  private record StatusRound(
      List<Endpoint> asked, NodeStatus[] answers, long firstTag, ActorRef<ClusterStatus> replyTo) {}

  /**
   * Default upper bound on one attempt before the next node is tried: well above a write's round
   * trip and fsync (a few ms), and short beside an election (150-300 ms), so that a client whose
   * leader died is at the new one soon after it is elected. A slow leader's late answer still
   * counts: an attempt's reply address lives until the request ends, and a retry is harmless
   * (same client id and seq).
   */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofMillis(200);
  /**
   * Attempts until the first reply also pay for connecting and for one-time initialization
   * (serializers, cold code): in a fresh JVM on a busy machine that alone can exceed an attempt
   * timeout, and moving on to the next node would only start another cold connection. Kept short
   * all the same: it is also what a node that is down costs a fresh client.
   */
  private static final Duration FIRST_CONTACT_TIMEOUT = Duration.ofMillis(700);

  private static final int STASH_CAPACITY = 1000;
  private static final String ATTEMPT_TIMER = "attempt";
  private static final String STATUS_TIMER = "status";

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final StashBuffer<Command> stash;
  private final akka.actor.ActorSystem classic;
  private final Duration timeout;
  private final Duration attemptTimeout;
  /** Where attempts go, when to pause and when to give up; kept across requests. */
  private final RetryPolicy policy;

  /** Reply addresses are tagged with this counter, never reused. */
  private long nextTag;
  /** The tag of the current attempt. */
  private long currentTag;
  /** Whether any node ever answered: until then, attempts get {@link #FIRST_CONTACT_TIMEOUT}. */
  private boolean heardFromAny;

  /**
   * A client of the cluster at {@code nodes}; every request gives up after {@code timeout}, and an
   * attempt at one node after {@code attemptTimeout} at most.
   */
  public static Behavior<Command> create(
      List<Endpoint> nodes, Duration timeout, Duration attemptTimeout) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("a client needs at least one node");
    }
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    Behaviors.withStash(
                        STASH_CAPACITY,
                        stash ->
                            new ClientActor(ctx, timers, stash, nodes, timeout, attemptTimeout)
                                .idle())));
  }

  public static Behavior<Command> create(List<Endpoint> nodes, Duration timeout) {
    return create(nodes, timeout, DEFAULT_ATTEMPT_TIMEOUT);
  }

  private ClientActor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      StashBuffer<Command> stash,
      List<Endpoint> nodes,
      Duration timeout,
      Duration attemptTimeout) {
    this.context = context;
    this.timers = timers;
    this.stash = stash;
    this.classic = Adapter.toClassic(context.getSystem());
    this.policy = new RetryPolicy(nodes, RetryPolicy.INTERACTIVE);
    this.timeout = timeout;
    this.attemptTimeout = attemptTimeout;
  }

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(Register.class, this::onRegister)
        .onMessage(Write.class, this::onWrite)
        .onMessage(Read.class, this::onRead)
        .onMessage(Scan.class, this::onScan)
        .onMessage(ReadSnapshot.class, this::onReadSnapshot)
        .onMessage(Status.class, this::onStatus)
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // Writes and reads: one node at a time

  private Behavior<Command> onRegister(Register m) {
    Optional<Result> refused = Limits.checkClientId(m.clientId());
    if (refused.isPresent()) {
      m.replyTo().tell(refused.get());
      return Behaviors.same();
    }
    String retry =
        m.clientId() == null
            ? "retry (an unused session expires by itself)"
            : "retry: registering " + m.clientId() + " again is harmless";
    return start(
        new Job(
            tag -> new ClientProtocol.Register(m.clientId(), inbox(tag)),
            new RetryPolicy.Request(RetryPolicy.Kind.REGISTER, retry, timeout),
            (result, reply) -> m.replyTo().tell(result),
            nextTag));
  }

  private Behavior<Command> onWrite(Write m) {
    // Refused here, nothing is sent: the leader would refuse it the same way.
    Optional<Result> refused = Limits.check(m.clientId(), m.seq(), m.op());
    if (refused.isPresent()) {
      m.replyTo().tell(refused.get());
      return Behaviors.same();
    }
    String retry = "retry with --client-id " + m.clientId() + " --seq " + m.seq();
    return start(
        new Job(
            tag -> new ClientProtocol.Write(m.clientId(), m.seq(), m.op(), inbox(tag)),
            new RetryPolicy.Request(RetryPolicy.Kind.WRITE, retry, timeout),
            (result, reply) -> m.replyTo().tell(result),
            nextTag));
  }

  private Behavior<Command> onRead(Read m) {
    Optional<Result> refused = Limits.checkKey(m.key());
    if (refused.isPresent()) {
      m.replyTo().tell(refused.get());
      return Behaviors.same();
    }
    return start(
        new Job(
            tag -> new ClientProtocol.Read(m.key(), m.consistency(), inbox(tag)),
            new RetryPolicy.Request(
                RetryPolicy.Kind.READ, "a read changes nothing: retry it", timeout),
            (result, reply) -> m.replyTo().tell(result),
            nextTag));
  }

  private Behavior<Command> onScan(Scan m) {
    Optional<Result> refused = Limits.checkScan(m.prefix(), m.after(), m.limit());
    if (refused.isPresent()) {
      m.replyTo().tell(ScanReply.failed(refused.get()));
      return Behaviors.same();
    }
    return start(
        new Job(
            tag -> {
              ActorRef<ScanReply> replyTo =
                  inbox(page -> new GotReply(tag, page.header(), page, null));
              return new ClientProtocol.Scan(
                  m.prefix(), m.after(), m.limit(), m.keysOnly(), m.consistency(), replyTo);
            },
            new RetryPolicy.Request(
                RetryPolicy.Kind.READ, "a scan changes nothing: retry it", timeout),
            (result, reply) ->
                m.replyTo().tell(reply != null ? reply.page() : ScanReply.failed(result)),
            nextTag));
  }

  private Behavior<Command> onReadSnapshot(ReadSnapshot m) {
    return start(
        new Job(
            tag -> {
              ActorRef<SnapshotChunkReply> replyTo =
                  inbox(chunk -> new GotReply(tag, chunk.header(), null, chunk));
              return new ClientProtocol.ReadSnapshot(m.cursorId(), m.seq(), replyTo);
            },
            new RetryPolicy.Request(
                RetryPolicy.Kind.READ, "a backup changes nothing: run it again", timeout),
            (result, reply) ->
                m.replyTo().tell(
                    reply != null ? reply.chunk() : SnapshotChunkReply.failed(result)),
            nextTag));
  }

  /** The reply address of attempt {@code tag} of a registration, write or read. */
  private ActorRef<Reply> inbox(long tag) {
    return inbox(reply -> new GotReply(tag, reply, null, null));
  }

  private Behavior<Command> start(Job job) {
    return decide(job, policy.begin(job.request(), System.nanoTime()));
  }

  private Behavior<Command> busy(Job job) {
    return Behaviors.receive(Command.class)
        .onMessage(GotReply.class, m -> onReply(job, m))
        .onMessageEquals(
            AttemptTimeout.INSTANCE,
            () -> decide(job, policy.onNoAnswer(policy.target(), System.nanoTime())))
        .onMessageEquals(Retry.INSTANCE, () -> decide(job, policy.resume(System.nanoTime())))
        .onMessage(Register.class, this::stashIt)
        .onMessage(Write.class, this::stashIt)
        .onMessage(Read.class, this::stashIt)
        .onMessage(Scan.class, this::stashIt)
        .onMessage(ReadSnapshot.class, this::stashIt)
        .onMessage(Status.class, this::stashIt)
        .build();
  }

  /** Carries out the policy's decision: an attempt now, one after a pause, or the end. */
  private Behavior<Command> decide(Job job, RetryPolicy.Decision d) {
    if (d instanceof RetryPolicy.Finish f) {
      return finish(job, f.result(), null);
    }
    RetryPolicy.Send send = (RetryPolicy.Send) d;
    if (!send.pause().isZero()) {
      timers.startSingleTimer(ATTEMPT_TIMER, Retry.INSTANCE, send.pause());
      return busy(job);
    }
    return send(job, send.node());
  }

  /** One attempt at {@code node}, through a fresh reply address. */
  private Behavior<Command> send(Job job, Endpoint node) {
    long remaining = policy.deadlineNanos() - System.nanoTime();
    long tag = nextTag++;
    currentTag = tag;
    context.getLog().debug("Attempt [{}] at [{}]", tag - job.firstTag() + 1, node);
    NodeAddress.select(classic, node)
        .tell(job.message().apply(tag), akka.actor.ActorRef.noSender());
    Duration perAttempt =
        heardFromAny ? attemptTimeout : max(attemptTimeout, FIRST_CONTACT_TIMEOUT);
    timers.startSingleTimer(
        ATTEMPT_TIMER,
        AttemptTimeout.INSTANCE,
        min(perAttempt, Duration.ofNanos(Math.max(1, remaining))));
    return busy(job);
  }

  private Behavior<Command> onReply(Job job, GotReply m) {
    heardFromAny = true;
    if (m.tag() < job.firstTag()) {
      return Behaviors.same(); // forwarded by an earlier request's inbox just before it stopped
    }
    Result result = m.reply().result();
    if (RetryPolicy.isFinal(result)) {
      return finish(job, result, m);
    }
    if (m.tag() != currentTag) {
      return Behaviors.same(); // an earlier attempt's refusal: the current attempt is in flight
    }
    Endpoint from = policy.target();
    Endpoint hint = m.reply().leader();
    context.getLog().debug("[{}] refused: {} (leader hint {})", from, result.message(), hint);
    timers.cancel(ATTEMPT_TIMER);
    return decide(job, policy.onReply(from, result, hint, System.nanoTime()));
  }

  private Behavior<Command> finish(Job job, Result result, GotReply reply) {
    timers.cancel(ATTEMPT_TIMER);
    stopInboxes();
    job.answer().accept(result, reply);
    return stash.unstashAll(idle());
  }

  // ---------------------------------------------------------------------------------------------
  // Status: every node at once

  private Behavior<Command> onStatus(Status m) {
    List<Endpoint> asked = policy.nodes();
    long first = nextTag;
    nextTag += asked.size();
    for (int i = 0; i < asked.size(); i++) {
      long tag = first + i;
      ActorRef<NodeStatus> replyTo = inbox(s -> new GotStatus(tag, s));
      NodeAddress.select(classic, asked.get(i))
          .tell(new ClientProtocol.GetStatus(replyTo), akka.actor.ActorRef.noSender());
    }
    timers.startSingleTimer(STATUS_TIMER, StatusDeadline.INSTANCE, timeout);
    return collecting(new StatusRound(asked, new NodeStatus[asked.size()], first, m.replyTo()));
  }

  private Behavior<Command> collecting(StatusRound round) {
    return Behaviors.receive(Command.class)
        .onMessage(GotStatus.class, m -> onGotStatus(round, m))
        .onMessageEquals(StatusDeadline.INSTANCE, () -> finishStatus(round))
        .onMessage(Register.class, this::stashIt)
        .onMessage(Write.class, this::stashIt)
        .onMessage(Read.class, this::stashIt)
        .onMessage(Scan.class, this::stashIt)
        .onMessage(ReadSnapshot.class, this::stashIt)
        .onMessage(Status.class, this::stashIt)
        .build();
  }

  private Behavior<Command> onGotStatus(StatusRound round, GotStatus m) {
    heardFromAny = true;
    long i = m.tag() - round.firstTag();
    if (i < 0 || i >= round.answers().length) {
      return Behaviors.same();
    }
    round.answers()[(int) i] = m.status();
    return Arrays.stream(round.answers()).allMatch(a -> a != null)
        ? finishStatus(round)
        : Behaviors.same();
  }

  private Behavior<Command> finishStatus(StatusRound round) {
    timers.cancel(STATUS_TIMER);
    stopInboxes();
    List<NodeView> views = new ArrayList<>();
    for (int i = 0; i < round.asked().size(); i++) {
      views.add(new NodeView(round.asked().get(i), round.answers()[i]));
    }
    round.replyTo().tell(new ClusterStatus(views));
    return stash.unstashAll(idle());
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private Behavior<Command> stashIt(Command m) {
    stash.stash(m);
    return Behaviors.same();
  }

  /** A reply address for one attempt: a child that hands each reply to us, tagged. */
  private <T> ActorRef<T> inbox(Function<T, Command> tag) {
    ActorRef<Command> self = context.getSelf();
    return context.spawnAnonymous(
        Behaviors.<T>receiveMessage(
            m -> {
              self.tell(tag.apply(m));
              return Behaviors.same();
            }));
  }

  private void stopInboxes() {
    for (ActorRef<Void> child : context.getChildren()) {
      context.stop(child);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** "400 ms", "2 s", "2.5 s". */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
  }
}
