#!/usr/bin/env bash
# The automated election test: the actor-testkit tests of leader election, with manual time
# (Akka's ManualTime for single nodes, a virtual-time scheduler for 3- and 5-node clusters):
# the election timer and its window, the vote rules, step-down on a higher term in every message
# type, elections, split votes, a leader cut off and replaced within 1 s. Prints PASS or FAIL.
#
#   scripts/election-test.sh
#
# Environment: RAFTKV_MVN_ARGS extra Maven arguments, e.g. "-o".
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
cd "$RAFTKV_ROOT"

tests="ElectionTimerTest,VoteRulesTest,StepDownTest,RaftRulesTest,ClusterElectionTest"
log="$RAFTKV_ROOT/run/election-test.log"
mkdir -p run
read -r -a mvn_args <<< "${RAFTKV_MVN_ARGS:-}"
if mvn -B "${mvn_args[@]}" test -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1; then
  result=PASS
else
  result=FAIL
fi
# The totals line of surefire: "Tests run: N, Failures: F, Errors: E, Skipped: S"
totals="$(grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" | tail -n 1 | sed -E 's/^\[[A-Z]+\] //')"
if [[ -z "$totals" ]]; then
  result=FAIL
  totals="no test ran; see $log"
fi
echo "election test: $result ($totals; $tests)"
[[ $result == PASS ]]
