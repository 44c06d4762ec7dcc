#!/usr/bin/env bash
# A chaos run against real processes:
#
#   scripts/chaos.sh [--seconds 60] [--clients 5] [--http-clients N]
#                    [--nemesis kill|pause|partition|mixed] [--seed N]
#
# Makes a network of its own (network namespaces: one per node, one for the clients, one holding
# the bridge that joins them), starts 3 nodes with scripts/kvstore, one per namespace, each at its
# own 10.211.0.N address, and runs concurrent clients from the client namespace while a nemesis
# kills (kill -9) and restarts nodes, pauses and resumes them (SIGSTOP/SIGCONT), or cuts, thins and
# slows the links between them. --http-clients of the clients (default: half of --clients, rounded
# down; 0: none) use the nodes' HTTP API (raftkv.chaos.HttpShell: java.net.http, one node at a
# time, exactly-once session headers); the rest are `kv_client --json shell`. Then it heals
# everything, waits for the cluster to settle, reads every key, checks the whole history for
# linearizability and prints a summary, with the operations over HTTP and over the shell counted
# apart. The driver is raftkv.chaos.ChaosRun in the jar.
#
# Needs root (network namespaces) and iproute2. The partition and mixed nemeses drop packets with
# nftables: when `nft` is missing, the script installs Debian's nftables package.
#
# Everything goes to a run directory, $RAFTKV_STATE/chaos/run-DATE-PID (node logs in logs/, the
# history in history.jsonl); it is printed first. Namespaces are named raftkv-chaos-PID-*, so two
# runs never collide, and are removed at the end, on error and on Ctrl-C; every process the run
# started is stopped by its PID. The root namespace's addresses and routes are never touched.
#
# Exit status: 0 the run passed; 1 it found something wrong (or could not run); 2 a usage error.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
# Its clusters and clients run plain TCP: a RAFTKV_TLS_DIR exported for start-cluster.sh would turn
# TLS on in some of its processes (nodes, kv_client) and not in others.
unset RAFTKV_TLS_DIR

usage() {
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
}

usage_error() {
  echo "chaos.sh: $*" >&2
  usage
  exit 2
}

seconds=60
clients=5
http_clients=""
nemesis=mixed
seed=""
while (($# > 0)); do
  case "$1" in
    --seconds | --clients | --http-clients | --nemesis | --seed)
      (($# >= 2)) || usage_error "$1 needs a value"
      case "$1" in
        --seconds) seconds="$2" ;;
        --clients) clients="$2" ;;
        --http-clients) http_clients="$2" ;;
        --nemesis) nemesis="$2" ;;
        --seed) seed="$2" ;;
      esac
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] && ((seconds >= 10 && seconds <= 86400)) \
  || usage_error "--seconds must be a whole number from 10 to 86400, not '$seconds'"
[[ "$clients" =~ ^[0-9]+$ ]] && ((clients >= 1 && clients <= 50)) \
  || usage_error "--clients must be a whole number from 1 to 50, not '$clients'"
[[ -z "$http_clients" ]] \
  || { [[ "$http_clients" =~ ^[0-9]{1,2}$ ]] && ((10#$http_clients <= clients)); } \
  || usage_error "--http-clients must be a whole number from 0 to --clients, not '$http_clients'"
[[ "$nemesis" =~ ^(kill|pause|partition|mixed)$ ]] \
  || usage_error "--nemesis must be kill, pause, partition or mixed, not '$nemesis'"
[[ -z "$seed" || "$seed" =~ ^[0-9]{1,18}$ ]] \
  || usage_error "--seed must be a non-negative whole number below 10^18, not '$seed'"

(($(id -u) == 0)) || raftkv_die "needs root: it makes network namespaces (run it with sudo)"
command -v ip >/dev/null || raftkv_die "needs iproute2 (the ip command)"

run_dir="$RAFTKV_STATE/chaos/run-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$run_dir/logs" "$run_dir/pids"
echo "chaos: run directory $run_dir"

# The partition nemeses drop packets at random with nftables (this kernel's tc has no netem).
if [[ "$nemesis" == partition || "$nemesis" == mixed ]] && ! command -v nft >/dev/null; then
  echo "chaos: installing nftables (apt-get; log in logs/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q nftables >"$run_dir/logs/apt.log" 2>&1; then
    apt-get update -q >>"$run_dir/logs/apt.log" 2>&1 || true
    apt-get install -y -q nftables >>"$run_dir/logs/apt.log" 2>&1 \
      || raftkv_die "cannot install nftables; see $run_dir/logs/apt.log"
  fi
fi

jar="$(raftkv_jar)"

prefix="raftkv-chaos-$$"
subnet="10.211.0"
namespaces=()

# Stops every process the run started that is still alive (by the PIDs in pids/, and only if that
# PID is still in one of our namespaces), then deletes the namespaces, and with them every veth and
# the bridge.
cleanup() {
  local rc=$? f pid ns
  trap - EXIT INT TERM
  for f in "$run_dir"/pids/*.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    ns="$(ip netns identify "$pid" 2>/dev/null || true)"
    if [[ -n "$pid" && "$ns" == "$prefix"-* ]]; then
      kill -CONT "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  for ns in "${namespaces[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  if ((rc == 130 || rc == 143)); then
    echo "chaos: interrupted; processes stopped, namespaces removed; logs in $run_dir/logs" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One namespace with a bridge; node N in PREFIX-nN at SUBNET.N, the clients in PREFIX-cl at
# SUBNET.100, each by a veth pair whose outer end is a port of the bridge.
bridge_ns="$prefix-br"
ip netns add "$bridge_ns"
namespaces+=("$bridge_ns")
ip -n "$bridge_ns" link set lo up
ip -n "$bridge_ns" link add br0 type bridge
ip -n "$bridge_ns" link set br0 up
for member in n1:1 n2:2 n3:3 cl:100; do
  name="${member%%:*}"
  host="${member#*:}"
  ns="$prefix-$name"
  ip netns add "$ns"
  namespaces+=("$ns")
  ip -n "$bridge_ns" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$bridge_ns" link set "v-$name" master br0 up
  ip -n "$ns" addr add "$subnet.$host/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done
echo "chaos: namespaces ${namespaces[*]} (nodes at $subnet.1-3, clients at $subnet.100)" \
  | tee "$run_dir/logs/network.log"

driver_args=(--seconds "$seconds" --clients "$clients" --nemesis "$nemesis"
  --run-dir "$run_dir" --netns-prefix "$prefix" --subnet "$subnet"
  --kvstore "$RAFTKV_ROOT/scripts/kvstore" --kv-client "$RAFTKV_ROOT/scripts/kv_client")
[[ -n "$seed" ]] && driver_args+=(--seed "$seed")
[[ -n "$http_clients" ]] && driver_args+=(--http-clients "$http_clients")
rc=0
"$RAFTKV_JAVA" -XX:+UseSerialGC -Xmx512m -cp "$jar" raftkv.chaos.ChaosRun "${driver_args[@]}" \
  || rc=$?
if ((rc == 0)); then
  rm -rf "$run_dir/data" # the logs and the history stay
else
  echo "chaos: FAILED (exit $rc); node logs, client logs and the history are in $run_dir" >&2
fi
exit "$rc"
