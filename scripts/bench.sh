#!/usr/bin/env bash
# bench.sh: benchmarks raftkv on a fresh 3-node cluster of its own and appends the figures to
# BENCHMARKS.md, under a heading with the date, commit and machine.
#
#   scripts/bench.sh            # failover (10 kills), latency, throughput, CLI start; appends
#   scripts/bench.sh --etcd     # also the etcd baseline in the same sitting, and ratios ours/etcd
#   scripts/bench.sh --quick    # a short smoke run (2 kills, 200 writes); prints, appends nothing
#
# Options: --etcd, --quick, --base-port N (nodes on N+1..N+3, default 9400, clear of a cluster on
# 9001-9003), -- ARGS... (passed on to raftkv.bench.Benchmark, e.g. -- --kills 20).
# The benchmark's scratch directory is run/bench/ (wiped at each run; logs, data, results).
# Exit status: non-zero only if the benchmark itself fails; a missed target is reported, not fatal.
#
# Environment: RAFTKV_ETCD_BASELINE  the etcd baseline (default: ../shared/etcd-baseline from the
#                                    repository root); ETCD_BASE is passed on to it
#              RAFTKV_MVN_ARGS       extra Maven arguments for the build, e.g. "-o"
#              RAFTKV_JAVA_OPTS      extra JVM flags for the nodes (as scripts/kvstore)
#              JAVA_HOME             the JDK to run (default: java on the PATH)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

quick=0
etcd=0
base_port=9400
bench_args=()
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --etcd) etcd=1 ;;
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
[[ "$base_port" =~ ^[0-9]+$ ]] || raftkv_die "--base-port must be a number"

step() {
  echo "bench.sh: $*" >&2
}

out_dir="$RAFTKV_ROOT/run/bench"
report="$out_dir/report.md"
results="$out_dir/results.txt"

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
  for f in "$out_dir"/pids/*.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$out_dir/data/node-"; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

args=(--dir "$out_dir" --base-port "$base_port" --cli "$RAFTKV_ROOT/scripts/kv_client"
  --out "$report" --results "$results")
if ((quick)); then
  args+=(--kills 2 --writes 200 --throughput-ops 2000 --warmup-ops 5000 --cli-runs 3)
fi
args+=("${bench_args[@]}")

step "running the benchmark: 3 nodes on 127.0.0.1:$((base_port + 1))-$((base_port + 3)), scratch directory run/bench/"
# The load generator's JVM, sized like the etcd baseline's.
"$RAFTKV_JAVA" -XX:+UseParallelGC -Xms256m -Xmx1g -cp "$jar" raftkv.bench.Benchmark "${args[@]}" \
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
    step "running the etcd baseline: $baseline/run.sh bench failover (about 10 minutes; output in run/bench/etcd-run.log)"
    if ETCD_BASE="$etcd_base" "$baseline/run.sh" bench failover >"$out_dir/etcd-run.log" 2>&1; then
      step "etcd baseline done"
    else
      step "the etcd baseline failed (see run/bench/etcd-run.log); comparing what it produced"
    fi
    # run.sh stops its cluster when it ends; if it failed half-way, stop the members it started.
    ETCD_BASE="$etcd_base" "$baseline/cluster.sh" stop >/dev/null 2>&1 || true
    if [[ -d "$etcd_base/results" ]]; then
      comparison="$("$RAFTKV_JAVA" -cp "$jar" raftkv.bench.EtcdComparison --ours "$results" \
        --etcd "$etcd_base/results" --not-before "$since_ms")" \
        || raftkv_die "comparing with the etcd results failed"
    else
      comparison="etcd baseline: no results (see run/bench/etcd-run.log)."
    fi
  fi
fi

commit="$(git -C "$RAFTKV_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
# BENCHMARKS.md itself is left out: appending to it must not make the next run "dirty".
if [[ -n "$(git -C "$RAFTKV_ROOT" status --porcelain -- . ':!BENCHMARKS.md' 2>/dev/null)" ]]; then
  commit+="+dirty"
fi
cpu="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
java_version="$("$RAFTKV_JAVA" -version 2>&1 | head -1 | sed -E 's/.*version "([^"]+)".*/\1/')"

section="$(
  echo "## $started_utc, commit $commit"
  echo
  echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, Java $java_version, load average at start $load_at_start."
  echo
  cat "$report"
  if [[ -n "$comparison" ]]; then
    echo
    echo "$comparison"
  fi
)"

if ((quick)); then
  step "quick run: not appended to BENCHMARKS.md"
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
