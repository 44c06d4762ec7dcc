package raftkv.http;

import akka.actor.ActorSelection;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.pattern.Patterns;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.NodeAddress;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.client.RetryPolicy;
import raftkv.common.Endpoint;

/**
 * How an HTTP request reaches the node that can serve it: first this node's own actor, then, on
 * {@code not_leader}, the leader it names, over Akka remoting from this node's ActorSystem, as
 * {@link RetryPolicy} says (the one policy every client uses). So a client may send anything to any
 * node: a follower forwards writes and registrations to the leader, and serves linearizable reads
 * itself (it asks the leader for the read index). A write is always retried under the same
 * (clientId, seq): the cluster applies it once. Each request has a policy of its own, and its
 * attempts run one after another (each starts when the last one ended), so requests run
 * concurrently without sharing state.
 */
final class Gateway {

  private final ActorSystem<?> system;
  private final akka.actor.ActorSystem classic;
  private final Endpoint self;
  private final List<Endpoint> members;
  private final HttpSettings settings;
  /** The HTTP addresses leaders gave (by Raft address), for {@link #leaderElsewhere}. */
  private final Map<Endpoint, String> httpAddresses = new ConcurrentHashMap<>();

  /** {@code self} is this node's Raft endpoint; {@code members} all of them, {@code self} too. */
  Gateway(ActorSystem<?> system, Endpoint self, List<Endpoint> members, HttpSettings settings) {
    this.system = system;
    this.classic = Adapter.toClassic(system);
    this.self = self;
    this.members = List.copyOf(members);
    this.settings = settings;
  }

  CompletionStage<Result> write(String clientId, long seq, Op op) {
    String retry =
        "retry with the headers " + HttpApi.CLIENT_ID_HEADER + ": " + clientId + " and "
            + HttpApi.SEQ_HEADER + ": " + seq;
    return run(
        replyTo -> new ClientProtocol.Write(clientId, seq, op, replyTo),
        new RetryPolicy.Request(RetryPolicy.Kind.WRITE, retry, settings.requestTimeout()));
  }

  /** Registers {@code clientId}, or a session whose id the cluster chooses if it is null. */
  CompletionStage<Result> register(String clientId) {
    String retry =
        clientId == null
            ? "retry (an unused session expires by itself)"
            : "retry: registering " + clientId + " again is harmless";
    return run(
        replyTo -> new ClientProtocol.Register(clientId, replyTo),
        new RetryPolicy.Request(RetryPolicy.Kind.REGISTER, retry, settings.requestTimeout()));
  }

  /** A linearizable read may be served by any node; a stale one is served by this node alone. */
  CompletionStage<Result> read(String key, Consistency consistency) {
    RetryPolicy.Request request =
        new RetryPolicy.Request(
            RetryPolicy.Kind.READ, "a read changes nothing: retry it", settings.requestTimeout());
    if (consistency == Consistency.STALE) {
      return this.<Reply>ask(self, replyTo -> new ClientProtocol.Read(key, consistency, replyTo),
              settings.requestTimeout())
          .handle((reply, failure) -> failure == null
              ? ((Reply) reply).result()
              : Result.error(raftkv.api.ErrorCode.TIMEOUT,
                  "node did not answer within " + settings.requestTimeout().toMillis() + " ms; "
                      + request.retryHint()));
    }
    return run(replyTo -> new ClientProtocol.Read(key, consistency, replyTo), request);
  }

  /**
   * One page of a scan, retried as a read is: a linearizable one may be served by any node, a stale
   * one by this node alone. A failure is a {@link ScanReply#failed} page.
   */
  CompletionStage<ScanReply> scan(
      String prefix, String after, int limit, boolean keysOnly, Consistency consistency) {
    RetryPolicy.Request request =
        new RetryPolicy.Request(
            RetryPolicy.Kind.READ, "a scan changes nothing: retry it", settings.requestTimeout());
    Function<ActorRef<ScanReply>, ClientProtocol.Request> message =
        replyTo -> new ClientProtocol.Scan(prefix, after, limit, keysOnly, consistency, replyTo);
    if (consistency == Consistency.STALE) {
      return this.<ScanReply>ask(self, message, settings.requestTimeout())
          .handle((reply, failure) -> failure == null
              ? (ScanReply) reply
              : ScanReply.failed(Result.error(raftkv.api.ErrorCode.TIMEOUT,
                  "node did not answer within " + settings.requestTimeout().toMillis() + " ms; "
                      + request.retryHint())));
    }
    return run(message, ScanReply::header, ScanReply::failed, request);
  }

