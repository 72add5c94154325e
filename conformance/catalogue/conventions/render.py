"""The conventions table as text: points, gradients, the Markdown table and ``docs/conventions.md``."""
from __future__ import annotations

import textwrap

import numpy as np

from conformance.catalogue.conventions.model import RULES, Row, exact, exact_array
from conformance.catalogue.conventions.table import TABLE


def _num(v) -> str:
    if isinstance(v, str):
        return v
    v = exact(v)
    if v.is_infinite:
        return "∞" if v > 0 else "-∞"
    return str(v) if v.is_Rational else f"{float(v):.8g}"


def _nested(a) -> str:
    a = np.asarray(a, dtype=object)
    return _num(a.item()) if a.ndim == 0 else "[" + ", ".join(_nested(b) for b in a) + "]"


def _grad_text(r: Row, g: dict) -> str:
    return "; ".join(f"{n}: {_nested(g[n])}" if len(r.inputs) > 1 else _nested(g[n]) for n in r.inputs)


def value_text(r: Row) -> str:
    """The prescribed gradient as text: one value, several (rule 4), or 'arbitrary' (rule 5)."""
    options = [_grad_text(r, g) for g in r.expected()]
    if not options:
        return "arbitrary"
    if len(options) <= 3:
        return " or ".join(options)
    return f"any of {len(options)}: {', '.join(options[:2])}, …"


def gives_text(r: Row) -> str:
    """What torch gives where the row departs: its pinned value(s), a Contract's symptom, or ''."""
    if getattr(r.deviation, "kind", None) == "contract":
        return f"fails: {r.deviation.symptom}"
    options = [_grad_text(r, g) for g in r.departures()]
    return " or ".join(options) if len(options) <= 3 else f"any of {len(options)}: {', '.join(options[:2])}, …"


def _float(v: float) -> str:
    return repr(float(v)).removesuffix(".0")


def point_text(r: Row) -> str:
    text = ", ".join(f"{n} = {_nested(exact_array(v, _float))}" for n, v in r.at.items())
    return text if r.weight == 1.0 else f"{text}; weight {_nested(r.weight)}"


def markdown(rows: list[Row] = TABLE) -> str:
    """The table for docs/conventions.md: function, point, prescribed gradient, rule, and whether torch departs."""
    lines = ["| row | function | point | gradient | rule | why | torch |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        torch_mark = ("departs (documented)" if r.documented else "departs") if r.deviation else "follows"
        torch_mark += f" before torch {r.until}" if r.until else ""
        cells = [f"`{r.id}`", f"`{r.call}`", point_text(r), value_text(r), f"{r.rule}: {RULES[r.rule]}", r.why,
                 torch_mark]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def departures_markdown(rows: list[Row] = TABLE) -> str:
    """Every row where torch departs from its rule, rows sharing a reason on one line, with the repro."""
    groups: dict[str, list[Row]] = {}
    for r in rows:
        if r.deviation:
            groups.setdefault(str(r.deviation), []).append(r)
    out = []
    for reason, members in groups.items():
        names = ", ".join(f"`{r.id}` ({value_text(r)}; torch: {gives_text(r)})" for r in members)
        doc = f" Documented: {members[0].documented}" if members[0].documented else ""
        out.append(f"- {names}: {reason}{doc}")
    return "\n".join(out)


def undefined_markdown(rows: list[Row] = TABLE) -> str:
    """Rule 5 rows: the notes' default (NaN), or the documented reason torch's gradient is finite."""
    nan = ", ".join(f"`{r.id}`" for r in rows if r.rule == 5 and not r.finite)
    finite = "\n".join(f"- `{r.id}`: {r.finite}" for r in rows if r.rule == 5 and r.finite)
    return (f"Checked: the input's layout, NaN everywhere (the notes' default) or finite everywhere where the row says "
            f"why, and the same bits from a second forward and backward.\n\nNaN: {nan}.\n\nFinite:\n\n{finite}")


def _wrapped(bullets: str) -> str:
    """Bullets wrapped for the page (no line of the docs is very long); each still begins ``- ``."""
    return "\n".join(textwrap.fill(b, width=115, subsequent_indent="  ", break_long_words=False,
                                   break_on_hyphens=False) for b in bullets.split("\n"))


def document() -> str:
    """``docs/conventions.md``: the rules, the whole table and the departures (``python -m ...conventions``)."""
    rules = "\n".join(f"{n}. {text}" for n, text in RULES.items())
    return (f"# Gradient conventions at non-differentiable and undefined points\n\n"
            f"Generated from `conformance/catalogue/conventions/table.py` by "
            f"`python -m conformance.catalogue.conventions > docs/conventions.md`; checked by "
            f"`cases/test_conventions.py` at each exact point, in float32 and float64, on `--device`.\n\n"
            f"PyTorch's rules, first that applies:\n\n{rules}\n\n{markdown()}\n\n"
            f"## Departures (torch 2.13.0, CPU; `F` is `torch.nn.functional`)\n\nEach row: the rule's gradient; "
            f"torch's own, pinned (any other value fails, and so does torch following the rule).\n\n"
            f"{_wrapped(departures_markdown())}\n\n## Undefined points (rule 5)\n\n{_wrapped(undefined_markdown())}\n")

