package raftkv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.api.Limits;
import raftkv.api.Op;

class CommandCodecTest {

  private static final List<Op> EVERY_OP =
      List.of(
          new Op.Put("k", "v"),
          new Op.Put("k", ""),
          new Op.Delete("k"),
          new Op.Cas("k", "old", "new"),
          new Op.Cas("k", null, "new"),
          new Op.Cas("k", "", "new"),
          new Op.Incr("k", 5),
          new Op.Incr("k", -7),
          new Op.Incr("k", Long.MIN_VALUE));

  private static KvCommand command(Op op) {
    return new KvCommand("client-1", 42, 1_700_000_000_123L, op);
  }

  private static KvCommand roundTrip(KvCommand c) {
    return CommandCodec.decode(CommandCodec.encode(c));
  }

  @Test
  void roundTripsEveryOp() {
    for (Op op : EVERY_OP) {
      assertThat(roundTrip(command(op))).isEqualTo(command(op));
    }
  }

  @Test
  void casExpectedNullAndEmptyStayDistinct() {
    KvCommand absent = command(new Op.Cas("k", null, "v"));
    KvCommand empty = command(new Op.Cas("k", "", "v"));

    assertThat(((Op.Cas) roundTrip(absent).op()).expected()).isNull();
    assertThat(((Op.Cas) roundTrip(empty).op()).expected()).isEmpty();
    assertThat(CommandCodec.encode(absent)).isNotEqualTo(CommandCodec.encode(empty));
  }

  @Test
  void roundTripsUnicode() {
    KvCommand c =
        new KvCommand(
            "клиент-😀", 1, 0, new Op.Cas("ключ🔑", "日本語", "é\u0000\n😀 mixed"));
    assertThat(roundTrip(c)).isEqualTo(c);
  }

  @Test
  void roundTripsOneMebibyteValue() {
    String value = "x".repeat(Limits.MAX_VALUE_BYTES - 4) + "😀";
    KvCommand c = command(new Op.Put("big", value));

    byte[] bytes = CommandCodec.encode(c);

    assertThat(roundTrip(c)).isEqualTo(c);
    assertThat(bytes.length).isLessThan(Limits.MAX_VALUE_BYTES + 64);
  }

  private static KvCommand v1(String clientId, long seq, long ts, Op op) {
    return new KvCommand(KvCommand.Kind.V1_WRITE, clientId, seq, ts, op);
  }

  @Test
  void formatVersion1IsPinned() {
    // This layout is on disk in the Raft logs of older builds: it must never change, and it still
    // decodes, as a V1_WRITE.
    byte[] bytes = CommandCodec.encode(v1("c", 1, 2, new Op.Put("k", "v")));
    String hex =
        "01" + "0000000163" + "0000000000000001" + "0000000000000002" + "01" + "000000016b"
            + "0000000176";
    assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(hex);
    assertThat(CommandCodec.decode(HexFormat.of().parseHex(hex)))
        .isEqualTo(v1("c", 1, 2, new Op.Put("k", "v")));

    byte[] cas = CommandCodec.encode(v1("c", 1, 2, new Op.Cas("k", null, "")));
    assertThat(HexFormat.of().formatHex(cas))
        .endsWith("03" + "000000016b" + "ffffffff" + "00000000");
  }

  @Test
  void formatVersion2IsPinned() {
    // Written since registrations exist: a kind byte after the version.
    byte[] write = CommandCodec.encode(new KvCommand("c", 1, 2, new Op.Put("k", "v")));
    assertThat(HexFormat.of().formatHex(write))
        .isEqualTo(
            "02" + "01" + "0000000163" + "0000000000000001" + "0000000000000002" + "01"
                + "000000016b" + "0000000176");

    byte[] register = CommandCodec.encode(KvCommand.register("c", 2));
    assertThat(HexFormat.of().formatHex(register))
        .isEqualTo("02" + "02" + "0000000163" + "0000000000000002");
    byte[] chosen = CommandCodec.encode(KvCommand.register(null, 2));
    assertThat(HexFormat.of().formatHex(chosen))
        .isEqualTo("02" + "02" + "ffffffff" + "0000000000000002");
  }

