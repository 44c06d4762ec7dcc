#!/usr/bin/env bash
# bench.sh: benchmarks raftkv on a fresh 3-node cluster of its own, in the etcd baseline's
# workloads, and appends the figures to BENCHMARKS.md under a heading with the date, commit, machine
# and JVM flags; every figure also goes to a JSON file, and the failover series to an SVG picture.
#
#   scripts/bench.sh                  # failover (30 kills), latency, throughput, the two curves,
#                                     # CLI start; appends (about 15 minutes)
#   scripts/bench.sh --compare etcd   # also the etcd baseline in the same sitting: one table with
#                                     # both and the ratio (about 10 minutes more)
#   scripts/bench.sh --large          # also a data set larger than the heap (2 GiB of 1 MiB values
#                                     # into nodes with a 256 MiB heap, one of them down during the
#                                     # load and timed as it catches up through a snapshot)
#   scripts/bench.sh --quick          # a one-minute smoke run; prints, appends nothing
#
# Options: --compare etcd (--etcd is the same), --large, --quick, --sections S (only these, of
# failover,latency,throughput,http,curves,cli,large; e.g. --sections http), --base-port N (nodes on
# N+1..N+3, the --large cluster on N+11..N+13; default 9400), -- ARGS... (passed on to
# raftkv.bench.Benchmark, e.g. -- --kills 10 --curve-seconds 5; see -- --help).
# The benchmark's scratch directory is run/bench/ (wiped at each run; logs, data, results,
# results.json, failover.svg). A run also keeps docs/bench/STAMP-COMMIT.json and
# STAMP-COMMIT-failover.svg; a run of every section copies them to docs/bench/latest.json and
# latest-failover.svg.
# Exit status: 0, or 1 if the benchmark itself fails (a missed target is reported, not fatal), 1
# with a one-line message for a bad option.
#
# Environment: RAFTKV_ETCD_BASELINE  the etcd baseline (default: ../shared/etcd-baseline from the
#                                    repository root); ETCD_BASE is passed on to it
#              RAFTKV_MVN_ARGS       extra Maven arguments for the build, e.g. "-o"
#              RAFTKV_JAVA_OPTS      extra JVM flags for the nodes (as scripts/kvstore)
#              JAVA_HOME             the JDK to run (default: java on the PATH)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
# Its clusters and clients run plain TCP: a RAFTKV_TLS_DIR exported for start-cluster.sh would turn
# TLS on in some of its processes (nodes, kv_client) and not in others.
unset RAFTKV_TLS_DIR

quick=0
etcd=0
large=0
only_sections=""
base_port=9400
bench_args=()
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --etcd) etcd=1 ;;
    --large) large=1 ;;
    --sections)
      [[ $# -ge 2 ]] || raftkv_die "--sections needs a value, e.g. failover,curves"
      [[ "$2" =~ ^(failover|latency|throughput|http|curves|cli|large)(,(failover|latency|throughput|http|curves|cli|large))*$ ]] \
        || raftkv_die "--sections: '$2' is not a comma-separated list of failover, latency, throughput, http, curves, cli, large"
      only_sections="$2"
      shift
      ;;
    --compare)
      [[ $# -ge 2 ]] || raftkv_die "--compare needs a value: etcd"
      [[ "$2" == etcd ]] || raftkv_die "--compare: unknown baseline '$2' (only etcd)"
      etcd=1
      shift
      ;;
    --compare=etcd) etcd=1 ;;
    --base-port)
      [[ $# -ge 2 ]] || raftkv_die "--base-port needs a value"
      base_port="$2"
      shift
      ;;
    --) shift; bench_args=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) raftkv_die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ "$base_port" =~ ^[0-9]+$ ]] && ((base_port >= 1 && base_port <= 65500)) \
  || raftkv_die "--base-port must be a number from 1 to 65500"

# The Benchmark's own options: its --help is printed as it is.
for a in "${bench_args[@]}"; do
  if [[ "$a" == --help || "$a" == -h ]]; then
    "$RAFTKV_JAVA" -cp "$(raftkv_jar)" raftkv.bench.Benchmark --help
    exit 0
  fi
done

step() {
  echo "bench.sh: $*" >&2
}

out_dir="$RAFTKV_ROOT/run/bench"
report="$out_dir/report.md"
results="$out_dir/results.txt"
json="$out_dir/results.json"
svg="$out_dir/failover.svg"

# Taken before anything runs: what the machine was doing when we started.
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_utc="$(date -u '+%Y-%m-%d %H:%M UTC')"

step "locating the jar (building it if it is missing or stale)"
jar="$(raftkv_jar)"
step "jar: $jar"

