package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.testkit.SingleNode.N2;
import static raftkv.testkit.SingleNode.N3;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import raftkv.common.RaftSettings;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.raft.core.Rpc.RequestVote;
import raftkv.raft.core.Rpc.RequestVoteReply;
import raftkv.storage.EntryType;
import raftkv.storage.InMemoryStorage;
import raftkv.storage.LogEntry;
import raftkv.testkit.CapturingTransport.Sent;
import raftkv.testkit.SingleNode;
import raftkv.testkit.SingleNode.Durable;
import raftkv.testkit.TestConfig;

/**
 * What only the actor shell can get wrong, on a live node: the core's rules are tested without an
 * actor ({@code raftkv.raft.core.VoteRulesTest}, {@code AppendEntriesRulesTest}), which check that
 * the step sending a granted vote or an acknowledgement also asks for the write. That the write is
 * durable before the message leaves depends on the order {@link RaftNode} carries out a step's
 * effects in; that a vote outlives the process depends on what it reads back at start; that what is
 * committed gets applied depends on it feeding the state machine. Kept small: one test for each.
 */
class ShellEffectsTest {
  static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static List<LogEntry> entries(long firstIndex, long... terms) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      out.add(new LogEntry(firstIndex + i, terms[i], EntryType.COMMAND, new byte[] {(byte) i, (byte) terms[i]}));
    }
    return out;
  }

  private static RequestVote vote(long term, raftkv.common.Endpoint from) {
    return new RequestVote(term, from, from.port() - 9000, 0, 0);
  }

  @Test
  void votePersistedBeforeTheReplyLeaves() { // §5.2; Figure 2: stable storage before responding
    SingleNode n = new SingleNode(kit, 22);
    n.deliver(vote(3, N2));
    Sent reply = n.sent().stream().filter(s -> s.message() instanceof RequestVoteReply).findFirst().orElseThrow();
    assertThat(((RequestVoteReply) reply.message()).granted()).isTrue();
    assertThat(reply.observedAtSend()).isEqualTo(new Durable(3, Optional.of(N2), 0));
    n.stop();
  }

  @Test
  void entriesAreDurableBeforeTheAcknowledgement() { // Figure 2: stable storage before responding
    SingleNode n = new SingleNode(kit, 55);
    n.deliver(SingleNode.append(1, 0, 0, entries(1, 1, 1, 1), 0));
    Sent s = n.sent().stream().filter(x -> x.message() instanceof AppendEntriesReply).findFirst().orElseThrow();
    assertThat(((AppendEntriesReply) s.message()).success()).isTrue();
    assertThat(((Durable) s.observedAtSend()).lastIndex()).isEqualTo(3);
    n.stop();
  }

  @Test
  void voteSurvivesARestart() { // §5.2; Figure 2, persistent votedFor
    InMemoryStorage disk = new InMemoryStorage();
    SingleNode n = new SingleNode(kit, disk, RaftSettings.defaults(), 23);
    n.deliver(vote(4, N2));
    assertThat(n.sent(RequestVoteReply.class)).singleElement().satisfies(r -> assertThat(r.granted()).isTrue());
    n.stop();
    n.start(); // same storage: a process restart
    assertThat(n.status().term()).isEqualTo(4);
    n.deliver(vote(4, N3));
    assertThat(n.sent(RequestVoteReply.class)).singleElement()
        .satisfies(r -> assertThat(r.granted()).as("a second vote in term 4 after restart").isFalse());
    n.stop();
  }

  @Test
  void whatAFollowerCommitsIsApplied() { // Figure 2, all servers: apply up to commitIndex
    InMemoryStorage disk = new InMemoryStorage();
    disk.append(entries(1, 1, 1, 1, 1, 1, 1));
    disk.saveTermAndVote(1, Optional.empty());
    SingleNode n = new SingleNode(kit, disk, RaftSettings.defaults(), 56);
    n.deliver(SingleNode.append(2, 0, 0, entries(1, 1, 1), 6));
    n.deliver(SingleNode.append(2, 2, 1, entries(3, 1, 1, 1, 1), 5));
    assertThat(n.status().commitIndex()).isEqualTo(5);
    assertThat(n.status().lastApplied()).isEqualTo(5);
    n.stop();
  }
}
