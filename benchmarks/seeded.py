"""The driver the seeded measurements share (``envelopes.py``, ``widenings.py``): the collected test ids of
some catalogue entries, and a run of them under the nightly profile per seed with a measuring plugin that
writes what it saw to ``$MEASURE_OUT.<pid>.json``."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def arguments(description: str, examples: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=examples)
    parser.add_argument("-n", "--workers", default="2")
    parser.add_argument("--entries", nargs="*", default=(), help="only these entries")
    return parser.parse_args()


def ids(names) -> list[str]:
    """The collected test ids of the catalogue entries ``names`` (under the nightly profile: every guarded mode)."""
    command = [sys.executable, "-m", "pytest", "cases", "--collect-only", "-q", "-p", "no:cacheprovider",
               "--hypothesis-profile", "nightly"]
    listing = subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
    return [line for line in listing if "[" in line and line.endswith("]")
            and any(f"[{n}-" in line or f"-{n}-" in line or line.endswith(f"[{n}]") for n in names)]


def run(items: list[str], plugin: str, args: argparse.Namespace) -> list:
    """Everything ``plugin`` recorded over ``args.seeds`` nightly runs of ``items``."""
    seen = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.seeds + 1):
            env = {**os.environ, "MEASURE_OUT": f"{tmp}/seed{seed}", "PYTHONPATH": str(ROOT)}
            subprocess.run([sys.executable, "-m", "pytest", *items, "-q", "-p", "no:cacheprovider", "-p", plugin,
                            "--hypothesis-profile", "nightly", "--conformance-examples", str(args.examples),
                            f"--hypothesis-seed={seed}", "-n", args.workers], cwd=ROOT, env=env, capture_output=True)
            for f in Path(tmp).glob(f"seed{seed}.*.json"):
                seen += json.loads(f.read_text())
    return seen


def measure(doc: str, examples: int, plugin: str, declares) -> tuple[argparse.Namespace, list[str], list]:
    """The command line, the items of the entries chosen (``--entries``, else those ``declares(case)`` picks)
    and what ``plugin`` recorded over their seeded runs."""
    args = arguments(doc.splitlines()[0], examples)
    sys.path.insert(0, str(ROOT))
    from conformance.catalogue import CATALOGUE
    items = ids(set(args.entries) or {n for n, c in CATALOGUE.items() if declares(c)})
    return args, items, run(items, plugin, args)


def write(seen: list) -> None:
    """The measuring plugin's end of run: what this process saw, for the driver."""
    out = os.environ.get("MEASURE_OUT")
    if out:
        with open(f"{out}.{os.getpid()}.json", "w") as fh:
            json.dump(seen, fh)
