#!/usr/bin/env bash
# bench-ab.sh: compares two commits on this machine, runs interleaved (A, B, B, A, ...), so that a
# change in the machine's load shifts both alike; prints each figure's median for A and B and the
# ratio B/A. One before/after pair of full runs is not enough on a 2-core machine: the same
# commit's 64-outstanding throughput varies by 15% from one run to the next.
#
#   scripts/bench-ab.sh defd4d8 HEAD                    # 5 pairs of the throughput section
#   scripts/bench-ab.sh --pairs 8 --sections throughput,latency A B
#   scripts/bench-ab.sh A B -- --throughput-ops 20000   # arguments for raftkv.bench.Benchmark
#
# Each commit is cloned from this repository into run/ab/src/COMMIT and built there (mvn package,
# with RAFTKV_MVN_ARGS); the runs' results are kept as run/ab/results/COMMIT-N.txt. Nothing is
# appended to BENCHMARKS.md: quote the table with the command that made it.
# Options: --pairs N (default 5), --sections S (default throughput; as bench.sh), --base-port N
# (default 9400). Exit status 0, or 1 with a one-line message.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

pairs=5
sections=throughput
base_port=9400
revs=()
bench_args=()
while (($#)); do
  case "$1" in
    --pairs)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]?$ ]] || raftkv_die "--pairs needs a number from 1 to 99"
      pairs="$2"
      shift
      ;;
    --sections)
      [[ $# -ge 2 && "$2" =~ ^(failover|latency|throughput|curves)(,(failover|latency|throughput|curves))*$ ]] \
        || raftkv_die "--sections needs a comma-separated list of failover, latency, throughput, curves"
      sections="$2"
      shift
      ;;
    --base-port)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] && (($2 >= 1 && $2 <= 65500)) \
        || raftkv_die "--base-port needs a number from 1 to 65500"
      base_port="$2"
      shift
      ;;
    --) shift; bench_args=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) raftkv_die "unknown option $1 (see --help)" ;;
    *) revs+=("$1") ;;
  esac
  shift
done
((${#revs[@]} == 2)) || raftkv_die "give two commits, A and B (see --help)"

ab_dir="$RAFTKV_ROOT/run/ab"
mkdir -p "$ab_dir/src" "$ab_dir/results"

# Resolves a commit, clones and builds it once; sets built_sha and built_jar.
build() {
  local sha short src jar mvn_args
  sha="$(git -C "$RAFTKV_ROOT" rev-parse --verify --quiet "$1^{commit}")" \
    || raftkv_die "$1 is not a commit of this repository"
  short="${sha:0:7}"
  src="$ab_dir/src/$short"
  if [[ ! -d "$src/.git" ]]; then
    rm -rf "$src"
    git clone -q --no-checkout "$RAFTKV_ROOT" "$src" >&2
    git -C "$src" checkout -q "$sha" >&2
  fi
  jar="$(ls "$src"/target/raftkv-*-all.jar 2>/dev/null | head -1 || true)"
  if [[ -z "$jar" ]]; then
    echo "bench-ab.sh: building $short" >&2
    read -r -a mvn_args <<< "${RAFTKV_MVN_ARGS:-}"
    (cd "$src" && mvn -B -q "${mvn_args[@]}" package -DskipTests 2>&1) \
      | sed -e 's/\x1b\[[0-9;]*m//g' >&2 || raftkv_die "the build of $short failed"
    jar="$(ls "$src"/target/raftkv-*-all.jar 2>/dev/null | head -1 || true)"
    [[ -n "$jar" ]] || raftkv_die "the build of $short made no target/raftkv-*-all.jar"
  fi
  built_sha="$short"
  built_jar="$jar"
}

build "${revs[0]}"; a_sha="$built_sha"; a_jar="$built_jar"
build "${revs[1]}"; b_sha="$built_sha"; b_jar="$built_jar"
[[ "$a_sha" != "$b_sha" ]] || raftkv_die "A and B are the same commit ($a_sha)"
rm -f "$ab_dir/results/$a_sha"-*.txt "$ab_dir/results/$b_sha"-*.txt

run() { # SHA JAR N
  local out="$ab_dir/results/$1-$3.txt" scratch="$ab_dir/bench-$1"
  echo "bench-ab.sh: $1 run $3 of $pairs (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  "$RAFTKV_JAVA" -XX:+UseParallelGC -Xms256m -Xmx1g -cp "$2" raftkv.bench.Benchmark \
    --dir "$scratch" --base-port "$base_port" --cli "$ab_dir/src/$1/scripts/kv_client" \
    --out "$scratch.report.md" --results "$out" --json "$scratch.json" --svg "$scratch.svg" \
    --commit "$1" --sections "$sections" "${bench_args[@]}" >"$scratch.log" 2>&1 \
    || raftkv_die "the benchmark of $1 failed (see $scratch.log)"
}

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= pairs; i++)); do
  # The order alternates too: A first in odd pairs, B first in even ones.
  if ((i % 2)); then
    run "$a_sha" "$a_jar" "$i"; run "$b_sha" "$b_jar" "$i"
  else
    run "$b_sha" "$b_jar" "$i"; run "$a_sha" "$a_jar" "$i"
  fi
done

# RESULT name=N ... key=value ...: the median of every numeric field, per name and commit.
echo "A = $a_sha, B = $b_sha; $pairs pairs, interleaved; sections $sections; load at start $load_at_start"
awk -v a="$a_sha" -v b="$b_sha" '
  function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  FNR == 1 { rev = FILENAME; sub(/.*\//, "", rev); sub(/-[0-9]+\.txt$/, "", rev) }
  /^RESULT / {
    name = ""
    for (f = 2; f <= NF; f++) { split($f, kv, "="); if (kv[1] == "name") name = kv[2] }
    for (f = 2; f <= NF; f++) {
      split($f, kv, "=")
      if (kv[1] ~ /^(ops_s|p50_ms|p99_ms|node_cpu_us_per_op|median_ms|max_ms)$/ && kv[2] ~ /^[0-9.]+$/) {
        key = name SUBSEP kv[1]
        if (!(key in seen)) { seen[key] = 1; order[++count] = key }
        values[key, rev] = values[key, rev] " " kv[2]
      }
    }
  }
  END {
    printf "%-18s %-20s %12s %12s %8s\n", "workload", "figure", "A median", "B median", "B/A"
    for (k = 1; k <= count; k++) {
      split(order[k], nk, SUBSEP)
      ma = median(values[order[k], a]); mb = median(values[order[k], b])
      printf "%-18s %-20s %12.1f %12.1f %8.3f\n", nk[1], nk[2], ma, mb, (ma > 0 ? mb / ma : 0)
    }
  }' "$ab_dir"/results/"$a_sha"-*.txt "$ab_dir"/results/"$b_sha"-*.txt
