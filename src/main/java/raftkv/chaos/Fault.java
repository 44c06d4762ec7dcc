package raftkv.chaos;

/**
 * One planned fault: what, to which node, for how long, and how long the cluster then gets to
 * recover before the next one. The node is a role ({@code leader}) or a node id resolved when the
 * fault starts, so a seed fixes the schedule while the leader it hits is whoever leads then.
 *
 * @param kind what is done
 * @param leader true: the node is the leader when the fault starts (a random node if none is known)
 * @param node the node when {@code leader} is false (1-based)
 * @param percent for {@link Kind#LOSS}: the share of packets dropped
 * @param durationMillis how long the fault lasts (a killed node's downtime)
 * @param recoverMillis the quiet time after it is healed, before the next fault may start
 */
record Fault(
    Kind kind, boolean leader, int node, int percent, long durationMillis, long recoverMillis) {

  /** The faults a nemesis injects. */
  enum Kind {
    /** {@code kill -9} the node, restart it after the duration. */
    KILL("kill"),
    /** SIGSTOP the node, SIGCONT after the duration. */
    PAUSE("pause"),
    /** Cut the node off from the other nodes, both ways (a 1/2 partition). */
    ISOLATE("isolate"),
    /** The node's packets to the other nodes are dropped; theirs still reach it. */
    CUT_OUT("cut-outbound"),
    /** The other nodes' packets to the node are dropped; its own still reach them. */
    CUT_IN("cut-inbound"),
    /** Every link between nodes drops {@code percent} of its packets, at random. */
    LOSS("loss"),
    /** The node's links to the other nodes are slow: a narrow rate, a queue, drops when full. */
    SLOW("slow");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }
}
