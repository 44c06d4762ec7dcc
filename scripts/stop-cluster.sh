#!/usr/bin/env bash
# Stops the nodes scripts/start-cluster.sh started, by the PIDs it recorded: SIGTERM first (a
# clean shutdown), SIGKILL for a node still running 20 s later. Data stays in data/node-N.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"

stopping=()
for ((i = 1; i <= RAFTKV_NODES; i++)); do
  pid="$(raftkv_node_pid "$i")"
  if [[ -z "$pid" ]]; then
    rm -f "$(raftkv_pid_file "$i")"
    continue
  fi
  kill -CONT "$pid" 2>/dev/null || true # a paused node cannot act on SIGTERM
  kill -TERM "$pid"
  stopping+=("$i:$pid")
done
if ((${#stopping[@]} == 0)); then
  echo "no node is running"
  exit 0
fi
deadline=$(($(raftkv_now_ms) + 20000))
for entry in "${stopping[@]}"; do
  i="${entry%%:*}"
  pid="${entry#*:}"
  while kill -0 "$pid" 2>/dev/null; do
    if (($(raftkv_now_ms) > deadline)); then
      echo "node $i (pid $pid) did not stop within 20 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  rm -f "$(raftkv_pid_file "$i")"
  echo "stopped node $i (pid $pid)"
done
