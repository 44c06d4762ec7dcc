package raftkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.Serializer;
import akka.serialization.Serializers;
import akka.serialization.jackson.JacksonCborSerializer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.api.ClientProtocol;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Continuation;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.PeerStatus;
import raftkv.api.ClientProtocol.Reply;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.common.CborSerializable;
import raftkv.common.Endpoint;
import raftkv.raft.core.Rpc;
import raftkv.raft.core.Rpc.AppendEntries;
import raftkv.raft.core.Rpc.AppendEntriesReply;
import raftkv.raft.core.Rpc.PreVote;
import raftkv.raft.core.Rpc.PreVoteReply;
import raftkv.raft.core.Rpc.ReadIndexReply;
import raftkv.raft.core.Rpc.ReadIndexRequest;
import raftkv.raft.core.Rpc.RequestVote;
import raftkv.raft.core.Rpc.RequestVoteReply;
import raftkv.storage.EntryType;
import raftkv.storage.LogEntry;

/**
 * Every message that crosses a JVM boundary survives the wire: serialized by {@code jackson-cbor}
 * (never Java serialization), deserialized, and equal to what was sent.
 */
class WireFormatTest {
  /** The testkit does not read application.conf, where the serialization bindings are. */
  static final Config CONFIG =
      ConfigFactory.parseString("akka.actor.provider = local")
          .withFallback(ConfigFactory.parseResources("application.conf"))
          .withFallback(ConfigFactory.defaultReference())
          .resolve();

