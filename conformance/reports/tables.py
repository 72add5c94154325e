"""Plain-text and Markdown tables, one format for every command the kit prints."""
from __future__ import annotations


def table(rows: list[list[str]], header: list[str], markdown: bool = False) -> str:
    """Columns padded to their widest cell (the last one left ragged), or a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header) - 1)]
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]  # noqa: E731
    return "\n".join([fmt(header)] + [fmt(r) for r in rows])
