package raftkv.kv;

import raftkv.api.Op;

/**
 * What a COMMAND log entry holds: a client's write, tagged with its session identity and with the
 * leader's clock when the entry was appended. Sessions expire by that logged time, so every replica
 * expires them identically.
 */
public record KvCommand(String clientId, long seq, long timestampMillis, Op op) {}
