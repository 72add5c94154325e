#!/usr/bin/env bash
# Wall time of the conformance suite with the `ci` profile: serial, then with 2 pytest-xdist workers.
# Run by hand from the repository root, in an environment with the kit installed.
set -uo pipefail
for workers in 0 2; do
  start=$(date +%s.%N)
  python -m pytest cases -q -n "$workers" --hypothesis-profile ci -p no:randomly > /tmp/ci_time_$workers.log 2>&1
  end=$(date +%s.%N)
  printf 'workers=%s  %.1f s  %s\n' "$workers" "$(echo "$end - $start" | bc)" "$(tail -1 /tmp/ci_time_$workers.log)"
done
