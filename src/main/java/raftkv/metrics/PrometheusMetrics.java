package raftkv.metrics;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.ToLongFunction;
import raftkv.api.ClientProtocol.NodeStatus;
import raftkv.api.ClientProtocol.PeerStatus;

/**
 * A node's metrics in a Prometheus registry of its own, written in the Prometheus text format for
 * {@code GET /metrics}. Counters and latency histograms are fed by the node as it runs ({@link
 * NodeMetrics}); the node's state (role, term, indexes, follower progress) is read from its status
 * at each scrape ({@link #update}); JVM and RocksDB figures are read at each scrape too.
 *
 * <p>Thread-safe: the node reports from its thread, scrapes come from the HTTP server's.
 */
public final class PrometheusMetrics implements NodeMetrics {

  /** The node's roles, as {@link NodeStatus#role()} names them. */
  static final List<String> ROLES = List.of("follower", "pre-candidate", "candidate", "leader");

  /** Log and read latencies: 50 µs (a cached write) to 2.5 s (an election's worth). */
  private static final double[] LATENCY_BUCKETS = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    2.5
  };

  /** RocksDB properties exported, as metric name suffix and property. */
  private static final List<String[]> ROCKSDB = List.of(
      new String[] {"sst_files_bytes", "rocksdb.total-sst-files-size", "Size of all SST files."},
      new String[] {"live_data_bytes", "rocksdb.estimate-live-data-size", "Estimated live data."},
      new String[] {"memtable_bytes", "rocksdb.cur-size-all-mem-tables", "Size of the memtables."},
      new String[] {"estimated_keys", "rocksdb.estimate-num-keys", "Estimated keys (log entries and metadata)."});

  private final PrometheusRegistry registry = new PrometheusRegistry();

  private final Counter electionTimeouts = counter("raftkv_election_timeouts_total",
      "Election timer firings: each starts a pre-vote (or, with pre-vote off, an election).");
  private final Counter electionsStarted = counter("raftkv_elections_started_total",
      "Elections this node started (it raised its term and asked for votes).");
  private final Counter electionsWon = counter("raftkv_elections_won_total",
      "Elections this node won.");
  private final Counter leaderChanges = counter("raftkv_leader_changes_total",
      "Times the leader this node knows of changed to another known leader.");
  private final Counter committed = counter("raftkv_proposals_committed_total",
      "Entries committed while this node led (its no-ops and registrations included).");
  private final Counter failed = Counter.builder()
      .name("raftkv_proposals_failed_total")
      .help("Proposals that failed: not_leader (refused, nothing stored) or leadership_lost (stored, outcome unknown).")
      .labelNames("reason")
      .register(registry);
  private final Histogram append = Histogram.builder()
      .name("raftkv_log_append_seconds")
      .help("Time to write entries to the log; synced=true includes the fsync (a follower's writes).")
      .labelNames("synced")
      .classicOnly()
      .classicUpperBounds(LATENCY_BUCKETS)
      .register(registry);
  private final Histogram sync = histogram("raftkv_log_sync_seconds",
      "Time of a leader's log sync after it sent the entries (§10.2.1).");
  private final Histogram readIndex = histogram("raftkv_read_index_seconds",
      "Time from a linearizable read's arrival to its read index being confirmed.");

  private final DistributionDataPoint appendSynced = append.labelValues("true");
  private final DistributionDataPoint appendUnsynced = append.labelValues("false");
  private final io.prometheus.metrics.core.datapoints.CounterDataPoint refused =
      failed.labelValues("not_leader");
  private final io.prometheus.metrics.core.datapoints.CounterDataPoint lost =
      failed.labelValues("leadership_lost");

  private final Gauge role = gauge("raftkv_role", "1 for this node's current role.", "role");
  private final Gauge term = gauge("raftkv_term", "The current term.");
  private final Gauge leaderId = gauge("raftkv_leader_id", "The id of the leader this node knows of; 0 for none.");
  private final Gauge commitIndex = gauge("raftkv_commit_index", "The highest log index known committed.");
  private final Gauge appliedIndex = gauge("raftkv_applied_index", "The highest log index applied to the state machine.");
  private final Gauge lastLogIndex = gauge("raftkv_last_log_index", "The index of the last entry in the log.");
  private final Gauge matchLag = gauge("raftkv_follower_match_lag",
      "Leader only: entries a follower's log is behind the leader's last index.", "peer");
  private final Gauge lastAck = gauge("raftkv_follower_last_ack_seconds",
      "Leader only: seconds since a follower last answered.", "peer");
  private final Gauge statusAge = gauge("raftkv_status_ok",
      "1 if the node answered its status for this scrape; 0 if not (the node figures are stale).");

  private final Counter httpRequests = Counter.builder()
      .name("raftkv_http_requests_total")
      .help("HTTP API requests answered, by method and status code.")
      .labelNames("method", "code")
      .register(registry);

  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  /** A registry with the node's metrics and the JVM's. */
  public PrometheusMetrics() {
    JvmMetrics.builder().register(registry);
  }

  /** Adds RocksDB gauges read from {@code property} (a RocksDB property name; -1: unknown). */
  public PrometheusMetrics withRocksDb(ToLongFunction<String> property) {
    for (String[] p : ROCKSDB) {
      GaugeWithCallback.builder()
          .name("raftkv_rocksdb_" + p[0])
          .help(p[2] + " (" + p[1] + ")")
          .callback(
              cb -> {
                long v = property.applyAsLong(p[1]);
                if (v >= 0) {
                  cb.call(v);
                }
              })
          .register(registry);
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // Reported by the node

  @Override
  public void electionTimeout() {
    electionTimeouts.inc();
  }

  @Override
  public void electionStarted() {
    electionsStarted.inc();
  }

  @Override
  public void electionWon() {
    electionsWon.inc();
  }

  @Override
  public void leaderChanged() {
    leaderChanges.inc();
  }

  @Override
  public void appended(boolean synced, long nanos) {
    (synced ? appendSynced : appendUnsynced).observe(nanos / 1e9);
  }

  @Override
  public void synced(long nanos) {
    sync.observe(nanos / 1e9);
  }

  @Override
  public void readIndexConfirmed(long nanos) {
    readIndex.observe(nanos / 1e9);
  }

  @Override
  public void committedAsLeader(long entries) {
    committed.inc(entries);
  }

  @Override
  public void proposalRefused() {
    refused.inc();
  }

  @Override
  public void proposalsLost(long count) {
    lost.inc(count);
  }

  // ---------------------------------------------------------------------------------------------
  // Read at scrape time

  /** The node's state as its status shows it; {@code null}: the node did not answer in time. */
  public synchronized void update(NodeStatus s) {
    if (s == null) {
      statusAge.set(0);
      return;
    }
    statusAge.set(1);
    for (String r : ROLES) {
      role.labelValues(r).set(r.equals(s.role()) ? 1 : 0);
    }
    term.set(s.term());
    leaderId.set(s.leaderId() == null ? 0 : s.leaderId());
    commitIndex.set(s.commitIndex());
    appliedIndex.set(s.lastApplied());
    lastLogIndex.set(s.lastLogIndex());
    matchLag.clear();
    lastAck.clear();
    for (PeerStatus p : s.peers()) {
      String peer = p.id() == null ? p.endpoint().toString() : "n" + p.id();
      matchLag.labelValues(peer).set(Math.max(0, s.lastLogIndex() - p.matchIndex()));
      if (p.lastAckMillis() != null) {
        lastAck.labelValues(peer).set(p.lastAckMillis() / 1000.0);
      }
    }
  }

  /** One HTTP request answered. */
  public void httpRequest(String method, int code) {
    httpRequests.labelValues(method, Integer.toString(code)).inc();
  }

  /** Everything, in the Prometheus text format (version 0.0.4). */
  public synchronized byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  private Counter counter(String name, String help) {
    return Counter.builder().name(name).help(help).register(registry);
  }

  private Histogram histogram(String name, String help) {
    return Histogram.builder()
        .name(name)
        .help(help)
        .classicOnly()
        .classicUpperBounds(LATENCY_BUCKETS)
        .register(registry);
  }

  private Gauge gauge(String name, String help, String... labels) {
    Gauge.Builder b = Gauge.builder().name(name).help(help);
    return (labels.length == 0 ? b : b.labelNames(labels)).register(registry);
  }
}
