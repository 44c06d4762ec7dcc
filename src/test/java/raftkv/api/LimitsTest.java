package raftkv.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class LimitsTest {

  private static Optional<Result> put(String key, String value) {
    return Limits.check("c", 1, new Op.Put(key, value));
  }

  private static void assertRefused(Optional<Result> r, ErrorCode code, String message) {
    assertThat(r).isPresent();
    assertThat(r.get().ok()).isFalse();
    assertThat(r.get().error()).isEqualTo(code);
    assertThat(r.get().message()).isEqualTo(message);
  }

  @Test
  void keyOf1024BytesIsAcceptedAnd1025Refused() {
    assertThat(put("k".repeat(1024), "v")).isEmpty();
    assertRefused(
        put("k".repeat(1025), "v"),
        ErrorCode.TOO_LARGE,
        "key is 1025 bytes; the limit is 1024 (1 KiB)");
  }

  @Test
  void valueOf1MiBIsAcceptedAndOneMoreByteRefused() {
    assertThat(put("k", "v".repeat(1 << 20))).isEmpty();
    assertRefused(
        put("k", "v".repeat((1 << 20) + 1)),
        ErrorCode.TOO_LARGE,
        "value is 1048577 bytes; the limit is 1048576 (1 MiB)");
  }

  @Test
  void multiByteUtf8IsCountedInBytes() {
    assertThat(put("é".repeat(512), "v")).isEmpty(); // 2 bytes each: 1024
    assertRefused(
        put("€".repeat(342), "v"), // 3 bytes each: 1026
        ErrorCode.TOO_LARGE,
        "key is 1026 bytes; the limit is 1024 (1 KiB)");
    assertThat(put("😀".repeat(256), "v")).isEmpty(); // 4 bytes each (2 chars): 1024
    assertThat(Limits.checkKey("😀".repeat(256) + "x")).get().extracting(Result::error)
        .isEqualTo(ErrorCode.TOO_LARGE);
    assertThat(put("k", "€".repeat(349_525) + "x")).isEmpty(); // 1048576
    assertRefused(
        put("k", "€".repeat(349_526)),
        ErrorCode.TOO_LARGE,
        "value is 1048578 bytes; the limit is 1048576 (1 MiB)");
  }

  @Test
  void clientIdOf128BytesIsAcceptedAnd129Refused() {
    assertThat(Limits.check("c".repeat(128), 1, new Op.Delete("k"))).isEmpty();
    assertRefused(
        Limits.check("é".repeat(64) + "c", 1, new Op.Delete("k")),
        ErrorCode.TOO_LARGE,
        "client id is 129 bytes; the limit is 128");
  }

  @Test
  void missingClientIdIsInvalid() {
    assertRefused(
        Limits.check(null, 1, new Op.Delete("k")),
        ErrorCode.INVALID_REQUEST,
        "client id is missing");
    assertRefused(
        Limits.check("", 1, new Op.Delete("k")),
        ErrorCode.INVALID_REQUEST,
        "client id is missing");
  }

  @Test
  void seqBelowOneIsInvalid() {
    assertThat(Limits.check("c", 1, new Op.Delete("k"))).isEmpty();
    assertRefused(
        Limits.check("c", 0, new Op.Delete("k")),
        ErrorCode.INVALID_REQUEST,
        "seq is 0; a seq starts at 1");
    assertThat(Limits.check("c", -5, new Op.Delete("k"))).get().extracting(Result::error)
        .isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  void nullOrEmptyKeyIsInvalid() {
    assertRefused(put("", "v"), ErrorCode.INVALID_REQUEST, "key is empty");
    assertRefused(put(null, "v"), ErrorCode.INVALID_REQUEST, "key is empty");
    assertRefused(Limits.checkKey(""), ErrorCode.INVALID_REQUEST, "key is empty");
    assertThat(Limits.checkKey("k")).isEmpty();
    assertRefused(
        Limits.check("c", 1, null), ErrorCode.INVALID_REQUEST, "the request has no operation");
  }

  @Test
  void putAndCasNeedAValueButCasExpectedMayBeAbsent() {
    assertRefused(put("k", null), ErrorCode.INVALID_REQUEST, "put needs a value");
    assertThat(put("k", "")).isEmpty();
    assertRefused(
        Limits.check("c", 1, new Op.Cas("k", "old", null)),
        ErrorCode.INVALID_REQUEST,
        "cas needs a value");
    assertThat(Limits.check("c", 1, new Op.Cas("k", null, "new"))).isEmpty();
    assertThat(Limits.check("c", 1, new Op.Incr("k", 1))).isEmpty();
  }

  @Test
  void casValueAndExpectedAreBothLimited() {
    String over = "v".repeat((1 << 20) + 1);
    assertRefused(
        Limits.check("c", 1, new Op.Cas("k", "old", over)),
        ErrorCode.TOO_LARGE,
        "value is 1048577 bytes; the limit is 1048576 (1 MiB)");
    assertRefused(
        Limits.check("c", 1, new Op.Cas("k", over, "new")),
        ErrorCode.TOO_LARGE,
        "expected value is 1048577 bytes; the limit is 1048576 (1 MiB)");
  }

  @Test
  void unpairedSurrogateIsInvalid() {
    assertRefused(
        put("k\udc00", "v"),
        ErrorCode.INVALID_REQUEST,
        "key is not valid Unicode: it holds an unpaired surrogate");
    assertRefused(
        put("k", "v\ud800"),
        ErrorCode.INVALID_REQUEST,
        "value is not valid Unicode: it holds an unpaired surrogate");
  }

  @Test
  void quoteCutsAtTheLimitAndKeepsOneLine() {
    assertThat(Limits.quote("abc", 40)).isEqualTo("\"abc\"");
    assertThat(Limits.quote("x".repeat(41), 40)).isEqualTo("\"" + "x".repeat(40) + "\"...");
    assertThat(Limits.quote("a\nb\"c", 40)).isEqualTo("\"a\\u000ab\\\"c\"");
    // never splits a surrogate pair
    assertThat(Limits.quote("x".repeat(39) + "😀", 40))
        .isEqualTo("\"" + "x".repeat(39) + "\"...");
  }

  @Test
  void aScanTakesAnyPrefixUpToAKeysLengthAndALimitUpToTheMax() {
    assertThat(Limits.checkScan(null, null, 0)).isEmpty();
    assertThat(Limits.checkScan("", null, 1)).isEmpty();
    assertThat(Limits.checkScan("p".repeat(1024), null, Limits.MAX_SCAN_LIMIT)).isEmpty();
    assertRefused(
        Limits.checkScan("p".repeat(1025), null, 0),
        ErrorCode.TOO_LARGE,
        "prefix is 1025 bytes; the limit is 1024 (1 KiB)");
    assertThat(Limits.checkScan("\uD800", null, 0).get().error()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(Limits.checkScan("p", null, -1).get().error()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(Limits.checkScan("p", null, Limits.MAX_SCAN_LIMIT + 1).get().error())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  void aContinuationNamesTheKeyItWasMadeFromAndNothingElseReadsAsOne() {
    for (String key : new String[] {"k", "a/b c", "\u00fc\uD83D\uDE00", "\u0000", "k".repeat(1024)}) {
      String token = ClientProtocol.Continuation.after(key);
      assertThat(token).matches("[A-Za-z0-9_-]+");
      assertThat(ClientProtocol.Continuation.key(token)).contains(key);
      assertThat(Limits.checkScan("", token, 0)).isEmpty();
    }
    // Not base64url, empty, not UTF-8 (0xFF), longer than a key.
    for (String bad : new String[] {"***", "a+b/", "", "_w", ClientProtocol.Continuation.after("k".repeat(1025))}) {
      assertThat(ClientProtocol.Continuation.key(bad)).as(bad).isEmpty();
      assertThat(Limits.checkScan("", bad, 0).get().error()).as(bad).isEqualTo(ErrorCode.INVALID_REQUEST);
    }
  }
}