# If this script is killed while the benchmark JVM is down too, its nodes would outlive it: the
# benchmark records their PIDs, and this trap kills any that still run (checking each is one of
# ours by its command line: the data directory under run/bench).
cleanup() {
  local f pid
  for f in "$out_dir"/pids/*.pid "$out_dir"/large/pids/*.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$out_dir/.*data/node-"; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

commit="$(git -C "$RAFTKV_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
# BENCHMARKS.md and docs/bench/ are left out: what a run writes must not make the next one "dirty".
if [[ -n "$(git -C "$RAFTKV_ROOT" status --porcelain -- . ':!BENCHMARKS.md' ':!docs/bench' 2>/dev/null)" ]]; then
  commit+="+dirty"
fi

sections="failover,latency,throughput,http,curves,cli"
if ((quick)); then
  sections="failover,latency,throughput,http,curves"
fi
if ((large)); then
  sections+=",large"
fi
if [[ -n "$only_sections" ]]; then
  sections="$only_sections"
fi
args=(--dir "$out_dir" --base-port "$base_port" --cli "$RAFTKV_ROOT/scripts/kv_client"
  --out "$report" --results "$results" --json "$json" --svg "$svg" --commit "$commit"
  --sections "$sections")
if ((quick)); then
  args+=(--kills 2 --writes 200 --throughput-ops 2000 --warmup-ops 5000 --curve-seconds 0.5)
fi
args+=("${bench_args[@]}")

step "running the benchmark: 3 nodes on 127.0.0.1:$((base_port + 1))-$((base_port + 3)), scratch directory run/bench/"
# The load generator's JVM, sized like the etcd baseline's (1 MiB values need the room).
load_jvm=(-XX:+UseParallelGC -Xms256m -Xmx1g)
"$RAFTKV_JAVA" "${load_jvm[@]}" -cp "$jar" raftkv.bench.Benchmark "${args[@]}" \
  || raftkv_die "the benchmark failed (logs under run/bench/logs/)"
# The Benchmark wipes run/bench/ when it starts: from here on, files written there stay.
step "benchmark done; results in run/bench/results.txt"

comparison=""
if ((etcd)); then
  baseline="${RAFTKV_ETCD_BASELINE:-$RAFTKV_ROOT/../shared/etcd-baseline}"
  if [[ ! -x "$baseline/run.sh" ]]; then
    step "no etcd baseline at $baseline (set RAFTKV_ETCD_BASELINE): skipped"
    comparison="etcd baseline: skipped (not found at \`$baseline\`)."
  else
    baseline="$(cd "$baseline" && pwd)"
    etcd_base="${ETCD_BASE:-/tmp/etcd-base}"
    since_ms="$(raftkv_now_ms)"
    step "running the etcd baseline: $baseline/run.sh bench bench-leader failover (about 10 minutes; output in run/bench/etcd-run.log)"
    if ETCD_BASE="$etcd_base" "$baseline/run.sh" bench bench-leader failover >"$out_dir/etcd-run.log" 2>&1; then
      step "etcd baseline done"
    else
      step "the etcd baseline failed (see run/bench/etcd-run.log); comparing what it produced"
    fi
    # run.sh stops its cluster when it ends; if it failed half-way, stop the members it started.
    ETCD_BASE="$etcd_base" "$baseline/cluster.sh" stop >/dev/null 2>&1 || true
    if [[ -d "$etcd_base/results" ]]; then
      comparison="$("$RAFTKV_JAVA" -cp "$jar" raftkv.bench.EtcdComparison --ours "$results" \
        --etcd "$etcd_base/results" --not-before "$since_ms" \
        --ours-json "$json" --json-out "$json.with-etcd")" \
        || raftkv_die "comparing with the etcd results failed"
      mv -f "$json.with-etcd" "$json"
    else
      comparison="etcd baseline: no results (see run/bench/etcd-run.log)."
    fi
  fi
fi

cpu="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
java_version="$("$RAFTKV_JAVA" -version 2>&1 | head -1 | sed -E 's/.*version "([^"]+)".*/\1/')"

# A run keeps its JSON and picture under docs/bench/, named by time and commit; only a run of every
# section becomes latest.json (the document the README's tables and JsonTest read).
files_note="JSON: \`run/bench/results.json\`; failover picture: \`run/bench/failover.svg\`."
if ((!quick)); then
  stamp="$(date -u -d "${started_utc% UTC}" '+%Y%m%dT%H%MZ')-${commit}"
  mkdir -p "$RAFTKV_ROOT/docs/bench"
  cp "$json" "$RAFTKV_ROOT/docs/bench/$stamp.json"
  [[ -n "$only_sections" ]] || cp "$json" "$RAFTKV_ROOT/docs/bench/latest.json"
  files_note="JSON: [docs/bench/$stamp.json](docs/bench/$stamp.json)."
  if [[ -f "$svg" ]]; then
    cp "$svg" "$RAFTKV_ROOT/docs/bench/$stamp-failover.svg"
    [[ -n "$only_sections" ]] || cp "$svg" "$RAFTKV_ROOT/docs/bench/latest-failover.svg"
    files_note+=" Failover series: [docs/bench/$stamp-failover.svg](docs/bench/$stamp-failover.svg)."
  fi
fi

section="$(
  echo "## $started_utc, commit $commit"
  echo
  echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%d MiB", $2/1024}' /proc/meminfo) memory, Java $java_version, load average at start $load_at_start."
  echo "JVM flags: load generator \`${load_jvm[*]}\`; nodes as in the setup below (scripts/kvstore's)."
  echo
  cat "$report"
  if [[ -n "$comparison" ]]; then
    echo
    echo "$comparison"
  fi
  echo
  echo "$files_note"
)"

if ((quick)); then
  step "quick run: not appended to BENCHMARKS.md; JSON in run/bench/results.json, picture in run/bench/failover.svg"
  echo "$section"
  exit 0
fi

benchmarks="$RAFTKV_ROOT/BENCHMARKS.md"
if [[ ! -f "$benchmarks" ]]; then
  printf '# Benchmarks\n\nAppended by scripts/bench.sh, one section per run; compare runs of one sitting only.\n' >"$benchmarks"
fi
printf '\n%s\n' "$section" >>"$benchmarks"
step "appended to BENCHMARKS.md"
echo "$section"
