package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's side of a client shell: a shell that misses an answer is never asked again, since
 * its late answer would be taken for the next command's. The stand-in shells are {@code sh}
 * scripts; the one that answers late holds its answer until it reads the next command, so no
 * timing decides the outcome.
 */
class ShellClientTest {
  /** Answers each line at once. */
  static final String ECHO = "while read l; do echo \"re:$l\"; done";
  /** Answers its first line only once a second one came, then each at once. */
  static final String LATE = "read a; read b; echo \"late:$a\"; echo \"re:$b\"; " + ECHO;
  static final Duration MISS = Duration.ofMillis(200);
  static final Duration ANSWER = Duration.ofSeconds(20);

  @TempDir Path dir;
  private int started;

  private ShellClient shell(String script) {
    started++;
    return ShellClient.start(List.of("sh", "-c", script), dir.resolve("err.log"), dir.resolve("pid-" + started));
  }

  @Test
  void aShellThatMissedAnAnswerIsNotAskedAgain() {
    ShellClient late = shell(LATE);
    try {
      assertThat(late.call("first", MISS)).isEmpty();
      assertThat(late.ended()).isTrue();
      assertThat(late.call("second", ANSWER)).as("not the first command's late answer").isEmpty();
    } finally {
      late.kill();
    }
  }

  @Test
  void aShellThatAnswersInTimeKeepsAnsweringItsOwnCommands() {
    ShellClient echo = shell(ECHO);
    try {
      assertThat(echo.call("a", ANSWER)).contains("re:a");
      assertThat(echo.call("b", ANSWER)).contains("re:b");
      assertThat(echo.ended()).isFalse();
    } finally {
      echo.close();
    }
  }

  @Test
  void answeringReplacesAShellThatDidNotAnswerItsFirstCommand() {
    List<ShellClient> made = new ArrayList<>();
    List<String> scripts = new ArrayList<>(List.of(LATE, ECHO));
    ShellClient warm = ShellClient.answering(() -> {
      ShellClient s = shell(scripts.remove(0));
      made.add(s);
      return s;
    }, "get k0", MISS.multipliedBy(10), 3);
    try {
      assertThat(made).hasSize(2);
      assertThat(made.get(0).ended()).isTrue();
      assertThat(warm).isSameAs(made.get(1));
      assertThat(warm.call("put k1 v", ANSWER)).contains("re:put k1 v");
    } finally {
      warm.close();
    }
  }

  @Test
  void answeringGivesUpAfterItsAttempts() {
    assertThatThrownBy(() -> ShellClient.answering(() -> shell(LATE), "get k0", MISS, 2))
        .hasMessage("no client shell answered 'get k0' within 200 ms, 2 tries");
    assertThat(started).isEqualTo(2);
  }
}