  /**
   * Where a write should go when followers redirect: the leader's HTTP address if another node
   * leads, empty if this node leads or no leader is known, or if the leader does not say where its
   * API is within the attempt timeout (the write is then served here, by forwarding it as usual).
   */
  CompletionStage<Optional<String>> leaderElsewhere() {
    return status(settings.attemptTimeout())
        .thenCompose(s -> {
          if (s.role().equals("leader") || s.leader() == null || s.leader().equals(self)) {
            return CompletableFuture.completedFuture(Optional.<String>empty());
          }
          Endpoint leader = s.leader();
          String known = httpAddresses.get(leader);
          if (known != null) {
            return CompletableFuture.completedFuture(Optional.of(known));
          }
          return Patterns.askWithReplyTo(
                  classic.actorSelection(HttpAddressBook.path(leader)),
                  ref -> new HttpAddressBook.Get(Adapter.toTyped(ref)),
                  settings.attemptTimeout())
              .thenApply(a -> {
                String url = ((HttpAddressBook.Address) a).url();
                httpAddresses.put(leader, url);
                return Optional.of(url);
              });
        })
        .exceptionally(noAnswer -> Optional.empty());
  }

  /** This node's own status, or a failed stage if it does not answer within {@code timeout}. */
  CompletionStage<NodeStatus> status(Duration timeout) {
    return this.<NodeStatus>ask(self, ClientProtocol.GetStatus::new, timeout)
        .thenApply(s -> (NodeStatus) s);
  }

  // ---------------------------------------------------------------------------------------------

  private CompletionStage<Result> run(
      Function<ActorRef<Reply>, ClientProtocol.Request> message, RetryPolicy.Request request) {
    return run(message, reply -> reply, Reply::of, request).thenApply(Reply::result);
  }

  /**
   * Runs {@code request} to its end and completes with the final reply, or with {@code failed} of
   * the policy's answer when none came; {@code header} is what the policy reads of a reply.
   */
  private <R> CompletionStage<R> run(
      Function<ActorRef<R>, ClientProtocol.Request> message,
      Function<R, Reply> header,
      Function<Result, R> failed,
      RetryPolicy.Request request) {
    RetryPolicy policy = new RetryPolicy(members, self, RetryPolicy.INTERACTIVE);
    CompletableFuture<R> done = new CompletableFuture<>();
    new Attempts<>(policy, message, header, failed, done)
        .decide(policy.begin(request, System.nanoTime()), null);
    return done;
  }

  /** One request's attempts, one after another. */
  private final class Attempts<R> {
    private final RetryPolicy policy;
    private final Function<ActorRef<R>, ClientProtocol.Request> message;
    private final Function<R, Reply> header;
    private final Function<Result, R> failed;
    private final CompletableFuture<R> done;

    Attempts(
        RetryPolicy policy,
        Function<ActorRef<R>, ClientProtocol.Request> message,
        Function<R, Reply> header,
        Function<Result, R> failed,
        CompletableFuture<R> done) {
      this.policy = policy;
      this.message = message;
      this.header = header;
      this.failed = failed;
      this.done = done;
    }

    /** Carries out {@code d}; {@code last} is the reply it decided on (null: none). */
    @SuppressWarnings("unchecked")
    void decide(RetryPolicy.Decision d, Object last) {
      if (d instanceof RetryPolicy.Finish f) {
        done.complete(!f.gaveUp() && last != null ? (R) last : failed.apply(f.result()));
        return;
      }
      RetryPolicy.Send send = (RetryPolicy.Send) d;
      if (!send.pause().isZero()) {
        system.scheduler().scheduleOnce(
            send.pause(),
            () -> decide(policy.resume(System.nanoTime()), null),
            system.executionContext());
        return;
      }
      Endpoint node = send.node();
      long remaining = Math.max(1, policy.deadlineNanos() - System.nanoTime());
      Duration timeout =
          Duration.ofNanos(Math.min(settings.attemptTimeout().toNanos(), remaining));
      Gateway.this.<R>ask(node, message, timeout)
          .whenComplete(
              (answer, failure) -> {
                long now = System.nanoTime();
                if (failure != null) {
                  decide(policy.onNoAnswer(node, now), null);
                } else {
                  @SuppressWarnings("unchecked")
                  Reply reply = header.apply((R) answer);
                  decide(policy.onReply(node, reply.result(), reply.leader(), now), answer);
                }
              });
    }
  }

  /** One request to the node at {@code node}, through a temporary reply address. */
  private <T> CompletionStage<Object> ask(
      Endpoint node, Function<ActorRef<T>, ClientProtocol.Request> message, Duration timeout) {
    ActorSelection target =
        node.equals(self)
            ? classic.actorSelection("/user/" + NodeAddress.NODE_ACTOR_NAME)
            : NodeAddress.select(classic, node);
    return Patterns.askWithReplyTo(target, ref -> message.apply(Adapter.<T>toTyped(ref)), timeout);
  }
}
