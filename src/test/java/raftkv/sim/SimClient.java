package raftkv.sim;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.check.Operation.Kind;
import raftkv.check.Operation.Outcome;
import raftkv.client.RetryPolicy;
import raftkv.common.Endpoint;
import raftkv.common.NodeMessage;

/**
 * A simulated client: one operation at a time, as a real client does it, with the one client
 * {@link RetryPolicy} ({@link #RETRIES}). It registers its client id before its first write (again
 * after a registration that got no final answer), sends to the node it believes leads, follows
 * {@code not_leader} hints, moves on to the next node when an attempt gets no answer, retries a
 * write with the same (clientId, seq), and gives up after {@link #OP_TIMEOUT} (a write then ends
 * with its outcome unknown). Every operation, with its invocation and completion
 * in virtual time, goes to the run's {@link SimHistory}.
 *
 * <p>Between operations it draws the next one from its own seeded {@link SimWorkload}, unless it was
 * given a script of operations to do first (the final reads of a run).
 */
final class SimClient {
  private SimClient() {}

  static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(250);
  static final Duration OP_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration RETRY_PAUSE = Duration.ofMillis(20);
  static final RetryPolicy.Settings RETRIES =
      new RetryPolicy.Settings(RETRY_PAUSE, Duration.ZERO, Duration.ZERO);
  private static final Duration MAX_THINK = Duration.ofMillis(60);

  sealed interface Command {}

  /** Do these operations, in order, then stop drawing new ones. */
  record Script(List<SimWorkload.Next> ops) implements Command {}

  /** Finish the operation in progress, then draw no more. */
  enum Quiesce implements Command {
    INSTANCE
  }

  /** Stop now, whatever is in progress (the run is over). */
  enum Stop implements Command {
    INSTANCE
  }

  private enum Tick implements Command {
    INSTANCE
  }

  private enum AttemptTimeout implements Command {
    INSTANCE
  }

  private enum Retry implements Command {
    INSTANCE
  }

  /** A reply to the request of phase {@code phase} (a registration or an operation). */
  private record Got(long phase, Reply reply) implements Command {}

