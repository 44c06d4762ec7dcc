package raftkv.bench;

import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.client.RetryPolicy;
import raftkv.common.Endpoint;

/**
 * One sequential client of the benchmark: its own client id (registered before its first write),
 * one request at a time, each write under a new seq. Where each attempt goes is {@link
 * RetryPolicy}'s, with {@link #RETRIES}: to the node that answered last (the leader, normally); a
 * {@code not_leader} reply naming a leader sends it there. No answer within the attempt timeout: the
 * node is suspect until it answers again (for a second at most), its reference is resolved afresh
 * next time, and the request is sent to the next node, under the same seq. A refusal that names no
 * usable leader (none, or a suspect one: survivors keep naming a killed leader until they elect)
 * moves on round-robin after a short pause.
 *
 * <p>An attempt that timed out is still waited for (as the etcd baseline's writer counts late
 * completions): a definitive answer from any attempt of the request ends it, and a late refusal is
 * ignored. Every attempt of a write carries the same (clientId, seq), so the cluster applies it once
 * and a second answer is the first one's duplicate.
 *
 * <p>Not thread-safe: the next request starts once the previous one has completed.
 */
final class Session {
  /** The pause after a refusal that names no usable leader: an election is under way. */
  private static final Duration NO_LEADER_PAUSE = Duration.ofMillis(2);
  /** How long, at most, a node that did not answer is avoided when choosing where to go next. */
  private static final Duration SUSPECT_FOR = Duration.ofSeconds(1);
  /** The benchmark's settings of the one client retry policy. */
  static final RetryPolicy.Settings RETRIES =
      new RetryPolicy.Settings(NO_LEADER_PAUSE, Duration.ZERO, SUSPECT_FOR);

  private static final Executor NOW = ForkJoinPool.commonPool();
  private static final ScheduledThreadPoolExecutor TIMERS = timers();

  /**
   * A definitive answer: {@code sentNanos} is when the attempt that got it was sent ({@code
   * startNanos} when the request's first was), {@code ackNanos} when the answer came back.
   */
  record Ack(long startNanos, long sentNanos, long ackNanos, int attempts, Result result) {}

  private final BenchClient client;
  private final String clientId;
  private final Duration attemptTimeout;
  private final Duration giveUpAfter;
  /** Guarded by itself: answers and timers arrive on several threads. */
  private final RetryPolicy policy;
  private CompletableFuture<Void> registered;
  private long seq;

  Session(
      BenchClient client,
      List<Endpoint> nodes,
      Endpoint first,
      String clientId,
      Duration attemptTimeout,
      Duration giveUpAfter) {
    this.client = client;
    this.policy = new RetryPolicy(nodes, first, RETRIES);
    this.clientId = clientId;
    this.attemptTimeout = attemptTimeout;
    this.giveUpAfter = giveUpAfter;
  }