  @Test
  void roundTripsRegistrationsAndV1Writes() {
    for (KvCommand c :
        List.of(
            KvCommand.register("client-1", 7),
            KvCommand.register(null, 7),
            v1("client-1", 3, 7, new Op.Incr("k", 1)))) {
      assertThat(roundTrip(c)).isEqualTo(c);
    }
    byte[] register = CommandCodec.encode(KvCommand.register("c", 2));
    for (int length = 0; length < register.length; length++) {
      byte[] prefix = Arrays.copyOf(register, length);
      assertThatThrownBy(() -> CommandCodec.decode(prefix))
          .hasMessageStartingWith("corrupt command: ");
    }
    byte[] longer = Arrays.copyOf(register, register.length + 1);
    assertThatThrownBy(() -> CommandCodec.decode(longer))
        .hasMessage("corrupt command: 1 trailing bytes after the registration");
  }

  @Test
  void decodeRejectsUnknownKind() {
    byte[] bytes = CommandCodec.encode(command(new Op.Delete("k")));
    bytes[1] = 7;

    assertThatThrownBy(() -> CommandCodec.decode(bytes))
        .hasMessage("corrupt command: unknown command kind 7");
  }

  @Test
  void decodeRejectsTruncatedInput() {
    for (Op op : EVERY_OP) {
      byte[] bytes = CommandCodec.encode(command(op));
      for (int length = 0; length < bytes.length; length++) {
        byte[] prefix = Arrays.copyOf(bytes, length);
        assertThatThrownBy(() -> CommandCodec.decode(prefix))
            .as("%s cut to %d bytes", op, length)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("corrupt command: ");
      }
    }
  }

  @Test
  void decodeRejectsTrailingBytes() {
    byte[] bytes = CommandCodec.encode(command(new Op.Delete("k")));
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);

    assertThatThrownBy(() -> CommandCodec.decode(longer))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("corrupt command: 1 trailing bytes after the op");
  }

  @Test
  void decodeRejectsUnknownVersion() {
    byte[] bytes = CommandCodec.encode(command(new Op.Delete("k")));
    bytes[0] = 3;

    assertThatThrownBy(() -> CommandCodec.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("corrupt command: unknown format version 3");
  }

  @Test
  void decodeRejectsUnknownOpTag() {
    byte[] bytes = CommandCodec.encode(new KvCommand("c", 1, 2, new Op.Delete("k")));
    int tagAt = 2 + 4 + 1 + 16;
    bytes[tagAt] = 9;

    assertThatThrownBy(() -> CommandCodec.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("corrupt command: unknown op tag 9");
  }

  @Test
  void decodeRejectsBadStringLengthAndInvalidUtf8() {
    byte[] bytes = CommandCodec.encode(new KvCommand("c", 1, 2, new Op.Delete("k")));
    byte[] negative = bytes.clone();
    negative[2] = (byte) 0xff;
    negative[3] = (byte) 0xff;
    negative[4] = (byte) 0xff;
    negative[5] = (byte) 0xfe;
    byte[] huge = bytes.clone();
    huge[2] = 0x7f;
    byte[] badUtf8 = bytes.clone();
    badUtf8[6] = (byte) 0xc3; // a lead byte with no continuation

    assertThatThrownBy(() -> CommandCodec.decode(negative))
        .hasMessage("corrupt command: string length -2 at byte 2");
    assertThatThrownBy(() -> CommandCodec.decode(huge))
        .hasMessageStartingWith("corrupt command: truncated: a string of");
    assertThatThrownBy(() -> CommandCodec.decode(badUtf8))
        .hasMessage("corrupt command: invalid UTF-8 in the string at byte 2");
    assertThatThrownBy(() -> CommandCodec.decode(null)).hasMessage("corrupt command: no bytes");
  }

  @Test
  void encodeRefusesAnUnpairedSurrogate() {
    KvCommand c = command(new Op.Put("k", "a\ud800b"));
    assertThatThrownBy(() -> CommandCodec.encode(c))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
  }

  @Test
  void fingerprintIsStableForTheSameOp() {
    assertThat(CommandCodec.fingerprint(new Op.Incr("k", 1)))
        .isEqualTo(CommandCodec.fingerprint(new Op.Incr("k", 1)));
  }

  @Test
  void fingerprintTellsOpsApart() {
    List<Op> ops =
        List.of(
            new Op.Put("k", "v"),
            new Op.Put("k", "w"),
            new Op.Put("j", "v"),
            new Op.Delete("k"),
            new Op.Cas("k", null, "v"),
            new Op.Cas("k", "", "v"),
            new Op.Incr("k", 1),
            new Op.Incr("k", 2));
    assertThat(ops.stream().map(CommandCodec::fingerprint).distinct()).hasSize(ops.size());
  }
}