  static Behavior<Command> create(
      int process, List<Endpoint> nodes, SimNetwork net, SimHistory history, Consistency reads, long seed) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new State(ctx, timers, process, nodes, net, history, reads, new Random(seed)).idle()));
  }

  private static final class State {
    final ActorContext<Command> ctx;
    final TimerScheduler<Command> timers;
    final int process;
    final String clientId;
    final List<Endpoint> nodes;
    final SimNetwork net;
    final SimHistory history;
    final Random random;
    final Consistency reads;
    final SimWorkload workload;
    final Queue<SimWorkload.Next> script = new ArrayDeque<>();
    final RetryPolicy policy;
    boolean drawing = true;
    boolean registered;
    long seq;
    /** Every request (a registration, an operation) is a phase with a reply address of its own. */
    long phase;
    // the operation in progress
    SimWorkload.Next op;
    boolean registering;
    long opSeq;
    long invokedNanos;
    ActorRef<Reply> replyTo;

    State(
        ActorContext<Command> ctx,
        TimerScheduler<Command> timers,
        int process,
        List<Endpoint> nodes,
        SimNetwork net,
        SimHistory history,
        Consistency reads,
        Random random) {
      this.ctx = ctx;
      this.timers = timers;
      this.process = process;
      this.clientId = "c" + process;
      this.nodes = nodes;
      this.net = net;
      this.history = history;
      this.random = random;
      this.reads = reads;
      this.workload = new SimWorkload(process, random);
      this.policy = new RetryPolicy(nodes, nodes.get(random.nextInt(nodes.size())), RETRIES);
      timers.startSingleTimer(Tick.INSTANCE, think());
    }

    Duration think() {
      return Duration.ofNanos((long) (random.nextDouble() * MAX_THINK.toNanos()));
    }

    Behavior<Command> idle() {
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, this::next)
          .onMessage(Script.class, m -> {
            script.addAll(m.ops());
            drawing = false;
            timers.startSingleTimer(Tick.INSTANCE, Duration.ZERO);
            return Behaviors.same();
          })
          .onMessageEquals(Quiesce.INSTANCE, () -> {
            drawing = false;
            return Behaviors.same();
          })
          .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
          .onMessage(Got.class, m -> Behaviors.same()) // late: the op it answers is over
          .onMessageEquals(AttemptTimeout.INSTANCE, Behaviors::same)
          .onMessageEquals(Retry.INSTANCE, Behaviors::same)
          .build();
    }

    Behavior<Command> busy() {
      return Behaviors.receive(Command.class)
          .onMessage(Got.class, this::onReply)
          .onMessageEquals(
              AttemptTimeout.INSTANCE,
              () -> decide(policy.onNoAnswer(policy.target(), history.nowNanos())))
          .onMessageEquals(Retry.INSTANCE, () -> decide(policy.resume(history.nowNanos())))
          .onMessage(Script.class, m -> {
            script.addAll(m.ops());
            drawing = false;
            return Behaviors.same();
          })
          .onMessageEquals(Quiesce.INSTANCE, () -> {
            drawing = false;
            return Behaviors.same();
          })
          .onMessageEquals(Tick.INSTANCE, Behaviors::same)
          .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
          .build();
    }

    private Behavior<Command> next() {
      SimWorkload.Next n = !script.isEmpty() ? script.poll() : drawing ? workload.next() : null;
      if (n == null) {
        history.idle(process);
        return Behaviors.same();
      }
      history.busy(process);
      op = n;
      invokedNanos = history.nowNanos();
      if (n.kind() != Kind.GET) {
        opSeq = ++seq;
      }
      registering = n.kind() != Kind.GET && !registered;
      return begin();
    }

    /** Starts the current phase: the registration, or the operation itself. */
    private Behavior<Command> begin() {
      long no = ++phase;
      if (replyTo != null) {
        ctx.stop(replyTo);
      }
      replyTo =
          ctx.spawnAnonymous(
              Behaviors.receive(Reply.class)
                  .onAnyMessage(r -> {
                    ctx.getSelf().tell(new Got(no, r));
                    return Behaviors.same();
                  })
                  .build(),
              DispatcherSelector.sameAsParent());
      RetryPolicy.Kind kind =
          registering
              ? RetryPolicy.Kind.REGISTER
              : op.kind() == Kind.GET ? RetryPolicy.Kind.READ : RetryPolicy.Kind.WRITE;
      // The operation's deadline counts from its invocation, its registration included.
      Duration left = OP_TIMEOUT.minusNanos(history.nowNanos() - invokedNanos);
      return decide(
          policy.begin(new RetryPolicy.Request(kind, "retry", left), history.nowNanos()));
    }

    private Behavior<Command> decide(RetryPolicy.Decision d) {
      if (d instanceof RetryPolicy.Finish f) {
        return onFinal(f);
      }
      RetryPolicy.Send send = (RetryPolicy.Send) d;
      if (!send.pause().isZero()) {
        timers.cancel(AttemptTimeout.INSTANCE);
        timers.startSingleTimer(Retry.INSTANCE, send.pause());
        return busy();
      }
      ActorRef<NodeMessage> node = net.nodeAt(send.node());
      if (node != null) {
        node.tell(request());
      }
      timers.startSingleTimer(AttemptTimeout.INSTANCE, ATTEMPT_TIMEOUT);
      return busy();
    }

    private ClientProtocol.Request request() {
      if (registering) {
        return new ClientProtocol.Register(clientId, replyTo);
      }
      return switch (op.kind()) {
        case GET -> new ClientProtocol.Read(op.key(), reads, replyTo);
        case PUT -> new ClientProtocol.Write(clientId, opSeq, new Op.Put(op.key(), op.value()), replyTo);
        case DELETE -> new ClientProtocol.Write(clientId, opSeq, new Op.Delete(op.key()), replyTo);
        case CAS ->
            new ClientProtocol.Write(clientId, opSeq, new Op.Cas(op.key(), op.expected(), op.value()), replyTo);
        case INCR ->
            new ClientProtocol.Write(clientId, opSeq, new Op.Incr(op.key(), Long.parseLong(op.value())), replyTo);
      };
    }

    private Behavior<Command> onReply(Got m) {
      if (m.phase() != phase) {
        return Behaviors.same();
      }
      timers.cancel(AttemptTimeout.INSTANCE);
      return decide(
          policy.onReply(policy.target(), m.reply().result(), m.reply().leader(), history.nowNanos()));
    }

    private Behavior<Command> onFinal(RetryPolicy.Finish f) {
      Result r = f.result();
      ErrorCode e = r.error();
      if (registering) {
        if (r.ok()) {
          registered = true;
          registering = false;
          return begin();
        }
        if (!f.gaveUp()) {
          history.unexpected(clientId + " registration: " + r);
        }
        // The write was never sent: it was not applied.
        return finish(Outcome.FAIL, e == null ? null : e.code(), null);
      }
      if (f.gaveUp()) {
        return finish(op.kind() == Kind.GET ? Outcome.FAIL : Outcome.UNKNOWN, null, null);
      }
      if (r.ok() || e == ErrorCode.CAS_MISMATCH || e == ErrorCode.NOT_A_NUMBER || e == ErrorCode.OVERFLOW) {
        if (op.kind() != Kind.GET) {
          history.applied(clientId, opSeq, r.index());
        }
        workload.observed(op, r);
        return finish(Outcome.OK, e == null ? null : e.code(), r.value());
      }
      // Anything else means the client or the cluster broke a rule: the run reports it.
      history.unexpected(clientId + " seq " + opSeq + " " + op + ": " + r);
      return finish(Outcome.FAIL, e == null ? null : e.code(), null);
    }

    private Behavior<Command> finish(Outcome outcome, String error, String output) {
      long completed = outcome == Outcome.UNKNOWN ? Long.MAX_VALUE : history.nowNanos();
      history.record(process, op, outcome, error, output, invokedNanos, completed);
      timers.cancel(AttemptTimeout.INSTANCE);
      timers.cancel(Retry.INSTANCE);
      ctx.stop(replyTo);
      replyTo = null;
      op = null;
      timers.startSingleTimer(Tick.INSTANCE, script.isEmpty() ? think() : Duration.ZERO);
      return idle();
    }
  }
}
