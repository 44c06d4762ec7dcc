package raftkv.check;

/**
 * The verdict on one key's operations.
 *
 * @param ops the key's operations the search considered (FAIL ones and UNKNOWN reads left out)
 * @param states the configurations the search explored
 */
public record KeyResult(String key, Verdict verdict, int ops, long states) {}
