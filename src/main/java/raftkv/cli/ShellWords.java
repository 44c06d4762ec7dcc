package raftkv.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one shell line into words, as a POSIX shell would for the simple cases: whitespace
 * separates words, {@code '...'} is literal, {@code "..."} allows {@code \"} and {@code \\}, and a
 * backslash outside quotes escapes the next character. So {@code put k "hello world"} stores a value
 * with a space, and {@code put k ''} an empty one.
 */
final class ShellWords {
  private ShellWords() {}

  /**
   * The words of {@code line}.
   *
   * @throws IllegalArgumentException with a one-line reason when a quote is not closed
   */
  static List<String> split(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        i++;
      } else if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated ' quote");
        }
        word.append(line, i + 1, end);
        inWord = true;
        i = end + 1;
      } else if (c == '"') {
        i++;
        boolean closed = false;
        while (i < n) {
          char d = line.charAt(i);
          if (d == '"') {
            closed = true;
            i++;
            break;
          }
          if (d == '\\' && i + 1 < n && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) {
            d = line.charAt(i + 1);
            i++;
          }
          word.append(d);
          i++;
        }
        if (!closed) {
          throw new IllegalArgumentException("unterminated \" quote");
        }
        inWord = true;
      } else if (c == '\\') {
        if (i + 1 == n) {
          throw new IllegalArgumentException("a backslash ends the line");
        }
        word.append(line.charAt(i + 1));
        inWord = true;
        i += 2;
      } else {
        word.append(c);
        inWord = true;
        i++;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
