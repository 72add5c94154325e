"""The suite's fixed cost: pytest and Hypothesis alone, with no torch and no oracle.

Builds, in a temporary directory, a test module with the conformance suite's item structure (every
catalogue entry x float32, float64 x P properties, each item one `@given` test with an empty body
under the active profile's settings) and times pytest on it.  The kit's plugin is loaded as in the
suite, so items are scheduled by entry under xdist.  Whatever the kit does per item comes on top.

Run by hand:  python benchmarks/floor.py [--properties 20] [--workers 0,2] [--profile ci]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.catalogue import CATALOGUE

MODULE = '''
import pytest
from hypothesis import given, strategies as st

IDS = {ids!r}


@pytest.mark.parametrize("prop", range({properties}), ids=lambda p: f"p{{p}}")
@pytest.mark.parametrize("entry", IDS)
@given(x=st.integers())
def test_empty(entry, prop, x):
    pass
'''


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--properties", type=int, default=20, help="properties per (entry, dtype) (default 20)")
    p.add_argument("--workers", default="0,2", help="comma-separated xdist worker counts (0: one process)")
    p.add_argument("--profile", default="ci", help="Hypothesis profile (default ci)")
    args = p.parse_args(argv)
    ids = [f"{name}-{dtype}" for name in sorted(CATALOGUE) for dtype in ("float32", "float64")]
    items = len(ids) * args.properties
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_floor.py").write_text(MODULE.format(ids=ids, properties=args.properties))
        print(f"{items:,} empty items ({len(CATALOGUE)} entries x 2 dtypes x {args.properties} properties), "
              f"profile {args.profile}")
        for workers in (int(w) for w in args.workers.split(",")):
            cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                   "--hypothesis-profile", args.profile, "-n", str(workers), "test_floor.py"]
            t0 = time.perf_counter()
            done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"  -n {workers}: {wall:7.1f} s wall, {1e3 * wall / items:5.2f} ms per item  ({last})")
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
                return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
