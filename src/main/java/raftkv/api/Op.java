package raftkv.api;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** A write to the key-value map. Reads are not ops: they never enter the log. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Op.Put.class, name = "put"),
  @JsonSubTypes.Type(value = Op.Delete.class, name = "delete"),
  @JsonSubTypes.Type(value = Op.Cas.class, name = "cas"),
  @JsonSubTypes.Type(value = Op.Incr.class, name = "incr")
})
public sealed interface Op {

  String key();

  record Put(String key, String value) implements Op {}

  record Delete(String key) implements Op {}

  /** Sets {@code value} if the key holds {@code expected}; {@code expected == null} means absent. */
  record Cas(String key, String expected, String value) implements Op {}

  /** Adds {@code delta} to a decimal integer value; an absent key counts as 0. */
  record Incr(String key, long delta) implements Op {}
}
