#!/usr/bin/env bash
# Starts the local 3-node cluster and waits until it has a leader, then prints its status.
#
#   scripts/start-cluster.sh
#
# Node N listens on 127.0.0.1:900N (Raft and the Akka client) and 127.0.0.1:1000N (its HTTP API,
# kvstore's default --http-port: the Raft port + 1000), keeps its data in data/node-N and its log in logs/node-N.log;
# its PID is in run/node-N.pid. Nodes already running are left alone, so this also restarts the
# ones that stopped. Builds the jar first if it is missing or older than the sources.
# Stop the cluster with scripts/stop-cluster.sh.
#
# Environment: RAFTKV_BASE_PORT (default 9000: node N on 9000+N), RAFTKV_STATE (where data/, logs/
# and run/ go; default the repository root), RAFTKV_TLS_DIR (TLS on: a directory made by
# scripts/dev-certs.sh; nodes and this script's kv_client read it, see README "TLS").
# A node started with RAFTKV_TLS_DIR serves HTTPS, not HTTP.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
http="HTTP"
# A one-shot client's first TLS handshakes (to a node, and the node's back to it) take a JVM that
# has loaded no TLS class yet well over a second on a busy machine: wait longer for each answer.
status_timeout=1s
if [[ -n "${RAFTKV_TLS_DIR:-}" ]]; then
  [[ -d "$RAFTKV_TLS_DIR" ]] || raftkv_die "RAFTKV_TLS_DIR=$RAFTKV_TLS_DIR is not a directory (make one with scripts/dev-certs.sh DIR)"
  RAFTKV_TLS_DIR="$(cd "$RAFTKV_TLS_DIR" && pwd)" # absolute: the nodes run from $RAFTKV_STATE
  export RAFTKV_TLS_DIR
  http="HTTPS"
  status_timeout=5s
  echo "TLS on: certificates from $RAFTKV_TLS_DIR"
fi
cd "$RAFTKV_STATE"
mkdir -p data logs run
kv_client="$RAFTKV_ROOT/scripts/kv_client"

raftkv_jar >/dev/null # build once, before the nodes race for it

for ((i = 1; i <= RAFTKV_NODES; i++)); do
  pid="$(raftkv_node_pid "$i")"
  if [[ -n "$pid" ]]; then
    echo "node $i is already running (pid $pid)"
    continue
  fi
  port="$(raftkv_port "$i")"
  nohup "$RAFTKV_ROOT/scripts/kvstore" --id "$i" --port "$port" --peers "$(raftkv_peers "$i")" \
    --data-dir "data/node-$i" >>"logs/node-$i.log" 2>&1 </dev/null &
  echo $! >"$(raftkv_pid_file "$i")"
  echo "started node $i on 127.0.0.1:$port, $http on 127.0.0.1:$((port + 1000)) (pid $!, log logs/node-$i.log)"
done

echo "waiting for a leader..."
deadline=$(($(raftkv_now_ms) + 60000))
while true; do
  out="$("$kv_client" --peers "$(raftkv_all_ports)" --timeout "$status_timeout" --json status 2>/dev/null || true)"
  leader="$(sed -nE 's/^\{"leader":([0-9]+).*/\1/p' <<<"$out")"
  [[ -n "$leader" ]] && break
  for ((i = 1; i <= RAFTKV_NODES; i++)); do
    if [[ -z "$(raftkv_node_pid "$i")" ]]; then
      echo "start-cluster: node $i exited; the end of logs/node-$i.log:" >&2
      tail -n 5 "logs/node-$i.log" >&2
      exit 1
    fi
  done
  if (($(raftkv_now_ms) > deadline)); then
    echo "start-cluster: no leader after 60 s; see logs/node-*.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "node $leader is the leader"
echo
# Shown, not checked: a leader lost in the moment since it was found makes status exit 1.
"$kv_client" --peers "$(raftkv_all_ports)" status || true
