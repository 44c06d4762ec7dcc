package raftkv.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import raftkv.common.Endpoint;
import raftkv.raft.RaftNode;
import raftkv.raft.Transport;
import raftkv.raft.core.Rpc;

/**
 * A transport that delivers nothing: every message a node sends is kept for the test, with whatever
 * {@code atSend} observed at the moment of sending (for example what storage held).
 */
public final class CapturingTransport implements Transport {

  /** One message a node sent. */
  public record Sent(Endpoint to, Rpc.PeerMessage message, Object observedAtSend) {}

  private final List<Sent> sent = new ArrayList<>();
  private final Supplier<Object> atSend;

  public CapturingTransport(Supplier<Object> atSend) {
    this.atSend = atSend;
  }

  @Override
  public synchronized void send(Endpoint to, Rpc.PeerMessage message) {
    sent.add(new Sent(to, message, atSend.get()));
  }

  /** Everything sent since the last call, oldest first. */
  public synchronized List<Sent> take() {
    List<Sent> out = List.copyOf(sent);
    sent.clear();
    return out;
  }
}
