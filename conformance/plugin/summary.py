"""The terminal summary at the end of a run: per property, the outcomes and the worst error / bound."""
from __future__ import annotations

from collections import defaultdict

import torch
from hypothesis import settings

from conformance.reports import ratio_text


def property_of(nodeid: str) -> str | None:
    """The summary's row of a test of one's own, and of a kit module: its module's name (cases/test_vjp.py -> vjp;
    a kit property's is its declared group, ``conformance.model.properties``)."""
    module = nodeid.split("::")[0].rsplit("/", 1)[-1]
    return module.removeprefix("test_").removesuffix(".py") if module.startswith("test_") else None


def write(terminalreporter, config) -> None:
    """Per property: passed / failed / skipped / xfailed / xpassed and the worst error / bound of the passed and
    failed items (an xpassed deviation is counted apart, as the JSON report and the matrix count it); then the
    closest passes."""
    rows: dict[str, dict] = defaultdict(lambda: {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0, "xpassed": 0,
                                                 "worst": (0.0, ""), "elements": 0, "blind": 0})
    closest: list[tuple[float, str]] = []
    xpassed: list[str] = []  # items whose strict expected failure passed (pytest fails them)
    for key in ("passed", "failed", "skipped", "xfailed", "xpassed"):
        for rep in terminalreporter.stats.get(key, []):
            if getattr(rep, "when", "call") not in ("call", "setup") or (rep.when == "setup" and key == "passed"):
                continue
            props = dict(getattr(rep, "user_properties", []))
            prop = props.get("conformance_property")
            if prop is None:
                continue
            row = rows[prop]
            row[key] += 1
            if key == "xpassed":
                xpassed.append(rep.nodeid.split("::")[-1])
            for name, value in getattr(rep, "user_properties", []):
                if name == "conformance_elements":
                    row["elements"] += value[0]
                    row["blind"] += value[1]
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
    tr.write_line(f"{'property':<14}{'passed':>8}{'failed':>8}{'skipped':>8}{'xfailed':>8}{'xpassed':>8}{'unchecked':>10}"
                  "   worst error / bound")
    for prop in sorted(rows):
        r = rows[prop]
        worst = f"{ratio_text(r['worst'][0])} ({r['worst'][1]})" if r["worst"][1] else "-"
        blind = f"{r['blind'] / r['elements']:.2%}" if r["elements"] else "-"
        tr.write_line(f"{prop:<14}{r['passed']:>8}{r['failed']:>8}{r['skipped']:>8}{r['xfailed']:>8}{r['xpassed']:>8}"
                      f"{blind:>10}"
                      f"   {worst}")
    if any(r["blind"] for r in rows.values()):
        tr.write_line("unchecked: checked elements not checkable at this precision (the bound reaches half the exact "
                      "value, so a wrong sign or a factor 2 would pass), of all checked elements")
    if xpassed:
        xpassed.sort()
        tr.write_line(f"xpassed: {len(xpassed)}: {', '.join(xpassed[:20])}{' ...' if len(xpassed) > 20 else ''}")
    closest = [c for c in sorted(closest, reverse=True) if c[0] <= 1][:5]
    if closest:
        tr.write_line("closest to their bound (passing): " + ", ".join(f"{n} {ratio_text(r)}" for r, n in closest))
