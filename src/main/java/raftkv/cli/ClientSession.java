package raftkv.cli;

import java.util.Optional;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ErrorCode;
import raftkv.api.Limits;
import raftkv.api.Result;
import raftkv.cli.KvClient.ClientCommand;
import raftkv.cli.KvClient.GetCommand;
import raftkv.cli.KvClient.Printed;
import raftkv.cli.KvClient.WriteCommand;

/**
 * The client id and the seq the next write takes. The session is registered before its first
 * write: the given id, or one the cluster chooses (then known only once registered).
 */
final class ClientSession {
  /** Null until the cluster has chosen one, for a session without --client-id. */
  private String clientId;
  private long nextSeq;
  private boolean registered;

  ClientSession(String clientId, long firstSeq) {
    this.clientId = clientId;
    this.nextSeq = firstSeq;
  }

  /** A session whose id the cluster chooses when it registers, numbering writes from 1. */
  static ClientSession chosenByCluster() {
    return new ClientSession(null, 1);
  }

  boolean registered() {
    return registered;
  }

  /** The cluster registered the session as {@code id}. */
  void registeredAs(String id) {
    clientId = id;
    registered = true;
  }

  long nextSeq() {
    return nextSeq;
  }

  /** The seq was sent: the next write takes the one after it. */
  void advance() {
    nextSeq++;
  }

  /**
   * Sends one write or get. A write registers the session first if it is not yet registered, then
   * takes the session's next seq, unless it is refused here (nothing sent, seq not used).
   */
  Printed perform(ClientCommand command, ClusterClient cluster, Output output) {
    if (command instanceof GetCommand g) {
      Optional<Result> refused = Limits.checkKey(g.key());
      Result r =
          refused.orElseGet(
              () ->
                  cluster.read(
                      g.key(), g.stale() ? Consistency.STALE : Consistency.LINEARIZABLE));
      return new Printed(r, output.result(Output.Kind.GET, r));
    }
    WriteCommand w = (WriteCommand) command;
    Output.Kind kind = Output.kindOf(w.op());
    long seq = nextSeq();
    // Checked with a stand-in id when the cluster is to choose one: its ids are short and valid.
    Optional<Result> refused = Limits.check(clientId == null ? "@" : clientId, seq, w.op());
    if (refused.isPresent()) {
      return new Printed(refused.get(), output.result(kind, refused.get()));
    }
    if (!registered()) {
      Optional<Result> failed = register(seq, cluster);
      if (failed.isPresent()) {
        return new Printed(failed.get(), output.result(kind, failed.get()));
      }
    }
    advance();
    Result r = cluster.write(clientId, seq, w.op());
    return new Printed(r, output.result(kind, r));
  }

  /**
   * Registers the session; empty when it is registered, else the answer for the write, which was
   * not sent. An ended session's refusal stands as it is (outcome unknown: the write may have been
   * applied before it ended). Otherwise, with an id the cluster was to choose the write is new, so
   * nothing was applied ({@code unavailable}); with a given id this may be a retry, whose outcome
   * stays unknown ({@code timeout}).
   */
  private Optional<Result> register(long seq, ClusterClient cluster) {
    Result r = cluster.register(clientId);
    if (r.ok()) {
      registeredAs(r.value());
      return Optional.empty();
    }
    if (r.error() == ErrorCode.SESSION_EXPIRED || !r.error().outcomeUnknown()) {
      return Optional.of(r);
    }
    if (clientId == null) {
      return Optional.of(
          Result.error(
              ErrorCode.UNAVAILABLE,
              "no session could be registered (" + r.error().code() + ": " + r.message()
                  + "); the write was not sent"));
    }
    return Optional.of(
        Result.error(
            ErrorCode.TIMEOUT,
            "outcome unknown: registering session " + clientId
                + " got no definitive answer (" + r.message() + "); this write was not sent,"
                + " an earlier one may have been applied; retry with --client-id "
                + clientId + " --seq " + seq));
  }
}
