#!/usr/bin/env bash
# Wall time of the conformance suite with 2 pytest-xdist workers: the `ci` profile with a cold oracle
# cache (a fresh machine, as in CI) and a warm one, then the `dev` profile (warm).
# Run by hand from the repository root, in an environment with the kit installed.
set -uo pipefail
cache=$(mktemp -d)
run() {  # label, profile
  start=$(date +%s.%N)
  CONFORMANCE_ORACLE_CACHE=$cache python -m pytest cases -q -n 2 --hypothesis-profile "$2" -p no:randomly > "/tmp/ci_time_$1.log" 2>&1
  end=$(date +%s.%N)
  printf '%-10s %6.1f s  %s\n' "$1" "$(echo "$end - $start" | bc)" "$(tail -1 "/tmp/ci_time_$1.log")"
}
run ci-cold ci
run ci-warm ci
run dev-warm dev
rm -rf "$cache"
