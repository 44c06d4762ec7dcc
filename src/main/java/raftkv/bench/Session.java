package raftkv.bench;

import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Reply;
import raftkv.common.Endpoint;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.api.Result;

/**
 * One sequential client of the benchmark: its own client id, one request at a time, each write
 * under a new seq. A request goes to the node that answered last (the leader, normally). A {@code
 * not_leader} reply naming a leader sends it there. No answer within the attempt timeout: the node
 * is suspect until it answers again (for a second at most), its reference is resolved afresh next
 * time, and the request is sent to the next node, under the same seq. A refusal that names no usable
 * leader (none, or a suspect one: survivors keep naming a killed leader until they elect) moves on
 * round-robin after a short pause.
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
  private static final long NO_LEADER_PAUSE_MILLIS = 2;
  /** How long, at most, a node that did not answer is avoided when choosing where to go next. */
  private static final long SUSPECT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private static final Executor NOW = ForkJoinPool.commonPool();
  private static final ScheduledThreadPoolExecutor TIMERS = timers();

  /**
   * A definitive answer: {@code sentNanos} is when the attempt that got it was sent ({@code
   * startNanos} when the request's first was), {@code ackNanos} when the answer came back.
   */
  record Ack(long startNanos, long sentNanos, long ackNanos, int attempts, Result result) {}

  private final BenchClient client;
  private final List<Endpoint> nodes;
  private final String clientId;
  private final Duration attemptTimeout;
  private final Duration giveUpAfter;
  private final Map<Endpoint, Long> suspectUntil = new ConcurrentHashMap<>();
  private long seq;
  private volatile Endpoint target;

  Session(
      BenchClient client,
      List<Endpoint> nodes,
      Endpoint first,
      String clientId,
      Duration attemptTimeout,
      Duration giveUpAfter) {
    this.client = client;
    this.nodes = List.copyOf(nodes);
    this.target = first;
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

  CompletableFuture<Ack> put(String key, String value) {
    long s = ++seq;
    Op op = new Op.Put(key, value);
    return call(replyTo -> new ClientProtocol.Write(clientId, s, op, replyTo));
  }

  CompletableFuture<Ack> get(String key, Consistency consistency) {
    return call(replyTo -> new ClientProtocol.Read(key, consistency, replyTo));
  }

  private CompletableFuture<Ack> call(Function<ActorRef<Reply>, ClientProtocol.Request> request) {
    CompletableFuture<Ack> done = new CompletableFuture<>();
    attempt(request, System.nanoTime(), 1, done);
    return done;
  }

  private void attempt(
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
      done.completeExceptionally(
          new TimeoutException(
              "no definitive answer within " + giveUpAfter.toMillis() + " ms (" + (n - 1)
                  + " attempts)"));
      return;
    }
    Endpoint to = target;
    // Set by whichever comes first, the answer or the attempt timer: only that one moves on.
    AtomicBoolean decided = new AtomicBoolean();
    Runnable retry = () -> NOW.execute(() -> attempt(request, start, n + 1, done));
    ScheduledFuture<?> timer =
        TIMERS.schedule(
            () -> {
              if (decided.compareAndSet(false, true) && !done.isDone()) {
                suspect(to);
                retry.run();
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
                  suspect(to);
                  retry.run();
                }
                return;
              }
              suspectUntil.remove(to); // it answers
              Result r = reply.result();
              if (isFinal(r)) {
                timer.cancel(false);
                done.complete(new Ack(start, sent, at, n, r));
                return;
              }
              if (!decided.compareAndSet(false, true) || done.isDone()) {
                return; // a late refusal: the request has moved on
              }
              timer.cancel(false);
              Endpoint hint = reply.leader();
              if (hint != null && !hint.equals(to) && !isSuspect(hint, at)) {
                target = hint;
                retry.run();
              } else {
                target = next(to, at);
                TIMERS.schedule(retry, NO_LEADER_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
              }
            });
  }

  /** No answer from {@code node}: avoid it for a while, resolve it afresh, try the next one. */
  private void suspect(Endpoint node) {
    long now = System.nanoTime();
    suspectUntil.put(node, now + SUSPECT_NANOS);
    client.forget(node);
    if (node.equals(target)) {
      target = next(node, now);
    }
  }

  /** The next node after {@code from} that is not suspect, or simply the next if all are. */
  private Endpoint next(Endpoint from, long now) {
    int i = nodes.indexOf(from);
    for (int k = 1; k <= nodes.size(); k++) {
      Endpoint e = nodes.get(Math.floorMod(i + k, nodes.size()));
      if (!e.equals(from) && !isSuspect(e, now)) {
        return e;
      }
    }
    return nodes.get(Math.floorMod(i + 1, nodes.size()));
  }

  private boolean isSuspect(Endpoint e, long now) {
    Long until = suspectUntil.get(e);
    return until != null && now - until < 0;
  }

  /**
   * Whether an answer ends the request: as in {@code ClientActor}, {@code not_leader}, {@code
   * unavailable} and {@code timeout} never do (the write may still be applied; the retry under the
   * same seq finds out).
   */
  static boolean isFinal(Result r) {
    return r.ok()
        || (r.error() != ErrorCode.NOT_LEADER
            && r.error() != ErrorCode.UNAVAILABLE
            && r.error() != ErrorCode.TIMEOUT);
  }
}
