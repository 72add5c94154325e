"""The terminal summary at the end of a run: per property, the outcomes and the worst error / bound."""
from __future__ import annotations

from collections import defaultdict

import torch
from hypothesis import settings


def property_of(nodeid: str) -> str | None:
    """The property a conformance case checks: its module's name (cases/test_vjp.py -> vjp)."""
    module = nodeid.split("::")[0].rsplit("/", 1)[-1]
    return module.removeprefix("test_").removesuffix(".py") if module.startswith("test_") else None


def write(terminalreporter, config) -> None:
    """Per property: passed / failed / skipped / xfailed and the worst error / bound; then the closest passes."""
    rows: dict[str, dict] = defaultdict(lambda: {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0,
                                                 "worst": (0.0, "")})
    closest: list[tuple[float, str]] = []
    for key in ("passed", "failed", "skipped", "xfailed", "xpassed"):
        for rep in terminalreporter.stats.get(key, []):
            if getattr(rep, "when", "call") not in ("call", "setup") or (rep.when == "setup" and key == "passed"):
                continue
            props = dict(getattr(rep, "user_properties", []))
            prop = props.get("conformance_property")
            if prop is None:
                continue
            row = rows[prop]
            row["passed" if key == "xpassed" else key] += 1
            for name, value in getattr(rep, "user_properties", []):
                if name == "conformance_worst" and key in ("passed", "failed"):
                    ratio, label = value
                    closest.append((ratio, rep.nodeid.split("::")[-1]))
                    if ratio >= row["worst"][0]:
                        row["worst"] = (ratio, label)
    if not rows:
        return
    tr = terminalreporter
    tr.write_sep("=", "autograd conformance summary")
    tr.write_line(f"torch {torch.__version__} | device {config._conformance_device} "
                  f"| profile {settings.get_current_profile_name()}")
    tr.write_line(f"{'property':<14}{'passed':>8}{'failed':>8}{'skipped':>8}{'xfailed':>8}   worst error / bound")
    for prop in sorted(rows):
        r = rows[prop]
        worst = f"{r['worst'][0]:.3f} ({r['worst'][1]})" if r["worst"][1] else "-"
        tr.write_line(f"{prop:<14}{r['passed']:>8}{r['failed']:>8}{r['skipped']:>8}{r['xfailed']:>8}   {worst}")
    closest = [c for c in sorted(closest, reverse=True) if c[0] <= 1][:5]
    if closest:
        tr.write_line("closest to their bound (passing): " + ", ".join(f"{n} {r:.3f}" for r, n in closest))
