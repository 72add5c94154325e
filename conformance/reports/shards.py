"""Shards of one run, put back together: the reports of a run split by pytest-split (``--splits N --group I``,
each report's environment says ``"shard": "I/N"``) become one report before they are merged into the matrix.

Shards belong to one run when their environments agree on the run's identity (``RUN``); the combined
report holds every shard's items (a test id in two shards is an error), the summed counts, the longest shard's
seconds, ``"interrupted": true`` when any shard's run was interrupted, and ``"shard": "N/N"`` when every shard
is there, else ``"I,J of N"`` naming the ones present, so a missing shard shows in the matrix's environment
table instead of passing for a whole run.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from conformance.reports import ReportError

RUN = ("torch", "torch_git", "device", "python", "profile", "max_examples", "seed", "fault")


def _shard(data: dict) -> tuple[int, int] | None:
    text = data["environment"].get("shard")
    if not text:
        return None
    try:
        index, total = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ReportError(f"shard {text!r} is not INDEX/TOTAL") from None
    return index, total


def combine(loaded: list[tuple[Path, dict]]) -> list[tuple[Path, dict]]:
    """``(path, report)`` pairs with each run's shards combined into one (in the place of its first shard)."""
    runs: dict[tuple, list[tuple[Path, dict, tuple[int, int]]]] = {}
    order: list = []  # a report as it is, or the key of a run's shards (in the place of its first shard)
    for path, data in loaded:
        shard = _shard(data)
        if shard is None:
            order.append(("report", (path, data)))
            continue
        key = tuple(str(data["environment"].get(k)) for k in RUN) + (str(shard[1]),)
        if key not in runs:
            runs[key] = []
            order.append(("run", key))
        runs[key].append((path, data, shard))
    return [_joined(runs[what]) if kind == "run" else what for kind, what in order]


def _joined(parts: list[tuple[Path, dict, tuple[int, int]]]) -> tuple[Path, dict]:
    total = parts[0][2][1]
    indices = sorted(shard[0] for _, _, shard in parts)
    repeated = [i for i, n in Counter(indices).items() if n > 1]
    if repeated:
        raise ReportError(f"{', '.join(str(p) for p, _, _ in parts)}: shard {repeated[0]}/{total} given twice")
    items, seen = [], {}
    for path, data, _ in parts:
        for item in data["items"]:
            if item["id"] in seen:
                raise ReportError(f"{path}: test id {item['id']!r} is also in {seen[item['id']]}")
            seen[item["id"]] = path
            items.append(item)
    env = dict(parts[0][1]["environment"])
    env["shard"] = f"{total}/{total}" if indices == list(range(1, total + 1)) else \
        f"{','.join(map(str, indices))} of {total}"
    env["seconds"] = max(data["environment"].get("seconds") or 0 for _, data, _ in parts)
    stopped = [data["environment"].get("interrupted") for _, data, _ in parts]
    env["interrupted"] = True if any(stopped) else (None if None in stopped else False)
    data = {**parts[0][1], "environment": env, "items": items,
            "counts": dict(Counter(item["outcome"] for item in items))}
    return parts[0][0], data
