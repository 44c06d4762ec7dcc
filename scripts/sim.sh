#!/usr/bin/env bash
# The deterministic simulation, beyond the fixed seeds `mvn verify` runs: soak on fresh seeds, or
# replay one seed exactly, with every node's log.
#
#   scripts/sim.sh [--minutes M] [--seeds N] [--nodes 3|5] [--seconds S]
#   scripts/sim.sh --replay SEED [--nodes 3|5] [--seconds S]
#
# A soak prints one line per seed and exits non-zero if any seed failed, naming the command that
# replays it. Maven options (for example -o) can be passed in RAFTKV_MVN_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

props=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes|--seeds|--nodes|--seconds|--replay)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { echo "sim.sh: $1 needs a non-negative whole number" >&2; exit 2; }
      if [[ "$1" == --nodes && "$2" != 3 && "$2" != 5 ]]; then
        echo "sim.sh: --nodes must be 3 or 5" >&2; exit 2
      fi
      props+=("-Dsim.${1#--}=$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "sim.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck disable=SC2086
exec mvn -B -q ${RAFTKV_MVN_ARGS:-} test -Dtest=SimulationSoak -Dsurefire.failIfNoSpecifiedTests=false \
  "${props[@]}"
