package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writesNestedObjectsInOrderAndNumberListsOnOneLine() {
    Json.Obj doc =
        Json.object()
            .with("b", 1)
            .with("a", Json.object().with("x", 2.5).with("list", List.of(1, 2.25, 3L)))
            .with("objects", List.of(Json.object().with("k", "v")))
            .with("empty", List.of())
            .with("bins", new long[] {0, 4, 7});
    assertThat(Json.write(doc))
        .isEqualTo(
            "{\n"
                + "  \"b\": 1,\n"
                + "  \"a\": {\n"
                + "    \"x\": 2.5,\n"
                + "    \"list\": [1, 2.25, 3]\n"
                + "  },\n"
                + "  \"objects\": [\n"
                + "    {\n"
                + "      \"k\": \"v\"\n"
                + "    }\n"
                + "  ],\n"
                + "  \"empty\": [],\n"
                + "  \"bins\": [0,4,7]\n"
                + "}\n");
  }

  @Test
  void anUnmeasuredFigureIsNull() {
    assertThat(Json.number(Double.NaN)).isEqualTo("null");
    assertThat(Json.number(Double.POSITIVE_INFINITY)).isEqualTo("null");
    assertThat(Json.number(12.0)).isEqualTo("12");
    assertThat(Json.number(0.12345)).isEqualTo("0.123");
    assertThat(Json.write(Json.object().with("a", null).with("b", true)))
        .isEqualTo("{\n  \"a\": null,\n  \"b\": true\n}\n");
  }

  @Test
  void escapesStrings() {
    assertThat(Json.write("a\"b\\c\nd\u0001"))
        .isEqualTo("\"a\\\"b\\\\c\\nd\\u0001\"\n");
  }

  @Test
  void embedsARawDocument() {
    assertThat(Json.write(Json.object().with("ours", new Json.Raw("{\"x\": 1}\n"))))
        .isEqualTo("{\n  \"ours\": {\"x\": 1}\n}\n");
  }

  @Test
  void refusesWhatHasNoJsonForm() {
    assertThatThrownBy(() -> Json.write(new Object()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
