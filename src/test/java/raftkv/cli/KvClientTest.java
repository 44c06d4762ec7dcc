package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.api.ClientProtocol.Consistency;
import raftkv.api.ClientProtocol.Continuation;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.ScanEntry;
import raftkv.api.ClientProtocol.ScanReply;
import raftkv.api.ClientProtocol.SnapshotChunkReply;
import raftkv.api.ErrorCode;
import raftkv.api.Op;
import raftkv.api.Result;
import raftkv.client.ClientActor.ClusterStatus;
import raftkv.client.ClientActor.NodeView;
import raftkv.common.Endpoint;
import raftkv.storage.SnapshotChunks;

/** The CLI without a cluster: parsing, sessions, output shapes and exit codes. */
class KvClientTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Endpoint N1 = new Endpoint("127.0.0.1", 9001);
  private static final Endpoint N2 = new Endpoint("127.0.0.1", 9002);
  private static final Endpoint N3 = new Endpoint("127.0.0.1", 9003);

  /** Records what was asked and answers with {@code answer}. */
  private static final class FakeCluster implements ClusterClient {
    final List<String> calls = new ArrayList<>();
    final Function<String, Result> answer;
    ClusterStatus status = new ClusterStatus(List.of(new NodeView(N1, null)));
    Settings settings;
    boolean closed;

    /** Registrations asked for, in order ("register ID" or "register null"). */
    final List<String> registrations = new ArrayList<>();
    /** Answers a registration; by default ok, the cluster choosing "@N.1". */
    Function<String, Result> registerAnswer =
        id -> Result.value(id == null ? "@" + registrations.size() + ".1" : id, 1);

    FakeCluster(Function<String, Result> answer) {
      this.answer = answer;
    }

    @Override
    public Result register(String clientId) {
      registrations.add("register " + clientId);
      return registerAnswer.apply(clientId);
    }

    @Override
    public Result write(String clientId, long seq, Op op) {
      String call = "write " + clientId + " " + seq + " " + op;
      calls.add(call);
      return answer.apply(call);
    }

    /** The chunks a backup gets, in order; a failed reply past their end. */
    List<SnapshotChunkReply> chunks = List.of();

    @Override
    public SnapshotChunkReply readSnapshot(Long cursorId, long seq) {
      calls.add("readSnapshot " + cursorId + " " + seq);
      return seq < chunks.size()
          ? chunks.get((int) seq)
          : SnapshotChunkReply.failed(Result.error(ErrorCode.INVALID_REQUEST, "no such chunk"));
    }

    @Override
    public Result read(String key, Consistency consistency) {
      String call = "read " + key + " " + consistency;
      calls.add(call);
      return answer.apply(call);
    }

    /** What a scan sees, in the store's byte order, served in pages of {@code pageSize} at most. */
    final TreeMap<String, String> keys = new TreeMap<>(KvClientTest::byteOrder);
    int pageSize = 2;
    /** Answers the scan call numbered n (from 0) instead of the keys, when it returns non-null. */
    Function<Integer, ScanReply> scanOverride = n -> null;
    int scans;

    @Override
    public ScanReply scan(
        String prefix, String after, int limit, boolean keysOnly, Consistency consistency) {
      calls.add("scan " + prefix + " " + (after == null ? null : Continuation.key(after).orElseThrow())
          + " " + limit + " " + keysOnly + " " + consistency);
      ScanReply override = scanOverride.apply(scans++);
      if (override != null) {
        return override;
      }
      int page = limit == 0 ? pageSize : Math.min(limit, pageSize);
      List<ScanEntry> entries = new ArrayList<>();
      boolean more = false;
      var from = after == null ? keys : keys.tailMap(Continuation.key(after).orElseThrow(), false);
      for (Map.Entry<String, String> e : from.entrySet()) {
        if (!e.getKey().startsWith(prefix)) {
          continue;
        }
        if (entries.size() == page) {
          more = true;
          break;
        }
        entries.add(new ScanEntry(e.getKey(), keysOnly ? null : e.getValue()));
      }
      return ScanReply.page(
          entries, more ? Continuation.after(entries.get(entries.size() - 1).key()) : null);
    }

    @Override
    public ClusterStatus status() {
      calls.add("status");
      return status;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private record Run(int code, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  private record Settings(List<Endpoint> nodes, Duration timeout) {}

  private static Run shell(FakeCluster fake, String stdin, String... args) {
    return runIn(Map.of(), fake, stdin, args);
  }

  private static Run runIn(Map<String, String> env, FakeCluster fake, String stdin, String... args) {
    return runIn(env, fake, stdin.getBytes(StandardCharsets.UTF_8), args);
  }

  /** A run in the environment {@code env} (the tests' own is never read) with stdin's bytes. */
  private static Run runIn(Map<String, String> env, FakeCluster fake, byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        KvClient.run(
            args,
            env,
            false,
            new ByteArrayInputStream(stdin),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            s -> {
              fake.settings = new Settings(s.nodes(), s.timeout());
              return fake;
            });
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Run run(FakeCluster fake, String... args) {
    return shell(fake, "", args);
  }

  private static Map<String, Object> json(String line) throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = JSON.readValue(line, Map.class);
    return m;
  }

  private static String line(Output.Kind kind, Result r) {
    return new Output(true).result(kind, r);
  }

  // ---------------------------------------------------------------------------------------------
  // snapshot save

  @TempDir Path tmp;

  private static SnapshotChunkReply chunk(long cursor, long seq, long index, byte[] data, long digestBefore, boolean last) {
    return new SnapshotChunkReply(Result.value(null, 0), cursor, seq, index, 4, List.of(N1, N2, N3), data, last,
        SnapshotChunks.digest(digestBefore, data), null, null);
  }

  /** One entry of KEYS, as a snapshot chunk holds it. */
  private static byte[] entry(String key, String value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(9 + k.length + v.length)
        .put((byte) 0).putInt(k.length).put(k).putInt(v.length).put(v).array();
  }

  @Test
  void snapshotSaveWritesEveryChunkOfOneCursorAndPrintsOneLine() throws Exception {
    FakeCluster fake = new FakeCluster(call -> Result.value(null, 0));
    byte[] a = entry("a", "1");
    byte[] b = entry("b", "2");
    SnapshotChunkReply first = chunk(7, 0, 40, a, 0, false);
    fake.chunks = List.of(first, chunk(7, 1, 40, b, first.digest(), true));
    Path file = tmp.resolve("b.snap");
    Run r = run(fake, "snapshot", "save", file.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("saved snapshot at index 40 (term 4): 2 keys, "
        + Files.size(file) + " bytes, to " + file + System.lineSeparator());
    assertThat(fake.calls).containsExactly("readSnapshot null 0", "readSnapshot 7 1");
    assertThat(BackupFile.read(file, e -> {}).entries()).isEqualTo(2);
  }

  @Test
  void snapshotSaveWithJsonPrintsOneObject() throws Exception {
    FakeCluster fake = new FakeCluster(call -> Result.value(null, 0));
    fake.chunks = List.of(chunk(9, 0, 12, entry("k", "v"), 0, true));
    Path file = tmp.resolve("j.snap");
    Run r = run(fake, "--json", "snapshot", "save", file.toString());
    assertThat(r.code()).isZero();
    assertThat(json(r.out().strip()))
        .containsEntry("ok", true)
        .containsEntry("index", 12)
        .containsEntry("term", 4)
        .containsEntry("keys", 1)
        .containsEntry("bytes", (int) Files.size(file))
        .containsEntry("file", file.toString());
  }

  @Test
  void aLeaderChangeOrADamagedChunkFailsTheBackupInOneLineAndLeavesNothing() throws Exception {
    FakeCluster fake = new FakeCluster(call -> Result.value(null, 0));
    byte[] a = entry("a", "1");
    SnapshotChunkReply first = chunk(7, 0, 40, a, 0, false);
    fake.chunks = List.of(first, SnapshotChunkReply.failed(Result.error(ErrorCode.INVALID_REQUEST,
        "backup 7 is not open on this node (the leader changed, or it was idle over 30 s): run the backup again")));
    Path file = tmp.resolve("b.snap");
    Run r = run(fake, "snapshot", "save", file.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("error: invalid_request: the backup failed at chunk 1: backup 7 is not open"
        + " on this node (the leader changed, or it was idle over 30 s): run the backup again" + System.lineSeparator());
    assertThat(tmp.toFile().list()).isEmpty();

    SnapshotChunkReply damaged = new SnapshotChunkReply(Result.value(null, 0), 8L, 0, 40, 4, List.of(N1), a, true,
        first.digest() + 1, null, null);
    fake.chunks = List.of(damaged);
    r = run(fake, "snapshot", "save", file.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("error: unavailable: chunk 0 does not match the leader's checksum"
        + System.lineSeparator());
    assertThat(tmp.toFile().list()).isEmpty();

    assertThat(run(fake, "snapshot").err()).startsWith("error: missing COMMAND");
  }

  // ---------------------------------------------------------------------------------------------
  // JSON shapes

  @Test
  void jsonOfAWriteIsOkIndexAndDuplicate() throws Exception {
    assertThat(json(line(Output.Kind.WRITE, Result.written(12))))
        .containsExactly(
            Map.entry("ok", true), Map.entry("index", 12), Map.entry("duplicate", false));
    assertThat(json(line(Output.Kind.WRITE, Result.written(12).asDuplicate())))
        .containsEntry("duplicate", true);
  }

  @Test
  void jsonOfAGetIsTheValueOrNull() throws Exception {
    assertThat(json(line(Output.Kind.GET, Result.value("v", 0))))
        .containsExactly(Map.entry("ok", true), Map.entry("value", "v"));
    JsonNode absent = JSON.readTree(line(Output.Kind.GET, Result.value(null, 0)));
    assertThat(absent.size()).isEqualTo(2);
    assertThat(absent.get("ok").asBoolean()).isTrue();
    assertThat(absent.get("value").isNull()).isTrue();
  }

  @Test
  void jsonOfAnIncrIsTheNewValueAsAStringWithItsIndex() throws Exception {
    assertThat(json(line(Output.Kind.INCR, Result.value("8", 12).asDuplicate())))
        .containsExactly(
            Map.entry("ok", true),
            Map.entry("value", "8"),
            Map.entry("index", 12),
            Map.entry("duplicate", true));
  }

  @Test
  void jsonOfACasMismatchCarriesTheActualValue() throws Exception {
    assertThat(json(line(Output.Kind.WRITE, Result.casMismatch("2", 7))))
        .containsExactly(
            Map.entry("ok", false), Map.entry("error", "cas_mismatch"), Map.entry("value", "2"));
    JsonNode absent = JSON.readTree(line(Output.Kind.WRITE, Result.casMismatch(null, 7)));
    assertThat(absent.size()).isEqualTo(3);
    assertThat(absent.get("value").isNull()).isTrue();
  }

  @Test
  void jsonOfAnyOtherFailureIsItsCodeAndMessage() throws Exception {
    for (ErrorCode code : List.of(ErrorCode.NOT_LEADER, ErrorCode.TOO_LARGE, ErrorCode.NOT_A_NUMBER)) {
      assertThat(json(line(Output.Kind.INCR, Result.error(code, "why"))))
          .containsExactly(
              Map.entry("ok", false), Map.entry("error", code.code()), Map.entry("message", "why"));
    }
    // An outcome-unknown code says so.
    assertThat(json(line(Output.Kind.INCR, Result.error(ErrorCode.TIMEOUT, "why"))))
        .containsExactly(
            Map.entry("ok", false),
            Map.entry("error", "timeout"),
            Map.entry("message", "why"),
            Map.entry("outcome", "unknown"));
    assertThat(json(new Output(true).usageError("bad line")))
        .containsExactly(
            Map.entry("ok", false), Map.entry("error", "usage"), Map.entry("message", "bad line"));
  }

  @Test
  void jsonIsOneLineEvenForValuesWithLineBreaks() throws Exception {
    String l = line(Output.Kind.GET, Result.value("a\nb\"c", 0));
    assertThat(l).doesNotContain("\n");
    assertThat(json(l)).containsEntry("value", "a\nb\"c");
  }

  // ---------------------------------------------------------------------------------------------
  // Text

  @Test
  void textNamesTheIndexAndMarksDuplicates() {
    Output text = new Output(false);
    assertThat(text.result(Output.Kind.WRITE, Result.written(3))).isEqualTo("OK (index 3)");
    assertThat(text.result(Output.Kind.WRITE, Result.written(3).asDuplicate()))
        .isEqualTo("OK (index 3) duplicate");
    assertThat(text.result(Output.Kind.INCR, Result.value("8", 12))).isEqualTo("8");
    assertThat(text.result(Output.Kind.INCR, Result.value("8", 12).asDuplicate()))
        .isEqualTo("8 (duplicate of the write at index 12)");
    assertThat(text.result(Output.Kind.GET, Result.value("v", 0))).isEqualTo("v");
    assertThat(text.result(Output.Kind.GET, Result.value(null, 0))).isEqualTo("(nil)");
    assertThat(text.result(Output.Kind.WRITE, Result.casMismatch("2", 4)))
        .isEqualTo("error: cas_mismatch: value differs from the expected one; actual value: 2");
    assertThat(text.result(Output.Kind.WRITE, Result.error(ErrorCode.TIMEOUT, "outcome unknown")))
        .isEqualTo("error: timeout: outcome unknown");
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  private static NodeStatus node(int id, Endpoint e, String role, long term, Integer leader) {
    return new NodeStatus(
        id, e, role, term, leader, null, 10, 9, 11, term, "leader".equals(role) ? 0L : 42L,
        List.of(), 4, 5, 700, 9000);
  }

  private static final ClusterStatus TWO_UP_ONE_DOWN =
      new ClusterStatus(
          List.of(
              new NodeView(N1, node(1, N1, "follower", 3, 2)),
              new NodeView(N2, node(2, N2, "leader", 3, 2)),
              new NodeView(N3, null)));

  @Test
  void statusJsonNamesTheLeaderAndListsUnreachableNodes() throws Exception {
    JsonNode s = JSON.readTree(new Output(true).status(TWO_UP_ONE_DOWN));
    assertThat(s.get("leader").asInt()).isEqualTo(2);
    assertThat(s.get("nodes")).hasSize(3);
    JsonNode n1 = s.get("nodes").get(0);
    List<String> fields = new ArrayList<>();
    n1.fieldNames().forEachRemaining(fields::add);
    assertThat(fields)
        .containsExactly(
            "id", "address", "role", "term", "leader", "commitIndex", "lastApplied",
            "lastLogIndex", "lastContactMs", "snapshotIndex", "firstLogIndex", "logBytes",
            "stateBytes", "reachable");
    assertThat(n1.get("id").asInt()).isEqualTo(1);
    assertThat(n1.get("address").asText()).isEqualTo("127.0.0.1:9001");
    assertThat(n1.get("role").asText()).isEqualTo("follower");
    assertThat(n1.get("leader").asInt()).isEqualTo(2);
    assertThat(n1.get("commitIndex").asLong()).isEqualTo(10);
    assertThat(n1.get("lastApplied").asLong()).isEqualTo(9);
    assertThat(n1.get("lastLogIndex").asLong()).isEqualTo(11);
    assertThat(n1.get("lastContactMs").asLong()).isEqualTo(42);
    assertThat(n1.get("snapshotIndex").asLong()).isEqualTo(4);
    assertThat(n1.get("firstLogIndex").asLong()).isEqualTo(5);
    assertThat(n1.get("logBytes").asLong()).isEqualTo(700);
    assertThat(n1.get("stateBytes").asLong()).isEqualTo(9000);
    assertThat(n1.get("reachable").asBoolean()).isTrue();
    JsonNode n3 = s.get("nodes").get(2);
    assertThat(n3.get("address").asText()).isEqualTo("127.0.0.1:9003");
    assertThat(n3.get("reachable").asBoolean()).isFalse();
    assertThat(n3.get("id").isNull()).isTrue();
    assertThat(n3.get("role").isNull()).isTrue();
    assertThat(n3.get("snapshotIndex").isNull()).isTrue();

    JsonNode none =
        JSON.readTree(new Output(true).status(new ClusterStatus(List.of(new NodeView(N1, null)))));
    assertThat(none.get("leader").isNull()).isTrue();
  }

  @Test
  void statusOfOneFollowerNamesTheLeaderItFollows() throws Exception {
    ClusterStatus oneFollower = new ClusterStatus(List.of(new NodeView(N1, node(1, N1, "follower", 3, 2))));
    assertThat(JSON.readTree(new Output(true).status(oneFollower)).get("leader").asInt()).isEqualTo(2);
    // A node that says it leads wins over what followers of an older term believe.
    ClusterStatus stale =
        new ClusterStatus(
            List.of(
                new NodeView(N1, node(1, N1, "follower", 3, 2)),
                new NodeView(N3, node(3, N3, "leader", 4, 3))));
    assertThat(JSON.readTree(new Output(true).status(stale)).get("leader").asInt()).isEqualTo(3);
  }

  @Test
  void statusTextIsAnAlignedTable() {
    List<String> lines = List.of(new Output(false).status(TWO_UP_ONE_DOWN).split("\n"));
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0).split("\\s+"))
        .containsExactly(
            "ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "SNAPSHOT", "LAST-CONTACT");
    int roleColumn = lines.get(0).indexOf("ROLE");
    int snapshotColumn = lines.get(0).indexOf("SNAPSHOT");
    assertThat(lines.get(1).substring(snapshotColumn)).startsWith("4 ");
    assertThat(lines.get(1).indexOf("follower")).isEqualTo(roleColumn);
    assertThat(lines.get(2).indexOf("leader")).isEqualTo(roleColumn);
    assertThat(lines.get(3).indexOf("unreachable")).isEqualTo(roleColumn);
    assertThat(lines.get(1)).startsWith("n1").contains("42 ms ago");
  }

  @Test
  void statusExitsZeroIfAnyNodeAnsweredAndThreeIfNone() {
    FakeCluster fake = new FakeCluster(c -> null);
    fake.status = TWO_UP_ONE_DOWN;
    Run up = run(fake, "status", "--json");
    assertThat(up.code()).isZero();
    assertThat(up.lines()).hasSize(1);

    Run down = run(new FakeCluster(c -> null), "status");
    assertThat(down.code()).isEqualTo(3);
    assertThat(down.out()).contains("unreachable");
  }

  @Test
  void statusExitsOneWhenNodesAnswerButNoneKnowsALeader() throws Exception {
    FakeCluster fake = new FakeCluster(c -> null);
    fake.status =
        new ClusterStatus(
            List.of(
                new NodeView(N1, node(1, N1, "candidate", 4, null)),
                new NodeView(N2, node(2, N2, "follower", 4, null)),
                new NodeView(N3, null)));
    Run text = run(fake, "status");
    assertThat(text.code()).isEqualTo(1);
    assertThat(text.out()).contains("candidate");
    assertThat(text.err()).isEqualTo(
        "error: no leader: no node that answered knows one (an election may be under way)\n");
    Run json = run(fake, "--json", "status");
    assertThat(json.code()).isEqualTo(1);
    assertThat(JSON.readTree(json.out()).get("leader").isNull()).isTrue();
    assertThat(json.err()).isEmpty();
    // A follower that names a leader is enough: the leader itself may be among the silent.
    fake.status =
        new ClusterStatus(
            List.of(new NodeView(N1, node(1, N1, "follower", 4, 3)), new NodeView(N3, null)));
    assertThat(run(fake, "status").code()).isZero();
  }

  // ---------------------------------------------------------------------------------------------
  // One-shot commands: exit codes and where the lines go

  @Test
  void aSuccessfulWritePrintsOneJsonLineAndExitsZero() throws Exception {
    FakeCluster fake = new FakeCluster(c -> Result.written(5));
    Run r = run(fake, "--json", "put", "k", "v");
    assertThat(r.code()).isZero();
    assertThat(r.lines()).hasSize(1);
    assertThat(json(r.lines().get(0))).containsEntry("index", 5);
    assertThat(r.err()).isEmpty();
    assertThat(fake.closed).isTrue();
  }

  @Test
  void exitCodesFollowTheOutcome() {
    assertThat(run(new FakeCluster(c -> Result.value(null, 0)), "get", "k").code()).isZero();
    assertThat(run(new FakeCluster(c -> Result.value(null, 0)), "get", "k").out())
        .isEqualTo("(nil)\n");
    Run mismatch = run(new FakeCluster(c -> Result.casMismatch("x", 3)), "cas", "k", "a", "b");
    assertThat(mismatch.code()).isEqualTo(1);
    assertThat(mismatch.out()).isEmpty();
    assertThat(mismatch.err()).startsWith("error: cas_mismatch: ");
    Run timeout =
        run(
            new FakeCluster(c -> Result.error(ErrorCode.TIMEOUT, "outcome unknown")),
            "put", "k", "v");
    assertThat(timeout.code()).isEqualTo(3);
    assertThat(timeout.err()).isEqualTo("error: timeout: outcome unknown\n");
    Run jsonTimeout =
        run(
            new FakeCluster(c -> Result.error(ErrorCode.TIMEOUT, "outcome unknown")),
            "--json", "delete", "k");
    assertThat(jsonTimeout.code()).isEqualTo(3);
    assertThat(jsonTimeout.out()).contains("\"error\":\"timeout\"");
  }

  @Test
  void tooLargeIsRefusedWithoutAskingTheCluster() throws Exception {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    Run r = run(fake, "--json", "put", "k", "x".repeat((1 << 20) + 1));
    assertThat(r.code()).isEqualTo(1);
    assertThat(json(r.out().strip())).containsEntry("error", "too_large");
    assertThat(run(fake, "get", "k".repeat(1025)).code()).isEqualTo(1);
    assertThat(fake.calls).isEmpty();
  }

  @Test
  void optionsMayFollowTheCommand() {
    FakeCluster fake = new FakeCluster(c -> Result.value("v", 0));
    Run r = run(fake, "get", "k", "--stale", "--json", "--port", "9201", "--timeout", "500ms");
    assertThat(r.out()).isEqualTo("{\"ok\":true,\"value\":\"v\"}\n");
    assertThat(fake.calls).containsExactly("read k STALE");
    assertThat(fake.settings.nodes()).containsExactly(new Endpoint("127.0.0.1", 9201));
    assertThat(fake.settings.timeout()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void nodesComeFromPortOrPeersWithHost() {
    FakeCluster fake = new FakeCluster(c -> Result.value("v", 0));
    run(fake, "get", "k");
    assertThat(fake.settings.nodes()).containsExactly(N1, N2, N3);
    assertThat(fake.settings.timeout()).isEqualTo(Duration.ofSeconds(2));
    run(fake, "--host", "10.0.0.5", "--peers", "9001,other:9002", "get", "k");
    assertThat(fake.settings.nodes())
        .containsExactly(new Endpoint("10.0.0.5", 9001), new Endpoint("other", 9002));
  }

  @Test
  void raftkvEndpointsNamesTheNodesUnlessPortOrPeersDo() {
    FakeCluster fake = new FakeCluster(c -> Result.value("v", 0));
    Map<String, String> env = Map.of("RAFTKV_ENDPOINTS", "127.0.0.1:9101, 9102,other:9103,9102");
    assertThat(runIn(env, fake, "", "get", "k").code()).isZero();
    assertThat(fake.settings.nodes())
        .containsExactly(
            new Endpoint("127.0.0.1", 9101), new Endpoint("127.0.0.1", 9102), new Endpoint("other", 9103));
    runIn(Map.of("RAFTKV_ENDPOINTS", "9101,9102"), fake, "", "--host", "10.0.0.5", "get", "k");
    assertThat(fake.settings.nodes())
        .containsExactly(new Endpoint("10.0.0.5", 9101), new Endpoint("10.0.0.5", 9102));
    runIn(env, fake, "", "--port", "9201", "get", "k");
    assertThat(fake.settings.nodes()).containsExactly(new Endpoint("127.0.0.1", 9201));
    runIn(env, fake, "", "--peers", "9301,9302", "get", "k");
    assertThat(fake.settings.nodes())
        .containsExactly(new Endpoint("127.0.0.1", 9301), new Endpoint("127.0.0.1", 9302));
    runIn(Map.of("RAFTKV_ENDPOINTS", " "), fake, "", "get", "k");
    assertThat(fake.settings.nodes()).as("blank counts as unset").containsExactly(N1, N2, N3);
  }

  @Test
  void aMalformedRaftkvEndpointsIsAOneLineUsageError() {
    FakeCluster fake = new FakeCluster(c -> Result.value("v", 0));
    for (String bad : List.of("9001,,9002", "9001;9002", "host:", "99999", ":9001")) {
      Run r = runIn(Map.of("RAFTKV_ENDPOINTS", bad), fake, "", "get", "k");
      assertThat(r.code()).as(bad).isEqualTo(2);
      assertThat(r.err().lines()).as(bad).hasSize(2);
      assertThat(r.err().lines().findFirst().orElseThrow())
          .as(bad)
          .startsWith("error: RAFTKV_ENDPOINTS='" + bad + "': ");
      assertThat(r.out()).isEmpty();
    }
    assertThat(fake.calls).isEmpty();
    assertThat(runIn(Map.of("RAFTKV_ENDPOINTS", "nonsense"), fake, "", "--port", "9001", "get", "k").code())
        .as("--port wins, so the variable is not read")
        .isZero();
  }

  // ---------------------------------------------------------------------------------------------
  // put --file and put K -

  /** Text with a multi-byte character of every length, a CRLF and a trailing newline. */
  private static final String TEXT = "line one\r\nz\u00e9 \u20ac \ud83d\ude00\n";

  @Test
  void putFileSendsTheFileByteForByteTrailingNewlineIncluded() throws Exception {
    FakeCluster fake = new FakeCluster(c -> Result.written(4));
    Path f = Files.write(tmp.resolve("v.txt"), TEXT.getBytes(StandardCharsets.UTF_8));
    Run r = run(fake, "put", "k", "--file", f.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("OK (index 4)\n");
    assertThat(fake.calls).containsExactly("write @1.1 1 Put[key=k, value=" + TEXT + "]");
  }

  @Test
  void putDashSendsStandardInputByteForByte() {
    FakeCluster fake = new FakeCluster(c -> Result.written(4));
    Run r = runIn(Map.of(), fake, TEXT.getBytes(StandardCharsets.UTF_8), "put", "k", "-");
    assertThat(r.code()).isZero();
    assertThat(fake.calls).containsExactly("write @1.1 1 Put[key=k, value=" + TEXT + "]");
    FakeCluster empty = new FakeCluster(c -> Result.written(5));
    assertThat(runIn(Map.of(), empty, new byte[0], "put", "k", "-").code()).isZero();
    assertThat(empty.calls).containsExactly("write @1.1 1 Put[key=k, value=]");
  }

  @Test
  void inputThatIsNotUtf8IsRefusedInOneLineAndNothingIsSent() throws Exception {
    List<byte[]> bad =
        List.of(
            new byte[] {'a', 'b', (byte) 0xc3, 'c'}, // a lead byte without its continuation
            new byte[] {'a', 'b', (byte) 0xff}, // never in UTF-8
            new byte[] {'a', 'b', (byte) 0xc0, (byte) 0xaf}, // an overlong '/'
            new byte[] {'a', 'b', (byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a surrogate (CESU-8)
            new byte[] {'a', 'b', (byte) 0xe2, (byte) 0x82}); // cut short at the end
    for (byte[] bytes : bad) {
      FakeCluster fake = new FakeCluster(c -> Result.written(1));
      Path f = Files.write(tmp.resolve("bad"), bytes);
      Run file = run(fake, "put", "k", "--file", f.toString());
      assertThat(file.code()).as(Arrays.toString(bytes)).isEqualTo(1);
      assertThat(file.err())
          .as(Arrays.toString(bytes))
          .isEqualTo("error: invalid_request: " + f + " is not UTF-8 text (a malformed byte sequence"
              + " at byte 2); a value is UTF-8 text; nothing was sent\n");
      Run stdin = runIn(Map.of(), fake, bytes, "--json", "put", "k", "-");
      assertThat(stdin.code()).isEqualTo(1);
      assertThat(json(stdin.out().strip()))
          .containsEntry("error", "invalid_request")
          .extractingByKey("message").asString().startsWith("standard input is not UTF-8 text");
      assertThat(fake.calls).isEmpty();
      assertThat(fake.registrations).as("not even a session").isEmpty();
    }
  }

  @Test
  void inputOverOneMebibyteIsRefusedAndNothingIsSent() throws Exception {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    byte[] max = "x".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);
    assertThat(runIn(Map.of(), fake, max, "put", "k", "-").code()).isZero();
    assertThat(fake.calls).hasSize(1);
    fake.calls.clear();
    byte[] over = new byte[(1 << 20) + 1];
    Arrays.fill(over, (byte) 'x');
    Path f = Files.write(tmp.resolve("big"), over);
    Run r = run(fake, "put", "k", "--file", f.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo("error: too_large: " + f + " holds more than 1048576 bytes (1 MiB), the most a"
            + " value may hold; nothing was sent\n");
    assertThat(runIn(Map.of(), fake, over, "put", "k", "-").code()).isEqualTo(1);
    assertThat(fake.calls).isEmpty();
  }

  @Test
  void aFileThatCannotBeReadIsOneLineAndValueWithFileIsAUsageError() throws Exception {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    Path missing = tmp.resolve("missing");
    Run r = run(fake, "put", "k", "--file", missing.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo("error: invalid_request: cannot read " + missing + ": no such file; nothing was sent\n");
    assertThat(run(fake, "put", "k", "--file", tmp.toString()).err().lines())
        .singleElement().asString().startsWith("error: invalid_request: cannot read " + tmp);
    Path f = Files.writeString(tmp.resolve("v"), "v");
    Run both = run(fake, "put", "k", "v", "--file", f.toString());
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err().lines())
        .containsExactly("error: give VALUE or --file FILE, not both", "try kv_client put --help");
    assertThat(run(fake, "put", "k", "-", "--file", f.toString()).code()).isEqualTo(2);
    assertThat(fake.calls).isEmpty();
  }

  @Test
  void theShellReadsFilesButTakesDashAsTheValueItself() throws Exception {
    FakeCluster fake = new FakeCluster(c -> Result.written(7));
    Path f = Files.write(tmp.resolve("v.txt"), TEXT.getBytes(StandardCharsets.UTF_8));
    Path bad = Files.write(tmp.resolve("bad"), new byte[] {(byte) 0xff});
    Run r =
        shell(fake, "put a -\nput b --file '" + f + "'\nput c --file '" + bad + "'\nput d v --file x\n",
            "shell");
    assertThat(r.lines())
        .containsExactly(
            "OK (index 7)",
            "OK (index 7)",
            "error: invalid_request: " + bad + " is not UTF-8 text (a malformed byte sequence at byte"
                + " 0); a value is UTF-8 text; nothing was sent",
            "error: usage: put: give VALUE or --file FILE, not both");
    assertThat(fake.calls)
        .containsExactly(
            "write @1.1 1 Put[key=a, value=-]", "write @1.1 2 Put[key=b, value=" + TEXT + "]");
  }

  @Test
  void aNegativeDeltaIsADeltaNotAnOption() {
    FakeCluster fake = new FakeCluster(c -> Result.value("-5", 1));
    assertThat(run(fake, "incr", "k", "-5").code()).isZero();
    assertThat(fake.calls.get(0)).endsWith("Incr[key=k, delta=-5]");
  }

  @Test
  void casAbsentSendsANullExpectation() {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    assertThat(run(fake, "cas", "--absent", "k", "new").code()).isZero();
    assertThat(fake.calls.get(0)).endsWith("Cas[key=k, expected=null, value=new]");
  }

  // ---------------------------------------------------------------------------------------------
  // Usage errors

  @Test
  void usageErrorsExitTwoWithoutAskingTheCluster() {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    List<String[]> bad =
        List.of(
            new String[] {},
            new String[] {"frobnicate"},
            new String[] {"put", "k"},
            new String[] {"put", "k", "v", "extra"},
            new String[] {"incr", "k", "many"},
            new String[] {"cas", "k", "v"},
            new String[] {"cas", "--absent", "k", "a", "b"},
            new String[] {"--timeout", "soon", "get", "k"},
            new String[] {"--port", "9001", "--peers", "9002", "get", "k"},
            new String[] {"--port", "99999", "get", "k"},
            new String[] {"--client-id", "7", "--seq", "0", "put", "k", "v"},
            new String[] {"--nope", "get", "k"});
    for (String[] args : bad) {
      Run r = run(fake, args);
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
      List<String> err = r.err().lines().toList();
      assertThat(err).as(String.join(" ", args)).hasSize(2);
      assertThat(err.get(0)).as(String.join(" ", args)).startsWith("error: ");
      assertThat(err.get(1)).as(String.join(" ", args)).matches("try kv_client( [a-z]+)? --help");
      assertThat(r.err()).as(String.join(" ", args)).doesNotContain("Usage:");
      assertThat(r.out()).isEmpty();
    }
    assertThat(fake.calls).isEmpty();
  }

  @Test
  void aUsageErrorSaysWhatIsWrongAndWhereTheHelpIs() {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    assertThat(run(fake, "put", "k").err().lines())
        .containsExactly(
            "error: missing VALUE (or - for standard input, or --file FILE)", "try kv_client put --help");
    assertThat(run(fake, "--nope", "get", "k").err().lines())
        .containsExactly("error: Unknown option: '--nope'", "try kv_client --help");
    assertThat(run(fake).err().lines()).containsExactly("error: missing COMMAND", "try kv_client --help");
    assertThat(run(fake, "snapshot").err().lines())
        .containsExactly("error: missing COMMAND", "try kv_client snapshot --help");
    assertThat(run(fake, "snapshot", "save").err().lines())
        .containsExactly("error: Missing required parameter: 'FILE'", "try kv_client snapshot save --help");
  }

  @Test
  void clientIdAndSeqComeTogether() {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    Run noSeq = run(fake, "--client-id", "7", "incr", "k");
    assertThat(noSeq.code()).isEqualTo(2);
    assertThat(noSeq.err())
        .contains("--client-id needs --seq: the server deduplicates by (client id, seq)");
    assertThat(run(fake, "--seq", "3", "incr", "k").code()).isEqualTo(2);
    assertThat(fake.calls).isEmpty();

    assertThat(run(fake, "--client-id", "7", "--seq", "1", "incr", "k").code()).isZero();
    assertThat(fake.calls).containsExactly("write 7 1 Incr[key=k, delta=1]");
  }

  @Test
  void withoutAClientIdTheClusterChoosesOneAndTheWriteIsSeqOne() {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    Run first = run(fake, "put", "k", "v");
    run(fake, "put", "k", "v");
    assertThat(first.code()).isZero();
    assertThat(first.out()).isEqualTo("OK (index 1)\n").as("nothing extra on success");
    assertThat(fake.registrations).containsExactly("register null", "register null");
    assertThat(fake.calls).containsExactly("write @1.1 1 Put[key=k, value=v]", "write @2.1 1 Put[key=k, value=v]");
  }

  @Test
  void aGivenClientIdIsRegisteredBeforeTheWrite() {
    FakeCluster fake = new FakeCluster(c -> Result.value("1", 4));
    assertThat(run(fake, "--client-id", "C", "--seq", "1", "incr", "k").code()).isZero();
    assertThat(fake.registrations).containsExactly("register C");
    assertThat(fake.calls).containsExactly("write C 1 Incr[key=k, delta=1]");
  }

  @Test
  void anEndedSessionIsRefusedWithItsOutcomeUnknownAndNothingSent() throws Exception {
    // Anomaly 3, the CLI's side: the retry of (C, 1) after C's session ended.
    FakeCluster fake = new FakeCluster(c -> Result.value("2", 9));
    fake.registerAnswer =
        id ->
            Result.error(
                ErrorCode.SESSION_EXPIRED,
                "session \"C\" ended at seq 1 and cannot start again; a write sent in it before"
                    + " may have been applied; nothing was applied now");
    Run text = run(fake, "--client-id", "C", "--seq", "1", "incr", "k");
    Run json = run(fake, "--json", "--client-id", "C", "--seq", "1", "incr", "k");

    assertThat(fake.calls).as("the write is not sent").isEmpty();
    assertThat(text.code()).isEqualTo(3);
    assertThat(text.err())
        .isEqualTo(
            "error: session_expired: session \"C\" ended at seq 1 and cannot start again; a write"
                + " sent in it before may have been applied; nothing was applied now\n");
    assertThat(json.code()).isEqualTo(3);
    JsonNode n = JSON.readTree(json.out());
    assertThat(n.get("error").asText()).isEqualTo("session_expired");
    assertThat(n.get("outcome").asText()).isEqualTo("unknown");
  }

  @Test
  void aFailedRegistrationOfAClusterChosenSessionSendsNothingAndIsADefiniteError() {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    fake.registerAnswer = id -> Result.error(ErrorCode.TIMEOUT, "outcome unknown: no answer");
    Run r = run(fake, "put", "k", "v");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("error: unavailable: no session could be registered").contains("the write was not sent");
    assertThat(fake.calls).isEmpty();
  }

  @Test
  void aTimedOutWriteOfAClusterChosenSessionNamesTheIdAndSeqToRetryWith() {
    FakeCluster fake =
        new FakeCluster(
            c ->
                Result.error(
                    ErrorCode.TIMEOUT,
                    "outcome unknown: no definitive answer within 2 s; the write may or may not"
                        + " have been applied; retry with --client-id @1.1 --seq 1"));
    Run r = run(fake, "put", "k", "v");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("--client-id @1.1 --seq 1");
    assertThat(fake.calls).containsExactly("write @1.1 1 Put[key=k, value=v]");
  }

  @Test
  void everyOutcomeUnknownCodeExitsThreeAndSaysSoInJson() throws Exception {
    for (ErrorCode code : ErrorCode.values()) {
      Result r = Result.error(code, "m");
      JsonNode n = JSON.readTree(new Output(true).result(Output.Kind.WRITE, r));
      if (code.outcomeUnknown()) {
        assertThat(Output.exitCode(r)).as("%s", code).isEqualTo(3);
        assertThat(n.get("outcome").asText()).as("%s", code).isEqualTo("unknown");
      } else {
        assertThat(Output.exitCode(r)).as("%s", code).isEqualTo(1);
        assertThat(n.has("outcome")).as("%s", code).isFalse();
      }
    }
    assertThat(java.util.Arrays.stream(ErrorCode.values()).filter(ErrorCode::outcomeUnknown))
        .containsExactlyInAnyOrder(
            ErrorCode.TIMEOUT, ErrorCode.UNKNOWN, ErrorCode.SESSION_EXPIRED, ErrorCode.STALE_REQUEST);
  }

  @Test
  void helpExitsZero() {
    Run r = run(new FakeCluster(c -> null), "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Usage: kv_client").contains("shell").contains("Exit status");
  }

  @Test
  void completionPrintsABashScriptForEveryCommandAndIsNotListed() {
    FakeCluster fake = new FakeCluster(c -> null);
    Run r = run(fake, "completion");
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out())
        .startsWith("#!/usr/bin/env bash")
        .contains("local commands=\"put get delete cas incr scan status snapshot shell\"")
        .contains("--file") // put's options
        .contains("--keys-only") // scan's
        .contains("compdef") // zsh too, through bashcompinit
        .endsWith("complete -F _complete_kv_client -o default kv_client kv_client.sh kv_client.bash\n");
    assertThat(fake.calls).isEmpty();
    assertThat(run(fake, "--help").out()).doesNotContain("completion");
  }

  // ---------------------------------------------------------------------------------------------
  // Shell

  @Test
  void theShellAnswersOneLinePerCommandLineAndNumbersWritesOnly() throws Exception {
    FakeCluster fake =
        new FakeCluster(c -> c.startsWith("read") ? Result.value("v", 0) : Result.written(9));
    String input =
        String.join(
            "\n",
            "put a 1",
            "",
            "# a comment",
            "get a",
            "put \"unterminated",
            "frobnicate x",
            "put k",
            "put big " + "x".repeat((1 << 20) + 1),
            "incr n 2",
            "  cas --absent 'key with space' \"a \\\"quoted\\\" value\"  ",
            "status",
            "delete a");
    Run r = shell(fake, input, "--json", "--client-id", "s", "--seq", "5", "shell");
    assertThat(r.code()).isZero();
    List<String> lines = r.lines();
    assertThat(lines).hasSize(10);
    List<String> errors = new ArrayList<>();
    for (String l : lines) {
      JsonNode n = JSON.readTree(l);
      if (n.has("error")) {
        errors.add(n.get("error").asText());
      }
    }
    assertThat(errors).containsExactly("usage", "usage", "usage", "too_large");
    assertThat(JSON.readTree(lines.get(1)).get("value").asText()).isEqualTo("v");
    assertThat(JSON.readTree(lines.get(8)).has("nodes")).isTrue();
    assertThat(fake.calls)
        .containsExactly(
            "write s 5 Put[key=a, value=1]",
            "read a LINEARIZABLE",
            "write s 6 Incr[key=n, delta=2]",
            "write s 7 Cas[key=key with space, expected=null, value=a \"quoted\" value]",
            "status",
            "write s 8 Delete[key=a]");
  }

  @Test
  void theShellRegistersOnceAndKeepsItsSessionAfterATimeout() {
    // Registered, the session exists whatever became of seq 1: seq 2 follows it.
    FakeCluster fake =
        new FakeCluster(
            c -> c.contains(" 1 Put[key=a")
                ? Result.error(ErrorCode.TIMEOUT, "no answer")
                : Result.written(3));
    Run r = shell(fake, "get a\nput a 1\nput b 2\nput c 3\n", "--json", "shell");
    assertThat(r.lines()).hasSize(4);
    assertThat(fake.registrations).containsExactly("register null");
    assertThat(fake.calls)
        .containsExactly(
            "read a LINEARIZABLE",
            "write @1.1 1 Put[key=a, value=1]",
            "write @1.1 2 Put[key=b, value=2]",
            "write @1.1 3 Put[key=c, value=3]");
  }

  @Test
  void theShellTriesToRegisterAgainAfterARegistrationFailed() {
    FakeCluster fake = new FakeCluster(c -> Result.written(3));
    int[] asked = {0};
    fake.registerAnswer =
        id -> ++asked[0] == 1 ? Result.error(ErrorCode.TIMEOUT, "no answer") : Result.value("@7.1", 7);
    Run r = shell(fake, "put a 1\nput b 2\n", "shell");
    assertThat(r.lines().get(0)).startsWith("error: unavailable: no session could be registered");
    assertThat(fake.calls).containsExactly("write @7.1 1 Put[key=b, value=2]");
  }

  @Test
  void aGivenClientIdIsKeptAfterATimeout() {
    FakeCluster fake = new FakeCluster(c -> Result.error(ErrorCode.TIMEOUT, "no answer"));
    shell(fake, "put a 1\nput b 2\n", "--client-id", "mine", "--seq", "1", "shell");
    assertThat(fake.calls).containsExactly("write mine 1 Put[key=a, value=1]", "write mine 2 Put[key=b, value=2]");
  }

  @Test
  void aPipedShellPrintsNoPromptAndTheLineEditorAnswersTheSameLines() throws Exception {
    String input = "put a 1\n\n# note\nget a\nput b\nstatus\n";
    Function<String, Result> answer = c -> c.startsWith("read") ? Result.value("1", 0) : Result.written(3);
    Run piped = shell(new FakeCluster(answer), input, "shell");
    assertThat(piped.lines())
        .containsExactly(
            "OK (index 3)",
            "1",
            "error: usage: put: missing VALUE (or --file FILE)",
            "no leader: 127.0.0.1:9001 unreachable");
    assertThat(piped.out()).doesNotContain(TerminalShell.PROMPT).doesNotContain("\u001b");
    assertThat(piped.err()).isEmpty();

    ByteArrayOutputStream screen = new ByteArrayOutputStream();
    var terminal =
        org.jline.terminal.TerminalBuilder.builder()
            .system(false)
            .streams(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), screen)
            .type(org.jline.terminal.Terminal.TYPE_DUMB)
            .build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TerminalShell lines = new TerminalShell(terminal, tmp.resolve("history"))) {
      KvClient.shell(lines, new PrintStream(out, true, StandardCharsets.UTF_8), new Output(false),
          ClientSession.chosenByCluster(), new FakeCluster(answer));
    }
    assertThat(out.toString(StandardCharsets.UTF_8).lines()).isEqualTo(piped.lines());
  }

  @Test
  void aMalformedShellLineSaysWhyOnOneLine() {
    Output text = new Output(false);
    ClientSession session = new ClientSession("s", 1);
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    assertThat(KvClient.shellLine("put k", text, session, fake))
        .isEqualTo("error: usage: put: missing VALUE (or --file FILE)");
    assertThat(KvClient.shellLine("shell", text, session, fake))
        .startsWith("error: usage: unknown command 'shell'");
    assertThat(KvClient.shellLine("cas k v", text, session, fake))
        .isEqualTo("error: usage: cas: cas takes KEY EXPECTED NEW (or --absent KEY NEW)");
    assertThat(fake.calls).isEmpty();
  }

  @Test
  void shellWordsSplitLikeAShell() {
    assertThat(ShellWords.split("  put k   v ")).containsExactly("put", "k", "v");
    assertThat(ShellWords.split("put k ''")).containsExactly("put", "k", "");
    assertThat(ShellWords.split("put k 'a b'\"c\\\"d\"")).containsExactly("put", "k", "a bc\"d");
    assertThat(ShellWords.split("put k a\\ b")).containsExactly("put", "k", "a b");
    assertThatThrownBy(() -> ShellWords.split("put 'k")).hasMessageContaining("unterminated");
  }

  @Test
  void durationsTakeAUnit() {
    assertThat(KvClient.parseDuration("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(KvClient.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(KvClient.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(KvClient.parseDuration("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(KvClient.parseDuration("3")).isEqualTo(Duration.ofSeconds(3));
    assertThatThrownBy(() -> KvClient.parseDuration("0s"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KvClient.parseDuration("-1s"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Scans

  static int byteOrder(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /** Five keys under "a/", others around them; pages of two, so a scan of "a/" takes three. */
  private static FakeCluster scanCluster() {
    FakeCluster fake = new FakeCluster(c -> Result.written(1));
    for (String k : List.of("a", "a/1", "a/2", "a/3", "a/4", "a/5", "b", "b/1", "`")) {
      fake.keys.put(k, "v " + k);
    }
    return fake;
  }

  @Test
  void aScanFollowsTheContinuationsAndPrintsEveryMatchingKeyAndValue() {
    FakeCluster fake = scanCluster();
    Run r = run(fake, "scan", "a/");
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.lines()).containsExactly("a/1 v a/1", "a/2 v a/2", "a/3 v a/3", "a/4 v a/4", "a/5 v a/5");
    assertThat(fake.calls)
        .containsExactly(
            "scan a/ null 0 false LINEARIZABLE",
            "scan a/ a/2 0 false LINEARIZABLE",
            "scan a/ a/4 0 false LINEARIZABLE");
  }

  @Test
  void aScanWithoutAPrefixPrintsEveryKeyInByteOrder() {
    FakeCluster fake = scanCluster();
    Run r = run(fake, "scan", "--keys-only");
    assertThat(r.code()).isZero();
    assertThat(r.lines()).containsExactly("`", "a", "a/1", "a/2", "a/3", "a/4", "a/5", "b", "b/1");
  }

  @Test
  void keysOnlyPrintsOneKeyALineAndStaleAsksForAStaleScan() {
    FakeCluster fake = scanCluster();
    Run r = run(fake, "scan", "a/", "--keys-only", "--stale");
    assertThat(r.lines()).containsExactly("a/1", "a/2", "a/3", "a/4", "a/5");
    assertThat(fake.calls).allSatisfy(c -> assertThat(c).endsWith(" true STALE"));
  }

  @Test
  void theLimitStopsAfterNKeysAcrossPages() {
    FakeCluster fake = scanCluster();
    Run r = run(fake, "scan", "a/", "--limit", "3", "--keys-only");
    assertThat(r.code()).isZero();
    assertThat(r.lines()).containsExactly("a/1", "a/2", "a/3");
    // Each page asks for what is still missing.
    assertThat(fake.calls).containsExactly("scan a/ null 3 true LINEARIZABLE", "scan a/ a/2 1 true LINEARIZABLE");
    assertThat(run(scanCluster(), "scan", "a/", "--limit", "10000").lines()).hasSize(5);
  }

  @Test
  void jsonPrintsOnePageALineWithTheContinuation() throws Exception {
    FakeCluster fake = scanCluster();
    Run r = run(fake, "--json", "scan", "a/");
    assertThat(r.code()).isZero();
    assertThat(r.lines()).hasSize(3);
    List<JsonNode> pages = new ArrayList<>();
    for (String line : r.lines()) {
      pages.add(JSON.readTree(line));
    }
    assertThat(pages.get(0).get("ok").asBoolean()).isTrue();
    assertThat(pages.get(0).get("entries").toString())
        .isEqualTo("[{\"key\":\"a/1\",\"value\":\"v a/1\"},{\"key\":\"a/2\",\"value\":\"v a/2\"}]");
    assertThat(pages.get(0).get("continuation").asText()).isEqualTo(Continuation.after("a/2"));
    assertThat(pages.get(2).get("entries")).hasSize(1);
    assertThat(pages.get(2).get("continuation").isNull()).isTrue();

    // A page cut by --limit names where the rest starts, and --after resumes there.
    Run cut = run(scanCluster(), "--json", "scan", "a/", "--limit", "1", "--keys-only");
    JsonNode only = JSON.readTree(cut.lines().get(0));
    assertThat(cut.lines()).hasSize(1);
    assertThat(only.get("entries").toString()).isEqualTo("[{\"key\":\"a/1\"}]");
    Run rest = run(scanCluster(), "scan", "a/", "--keys-only", "--after", only.get("continuation").asText());
    assertThat(rest.lines()).containsExactly("a/2", "a/3", "a/4", "a/5");
  }

  @Test
  void aBadLimitIsAUsageErrorAndNothingIsAsked() {
    for (String limit : List.of("0", "-1", "10001", "many")) {
      FakeCluster fake = scanCluster();
      Run r = run(fake, "scan", "a/", "--limit", limit);
      assertThat(r.code()).as(limit).isEqualTo(2);
      assertThat(r.err().lines().findFirst().orElseThrow()).as(limit).startsWith("error: ").contains("--limit");
      assertThat(r.out()).isEmpty();
      assertThat(fake.calls).isEmpty();
    }
  }

  @Test
  void aMalformedContinuationIsOneErrorLine() throws Exception {
    FakeCluster fake = scanCluster();
    Run r = run(fake, "scan", "a/", "--after", "not base64!");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().lines().toList())
        .singleElement()
        .asString()
        .startsWith("error: invalid_request: continuation \"not base64!\" is malformed");
    assertThat(r.out()).isEmpty();
    Run json = run(fake, "--json", "scan", "--after", "%%");
    assertThat(json.code()).isEqualTo(1);
    assertThat(json(json.lines().get(0))).containsEntry("ok", false).containsEntry("error", "invalid_request");
    assertThat(fake.calls).isEmpty();
  }

  @Test
  void aPageThatFailsMidScanEndsItWithTheErrorAfterWhatWasPrinted() {
    FakeCluster fake = scanCluster();
    fake.scanOverride =
        n -> n == 1 ? ScanReply.failed(Result.error(ErrorCode.TIMEOUT, "no definitive answer within 2 s")) : null;
    Run r = run(fake, "scan", "a/", "--keys-only");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.lines()).containsExactly("a/1", "a/2");
    assertThat(r.err().lines().toList()).containsExactly("error: timeout: no definitive answer within 2 s");
  }

  @Test
  void aShellScansToo() {
    FakeCluster fake = scanCluster();
    Run r = shell(fake, "scan a/ --keys-only --limit 3\nscan nothing\nget a\n", "shell");
    assertThat(r.code()).isZero();
    assertThat(r.lines()).containsExactly("a/1", "a/2", "a/3", "(no keys)", "(nil)");
    Run json = shell(scanCluster(), "scan a/ --limit 9\n", "--json", "shell");
    assertThat(json.lines()).hasSize(3).allSatisfy(l -> assertThat(l).startsWith("{\"ok\":true,\"entries\":["));
    assertThat(KvClient.shellLine("scan a/ --limit 0", new Output(false), ClientSession.chosenByCluster(), fake))
        .isEqualTo("error: usage: scan: --limit must be from 1 to 10000; it is 0");
  }
}