  private static ScheduledThreadPoolExecutor timers() {
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread th = new Thread(r, "session-timers");
              th.setDaemon(true);
              return th;
            });
    t.setRemoveOnCancelPolicy(true); // most timers are cancelled: do not keep them queued
    return t;
  }

  /**
   * A write under the next seq; the session's first write registers the client id first (that
   * round trip is not part of the write's {@link Ack}).
   */
  CompletableFuture<Ack> put(String key, String value) {
    long s = ++seq;
    Op op = new Op.Put(key, value);
    return register()
        .thenCompose(
            ok ->
                call(
                    RetryPolicy.Kind.WRITE,
                    replyTo -> new ClientProtocol.Write(clientId, s, op, replyTo)));
  }

  CompletableFuture<Ack> get(String key, Consistency consistency) {
    return call(RetryPolicy.Kind.READ, replyTo -> new ClientProtocol.Read(key, consistency, replyTo));
  }

  /** Registers the client id once (idempotent, so a retry is harmless); fails if refused. */
  private synchronized CompletableFuture<Void> register() {
    if (registered == null || registered.isCompletedExceptionally()) {
      registered =
          call(RetryPolicy.Kind.REGISTER, replyTo -> new ClientProtocol.Register(clientId, replyTo))
              .thenApply(
                  ack -> {
                    if (!ack.result().ok()) {
                      throw new IllegalStateException(
                          "registering " + clientId + ": " + ack.result().message());
                    }
                    return null;
                  });
    }
    return registered;
  }

  private CompletableFuture<Ack> call(
      RetryPolicy.Kind kind, Function<ActorRef<Reply>, ClientProtocol.Request> request) {
    CompletableFuture<Ack> done = new CompletableFuture<>();
    long start = System.nanoTime();
    RetryPolicy.Decision first;
    synchronized (policy) {
      first = policy.begin(new RetryPolicy.Request(kind, "retry", giveUpAfter), start);
    }
    carryOut(first, request, start, 1, done);
    return done;
  }

  /** Does what the policy decided: an attempt now or after a pause, or the end. */
  private void carryOut(
      RetryPolicy.Decision d,
      Function<ActorRef<Reply>, ClientProtocol.Request> request,
      long start,
      int n,
      CompletableFuture<Ack> done) {
    if (d instanceof RetryPolicy.Finish f) {
      if (f.gaveUp()) {
        done.completeExceptionally(
            new TimeoutException(
                "no definitive answer within " + giveUpAfter.toMillis() + " ms (" + (n - 1)
                    + " attempts)"));
      } else {
        done.complete(new Ack(start, start, System.nanoTime(), n, f.result()));
      }
      return;
    }
    RetryPolicy.Send send = (RetryPolicy.Send) d;
    Runnable go = () -> NOW.execute(() -> attempt(send.node(), request, start, n, done));
    if (send.pause().isZero()) {
      go.run();
    } else {
      TIMERS.schedule(go, send.pause().toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void attempt(
      Endpoint to,
      Function<ActorRef<Reply>, ClientProtocol.Request> request,
      long start,
      int n,
      CompletableFuture<Ack> done) {
    if (done.isDone()) {
      return; // a late answer to an earlier attempt ended the request meanwhile
    }
    long sent = System.nanoTime();
    long left = giveUpAfter.toNanos() - (sent - start);
    if (left <= 0) {
      RetryPolicy.Decision end;
      synchronized (policy) {
        end = policy.resume(sent);
      }
      carryOut(end, request, start, n, done);
      return;
    }
    // Set by whichever comes first, the answer or the attempt timer: only that one moves on.
    AtomicBoolean decided = new AtomicBoolean();
    ScheduledFuture<?> timer =
        TIMERS.schedule(
            () -> {
              if (decided.compareAndSet(false, true) && !done.isDone()) {
                noAnswer(to, request, start, n, done);
              }
            },
            attemptTimeout.toNanos(),
            TimeUnit.NANOSECONDS);
    client
        .request(to, request, attemptTimeout, Duration.ofNanos(Math.max(left, attemptTimeout.toNanos())))
        .whenComplete(
            (reply, failure) -> {
              long at = System.nanoTime();
              if (failure != null) {
                if (decided.compareAndSet(false, true) && !done.isDone()) {
                  timer.cancel(false);
                  noAnswer(to, request, start, n, done);
                }
                return;
              }
              Result r = reply.result();
              if (RetryPolicy.isFinal(r)) {
                synchronized (policy) {
                  policy.heardFrom(to);
                }
                timer.cancel(false);
                done.complete(new Ack(start, sent, at, n, r));
                return;
              }
              if (!decided.compareAndSet(false, true) || done.isDone()) {
                synchronized (policy) {
                  policy.heardFrom(to); // it answers
                }
                return; // a late refusal: the request has moved on
              }
              timer.cancel(false);
              RetryPolicy.Decision next;
              synchronized (policy) {
                next = policy.onReply(to, r, reply.leader(), at);
              }
              carryOut(next, request, start, n + 1, done);
            });
  }

  /** No answer from {@code node}: the policy avoids it for a while; resolve it afresh. */
  private void noAnswer(
      Endpoint node,
      Function<ActorRef<Reply>, ClientProtocol.Request> request,
      long start,
      int n,
      CompletableFuture<Ack> done) {
    client.forget(node);
    RetryPolicy.Decision next;
    synchronized (policy) {
      next = policy.onNoAnswer(node, System.nanoTime());
    }
    carryOut(next, request, start, n + 1, done);
  }
}
