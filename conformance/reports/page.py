"""The conformance matrix as one self-contained HTML page (inline CSS and script, no external resource).

The page shows each report's environment, the per-property counts and a heat map of functions ×
(report, dtype): a passing cell's colour is its worst error as a fraction of its bound on a continuous
scale (green at 0, yellow at ½, red at 1); a failure is a dark red ✗, an expected failure a grey x, a
skip or absence blank; every cell's tooltip lists its tests; the reports of interrupted runs are named
above the tables.  A filter box (prefilled from the URL's
``#fragment``) and a "fail or differ only" switch select rows.  All text from the reports is escaped.
"""
from __future__ import annotations

import math
from html import escape
from itertools import groupby

from conformance.reports import ratio_text
from conformance.reports.matrix import ABSENT, COUNTED, ENVIRONMENT, Cell, Counts, Matrix, environment

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:24px 32px;
  background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.sub{color:#5b6475;margin:0 0 12px}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{border:1px solid #dde1e7;padding:3px 8px}th{background:#eef1f5;font-weight:600;text-align:left}
th.g{text-align:center}thead th{position:sticky;top:0;z-index:1}thead tr+tr th{top:27px}
.env td,.env th{white-space:nowrap}.env td.f{white-space:normal;word-break:break-all;min-width:12em}
td.n{font-variant-numeric:tabular-nums;text-align:right}td.bad{color:#a40000;font-weight:600}
#heat td.c{text-align:center;min-width:64px;font-variant-numeric:tabular-nums;cursor:default}
#heat td.p{color:#5b6475;font-size:12px}
#heat tbody th{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:500}
.fail{background:#8b0000;color:#fff;font-weight:700}.xfail{background:#9aa0a6;color:#fff;font-weight:600}
.ok{background:#e6f4ea;color:#2e7d32}.xpass{background:#c9d8f0;color:#1a3e7a}.skip,.absent{background:#fff}
.legend{display:flex;gap:18px;align-items:center;flex-wrap:wrap;margin:8px 0 10px}
.bar{display:inline-block;vertical-align:middle;width:180px;height:14px;border:1px solid #ccc;
  background:linear-gradient(90deg,GRADIENT)}
.key{display:inline-block;min-width:26px;text-align:center;border:1px solid #ccc;margin-right:5px;padding:0 3px}
.controls{margin:6px 0 10px}p.warn{color:#a40000;font-weight:600;margin:0 0 12px}
input[type=search]{font:inherit;padding:4px 8px;width:260px;border:1px solid #b8c0cc;border-radius:4px}
"""
KEYS = (("✓", "ok", "passed, nothing numeric compared"), ("✗", "fail", "failed (hover for tests and messages)"),
        ("x", "xfail", "expected failure (known deviation)"), ("xpass", "xpass", "unexpectedly passed"),
        ("", "skip", "skipped or not run"))
SCRIPT = """
const q=document.getElementById('filter'),only=document.getElementById('notable'),n=document.getElementById('shown');
function apply(){const s=q.value.trim().toLowerCase();let k=0;
for(const tr of document.querySelectorAll('#heat tbody tr')){
const show=tr.dataset.key.includes(s)&&(!only.checked||tr.dataset.notable==='1');tr.hidden=!show;if(show)k++;}
n.textContent=k;}
if(location.hash.length>1)q.value=decodeURIComponent(location.hash.slice(1));
q.addEventListener('input',apply);only.addEventListener('change',apply);apply();
"""


def heat(ratio: float) -> str:
    """The CSS colour of a worst ratio: hue 120 (green) at 0 through 60 (yellow) to 0 (red) at 1 and above."""
    r = 1.0 if math.isnan(ratio) else min(max(ratio, 0.0), 1.0)
    return f"hsl({120 * (1 - r):.0f},70%,62%)"


def _attrs(**attrs) -> str:
    """HTML attributes; a trailing ``_`` is dropped (``class_``), other ``_`` become ``-`` (``data_key``)."""
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items() if v is not None)


def _el(tag: str, text: str = "", raw: str = "", **attrs) -> str:
    """An element whose text is escaped; ``raw`` is markup already built by this module."""
    if tag in ("input", "meta"):
        return f"<{tag}{_attrs(**attrs)}>"
    return f"<{tag}{_attrs(**attrs)}>{escape(text)}{raw}</{tag}>"


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return _el("td", class_="c absent", title="not run")
    state, tip = cell.state, cell.notes()
    if state == "passed" and cell.worst is not None:
        return _el("td", ratio_text(cell.worst), class_="c", style=f"background:{heat(cell.worst)}", title=tip)
    text, cls = {"failed": ("✗", "fail"), "xfailed": ("x", "xfail"), "xpassed": ("xpass", "xpass"),
                 "passed": ("✓", "ok"), "skipped": ("", "skip")}[state]
    return _el("td", text, class_=f"c {cls}", title=tip)


def _table(head: str, rows: list[str], **attrs) -> str:
    """A table of header rows and body rows (markup)."""
    return _el("table", raw=_el("thead", raw=head) + _el("tbody", raw="".join(rows)), **attrs)


def _grouped_head(first: list[str], groups: list[tuple[str, int]], second: list[str]) -> str:
    """Two header rows: ``first`` columns spanning both, then each group's label over its ``second`` columns."""
    top = "".join(_el("th", h, rowspan=2) for h in first) + "".join(
        _el("th", g, colspan=n, class_="g") for g, n in groups)
    return _el("tr", raw=top) + _el("tr", raw="".join(_el("th", h, class_="g") for h in second))


def _environments(matrix: Matrix) -> str:
    rows = [_el("tr", raw="".join([_el("th", s.label), _el("td", str(s.path), class_="f")] +
                                  [_el("td", v) for v in environment(s).values()])) for s in matrix.sources]
    return _table(_el("tr", raw="".join(_el("th", h) for h in ["report", "file", *ENVIRONMENT])), rows, class_="env")


def _counts(c: Counts) -> str:
    if not c.outcomes:
        return "".join(_el("td", ABSENT, class_="n absent") for _ in range(len(COUNTED) + 1))
    cells = [_el("td", str(c.outcomes[k]), class_="n bad" if k == "failed" and c.outcomes[k] else "n")
             for k in COUNTED]
    passing = c.worst is not None and c.worst <= 1
    return "".join(cells) + _el("td", ratio_text(c.worst) or ABSENT, class_="n" if c.worst is None or passing
                                else "n bad", style=f"background:{heat(c.worst)}" if passing else None)


def _summary(matrix: Matrix) -> str:
    columns = (*COUNTED, "worst")
    head = _grouped_head(["property"], [(s.label, len(columns)) for s in matrix.sources], list(columns) *
                         len(matrix.sources))
    rows = [_el("tr", raw=_el("th", prop) + "".join(_counts(c) for c in counts))
            for prop, counts in sorted(matrix.summary.items())]
    return _table(head, rows)


def _heat_map(matrix: Matrix) -> str:
    groups = [(matrix.sources[k].label, len(list(cols))) for k, cols in groupby(matrix.columns, lambda c: c.source)]
    head = _grouped_head(["function", "properties"], groups, [c.dtype or "no dtype" for c in matrix.columns])
    rows = []
    for row in sorted(matrix.rows, key=lambda r: not matrix.notable(r)):
        props = ", ".join(sorted(matrix.properties[row]))
        cells = "".join(_cell(matrix.cell(row, c)) for c in matrix.columns)
        rows.append(_el("tr", raw=_el("th", row) + _el("td", props, class_="p") + cells,
                        data_key=f"{row} {props}".lower(), data_notable="1" if matrix.notable(row) else "0"))
    return _table(head, rows, id="heat")


def _legend() -> str:
    scale = _el("span", "worst error / bound: 0 ") + _el("span", class_="bar") + _el("span", " 1 (yellow at ½)")
    keys = [_el("span", key, class_=f"key {cls}") + escape(words) for key, cls, words in KEYS]
    return _el("div", raw="".join(_el("span", raw=i) for i in [scale] + keys), class_="legend")


def page(matrix: Matrix, title: str = "Autograd conformance matrix") -> str:
    """The whole HTML document; it loads nothing from anywhere (opens offline)."""
    failing = matrix.failing_cells()
    notable = sum(matrix.notable(r) for r in matrix.rows)
    sub = (f"{len(matrix.sources)} report(s), {len(matrix.rows)} functions, {failing} failing cell(s), "
           f"{notable} function(s) failing or differing between columns (listed first)")
    gradient = ",".join(heat(x / 4) for x in range(5))
    controls = (_el("input", type="search", id="filter", placeholder="filter functions or properties",
                    aria_label="filter rows") +
                _el("label", raw=_el("input", type="checkbox", id="notable") + " fail or differ only",
                    style="margin-left:14px") + _el("span", raw=' — <span id="shown"></span> shown',
                                                    style="margin-left:10px;color:#5b6475"))
    stopped = _el("p", matrix.interrupted(), class_="warn") if matrix.interrupted() else ""
    body = (_el("h1", title) + _el("p", sub, class_="sub") + stopped + _el("h2", "Environments") +
            _environments(matrix) + _el("h2", "Per property") + _summary(matrix) + _el("h2", "Heat map") +
            _legend() + _el("div", raw=controls, class_="controls") + _heat_map(matrix))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" + _el("title", title) +
            "<meta name=\"viewport\" content=\"width=device-width\">" +
            _el("style", raw=STYLE.replace("GRADIENT", gradient)) +
            "</head><body>" + body + _el("script", raw=SCRIPT) + "</body></html>\n")