  static final ActorTestKit kit = ActorTestKit.create(CONFIG);
  static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));

  static final Endpoint N1 = new Endpoint("127.0.0.1", 9001);
  static final Endpoint N2 = new Endpoint("10.0.0.2", 9002);

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  static Stream<Arguments> messages() {
    ActorRef<Reply> replyTo = kit.<Reply>createTestProbe().ref();
    ActorRef<NodeStatus> statusTo = kit.<NodeStatus>createTestProbe().ref();
    ActorRef<ScanReply> scanTo = kit.<ScanReply>createTestProbe().ref();
    ActorRef<SnapshotChunkReply> chunkTo = kit.<SnapshotChunkReply>createTestProbe().ref();
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i; // every byte value, NUL and invalid UTF-8 included
    }
    List<LogEntry> entries =
        List.of(
            LogEntry.noop(5, 3),
            new LogEntry(6, 3, EntryType.COMMAND, binary),
            new LogEntry(7, 4, EntryType.COMMAND, "put k v".getBytes(StandardCharsets.UTF_8)),
            new LogEntry(8, 4, EntryType.COMMAND, new byte[0]));
    PeerStatus caughtUp = new PeerStatus(2, N2, 42, 7L);
    PeerStatus neverHeard = new PeerStatus(null, new Endpoint("node-3.example", 9003), 0, null);
    return Stream.of(
        // Peer messages
        new PreVote(8, N1, 1, 41, 7),
        new PreVoteReply(8, N2, 2, true),
        new PreVoteReply(7, N2, 2, false),
        new RequestVote(8, N1, 1, 41, 7),
        new RequestVoteReply(8, N2, 2, true),
        new AppendEntries(4, N1, 1, 4, 3, entries, 3, 17),
        new AppendEntries(4, N1, 1, 8, 4, List.of(), 8, Long.MAX_VALUE),
        new AppendEntriesReply(4, N2, 2, true, 8, 0, 0, 17),
        new AppendEntriesReply(4, N2, 2, false, 6, 2, 3, 18),
        new ReadIndexRequest(4, N2, 2, 99, 7),
        new ReadIndexReply(4, N1, 1, 99, 7, true, 8),
        new ReadIndexReply(5, N1, 1, 100, 7, false, 0),
        new Rpc.InstallSnapshot(5, N1, 1, 40, 4, List.of(N1, N2), 1, 0, new byte[] {0, 0, 0, 0, 1, 'k'}, false, 77),
        new Rpc.InstallSnapshot(5, N1, 1, 40, 4, List.of(N1, N2), 2, 3, new byte[0], true, -1),
        new Rpc.InstallSnapshotReply(5, N2, 2, 40, 4, 1, 1, false, 5),
        new Rpc.InstallSnapshotReply(6, N2, 2, 40, 4, 2, 4, true, 5),
        new Rpc.Ping(0, N2, 2),
        // Client requests, one Write per op
        new ClientProtocol.Register("client-ü", replyTo),
        new ClientProtocol.Register(null, replyTo),
        new ClientProtocol.Write("client-ü", 1, new Op.Put("key", "välue"), replyTo),
        new ClientProtocol.Write("c", 2, new Op.Put("empty", ""), replyTo),
        new ClientProtocol.Write("c", 3, new Op.Delete("key"), replyTo),
        new ClientProtocol.Write("c", 4, new Op.Cas("key", "old", "new"), replyTo),
        new ClientProtocol.Write("c", 5, new Op.Cas("key", null, "first"), replyTo),
        new ClientProtocol.Write("c", 6, new Op.Incr("counter", -3), replyTo),
        new ClientProtocol.Write("c", 7, new Op.Incr("counter", Long.MIN_VALUE), replyTo),
        new ClientProtocol.Read("key", Consistency.LINEARIZABLE, replyTo),
        new ClientProtocol.Read("key", Consistency.STALE, replyTo),
        new ClientProtocol.Scan("pre/ü", Continuation.after("pre/ü1"), 10, false, Consistency.LINEARIZABLE, scanTo),
        new ClientProtocol.Scan("", null, 0, true, Consistency.STALE, scanTo),
        new ClientProtocol.GetStatus(statusTo),
        new ClientProtocol.ReadSnapshot(null, 0, chunkTo),
        new ClientProtocol.ReadSnapshot(7L, 3, chunkTo),
        // Replies
        Reply.of(Result.value("v", 12)),
        Reply.of(Result.value(null, 0)),
        Reply.of(Result.written(13).asDuplicate()),
        Reply.of(Result.casMismatch("other", 14)),
        Reply.of(Result.failed(ErrorCode.OVERFLOW, "incr would overflow", 15)),
        new Reply(Result.error(ErrorCode.UNKNOWN, "leadership lost after the write was stored"), 2, N2),
        Reply.notLeader("node n1 is not the leader; the leader is n2", 2, N2),
        Reply.notLeader("node n1 is not the leader and knows none", null, null),
        new NodeStatus(1, N1, "leader", 4, 1, N1, 8, 8, 8, 4, 0L, List.of(caughtUp, neverHeard), 5, 6, 120, 4096),
        new NodeStatus(2, N2, "follower", 4, null, null, 0, 0, 0, 0, null, List.of(), 0, 1, 0, 0),
        ScanReply.page(
            List.of(new ScanEntry("k\u0000ü", "välue"), new ScanEntry("k2", ""), new ScanEntry("k3", null)),
            Continuation.after("k3")),
        ScanReply.page(List.of(), null),
        ScanReply.notLeader("node n1 is not the leader; the leader is n2", 2, N2),
        new ScanEntry("k", "v"),
        new SnapshotChunkReply(Result.value(null, 0), 7L, 3, 40, 4, List.of(N1, N2), binary, false, 77, null, null),
        new SnapshotChunkReply(Result.value(null, 0), 7L, 4, 40, 4, List.of(N1, N2), new byte[0], true, -1, null, null),
        SnapshotChunkReply.notLeader("node n1 is not the leader; the leader is n2", 2, N2),
        SnapshotChunkReply.failed(Result.error(ErrorCode.INVALID_REQUEST, "backup 7 is not open")),
        caughtUp,
        neverHeard)
        .map(m -> Arguments.of(m.getClass().getSimpleName(), m));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("messages")
  void survivesTheWire(String type, Object message) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertThat(serializer).isInstanceOf(JacksonCborSerializer.class);
    assertThat(serializer.identifier()).isEqualTo(33);

    byte[] bytes = serialization.serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();

    assertThat(back).isInstanceOf(message.getClass()).isEqualTo(message);
  }

  /** A new message type, or a new op, fails here until it has a case above. */
  @Test
  void everyWireTypeHasACase() {
    Set<Class<?>> covered = new HashSet<>();
    messages().forEach(a -> {
      Object m = a.get()[1];
      covered.add(m.getClass());
      if (m instanceof ClientProtocol.Write w) {
        covered.add(w.op().getClass());
      }
    });
    Stream.of(
            Rpc.PeerMessage.class.getPermittedSubclasses(),
            ClientProtocol.Request.class.getPermittedSubclasses(),
            Op.class.getPermittedSubclasses(),
            new Class<?>[] {
              Reply.class, ScanReply.class, ScanEntry.class, SnapshotChunkReply.class,
              NodeStatus.class, PeerStatus.class
            })
        .flatMap(Arrays::stream)
        .forEach(c -> assertThat(covered).as("cases").contains(c));
  }

  record Plain(int x) {}

  record JavaSerializable(int x) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void onlyCborSerializableMessagesCanBeSerialized() {
    assertThat(CborSerializable.class.isAssignableFrom(Plain.class)).isFalse();
    assertThat(serialization.serialize(new Plain(1)).failed().get())
        .hasMessageContaining("No configured serialization-bindings");
    // Java serialization is off: a java.io.Serializable message does not get through either.
    assertThat(serialization.serialize(new JavaSerializable(1)).failed().get())
        .hasMessageContaining("allow-java-serialization` was disabled");
  }
}
