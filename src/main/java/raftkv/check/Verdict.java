package raftkv.check;

/** What a linearizability check concluded. */
public enum Verdict {
  LINEARIZABLE,
  NOT_LINEARIZABLE,
  /** The search ran out of its budget (time or states) before deciding. */
  UNDECIDED;

  /** "yes", "no" or "undecided". */
  public String word() {
    switch (this) {
      case LINEARIZABLE:
        return "yes";
      case NOT_LINEARIZABLE:
        return "no";
      default:
        return "undecided";
    }
  }
}
