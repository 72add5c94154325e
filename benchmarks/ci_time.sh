#!/usr/bin/env bash
# Wall time of the conformance suite: with 2 pytest-xdist workers, the `dev` profile with a cold oracle
# cache, the `ci` profile cold (a fresh machine, as in CI) and warm, `dev` warm; then the `ci` profile
# warm in one process (serial, no xdist).
# Run by hand from the repository root, in an environment with the kit installed.
set -uo pipefail
run() {  # label, profile, cache directory, workers
  start=$(date +%s.%N)
  CONFORMANCE_ORACLE_CACHE=$3 python -m pytest cases -q -n "${4:-2}" --hypothesis-profile "$2" -p no:randomly > "/tmp/ci_time_$1.log" 2>&1
  end=$(date +%s.%N)
  printf '%-10s %6.1f s  %s\n' "$1" "$(echo "$end - $start" | bc)" "$(tail -1 "/tmp/ci_time_$1.log")"
}
first=$(mktemp -d)
run dev-cold dev "$first"
rm -rf "$first"
cache=$(mktemp -d)
run ci-cold ci "$cache"
run ci-warm ci "$cache"
run dev-warm dev "$cache"
run ci-serial ci "$cache" 0
rm -rf "$cache"
