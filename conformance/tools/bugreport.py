"""``python -m conformance bugreport REPORT.json [ITEM_ID ...]``: a failing item of a JSON report as the text of
a bug report to paste into PyTorch's issue tracker.

    python -m conformance run --op sin --conformance-report run.json
    python -m conformance bugreport run.json                                      # one per failed item
    python -m conformance bugreport run.json 'cases/test_vjp.py::test_vjp[sin-float32]'

Each bug report has a title, what torch got wrong, the failure's minimal repro in plain torch (a fenced
code block), exact versus got at the worst element, how the kit checked it (the exact sympy oracle and the
bound), the kit's item id and version, and the run's versions: torch and its build, Python, platform,
device.  Exit status: 0 printed; 1 nothing to report (no failed item, or a named item that did not fail);
2 bad input (not a report, an item id it does not hold), stated in one line ``error: ...``.
"""
from __future__ import annotations

import argparse
import math
import re
import sys

from conformance.reports import ReportError, load, ratio_text

# What a property checks, in words for a title (the property is the test module's name: test_vjp -> vjp).
CHECKS = {"vjp": "backward", "accumulation": "backward accumulated into .grad", "jvp": "forward-mode derivative (jvp)",
          "hvp": "double backward (Hessian-vector product)", "complex": "complex backward",
          "forward_over_reverse": "forward-over-reverse derivative", "higher_order": "higher-order derivative",
          "func": "torch.func transform", "compile": "compiled backward", "autocast": "backward under autocast"}
SEPARATOR = "\n\n" + "-" * 100 + "\n\n"


def _summary(message: str) -> str:
    """The failure's first line without the exception's class and the property, case, dtype and device."""
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else "(no message in the report)"
    first = re.sub(r"^[\w.]+(Failure|Error|Exception): ", "", first)
    return re.sub(r"^[^:']* of '[^']*' \([^)]*\): ", "", first)  # the kit's "vjp of 'sin' (float32, cpu): " prefix


def _roundoff(dtype: str) -> str:
    """``K = 4, u = 2^-24`` for a dtype the tolerance policy knows, else ``""``."""
    import torch

    from conformance import tolerance
    real = getattr(torch, dtype, None)
    real = {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(real, real)
    if real not in tolerance.UNIT_ROUNDOFF:
        return ""
    return f" (K = {tolerance.SAFETY.get(real, tolerance.K)}, u = 2^{int(math.log2(tolerance.unit_roundoff(real)))})"


def _exact_versus_got(message: str) -> list[str]:
    worst = [ln.strip() for ln in message.splitlines() if ln.strip().startswith("worst element")]
    return ["Exact versus got, at the worst element:", ""] + ([f"    {worst[0]}"] if worst else [
        "    not in the report (an earlier kit kept a failure's first line only): the repro's last line prints",
        "    torch's gradient and its largest error in units of `bound`; `expected` holds the exact values, rounded",
        "    to float64"])


def _repro(item: dict) -> list[str]:
    head, _, body = (item.get("repro") or "").partition("\n")
    body = (body if head.startswith("Repro") else item.get("repro") or "").strip()
    return (["Minimal repro (plain torch):", "", "```python", body, "```"] if body else
            ["The report holds no repro for this failure; the kit's item reruns it (below)."])


def _checked(item: dict, numeric: bool) -> str:
    if not numeric:
        return ("How it was checked: compared exactly, with no numeric tolerance, with the value or behaviour the "
                "message above names.")
    examples = f"across the run's {item['examples']} examples " if item.get("examples") else ""
    return ("How it was checked: torch's result is compared with the exact value from a sympy oracle (the op's "
            "formula differentiated symbolically, evaluated at 50 digits at the inputs' exact binary values) and "
            "must lie within a running-error bound |got - exact| <= K·u·E + (terms + 1)·tiny of the gradient's "
            f"expression{_roundoff(item.get('dtype') or '')}; {examples}the worst error was "
            f"{ratio_text(item.get('worst')) or '?'} x that bound.")


def _versions(env: dict, item: dict, device: str) -> list[str]:
    kind = "debug" if env.get("torch_debug") else "release"
    build = f"git {env.get('torch_git') or '?'}; CUDA {env.get('torch_cuda') or 'none'}; {kind} build"
    return ["### Versions", "",
            f"- torch {env.get('torch', '?')} ({build})",
            f"- Python {env.get('python', '?')} on {env.get('platform', '?')}",
            f"- device: {device} (the full environment: `python -m torch.utils.collect_env`)",
            f"- found by autograd-conformance {env.get('kit', '?')}, item `{item['id']}` "
            f"(rerun: `python -m conformance run '{item['id']}'`)"]


def bug_report(item: dict, env: dict) -> str:
    """The text of one bug report for a failed ``item`` of a report whose environment is ``env``."""
    case, dtype, device = item.get("case") or "?", item.get("dtype") or "?", item.get("device") or env.get("device")
    check = CHECKS.get(item.get("property") or "", f"{item.get('property') or '?'} check")
    summary = _summary(item.get("message"))
    numeric = "deviates from the exact" in summary
    title = f"{'Wrong gradient' if numeric else 'Autograd deviation'}: {case} {check} in {dtype} on {device}"
    out = [f"Title: {title}", "", "### Describe the bug", "",
           f"The {check} of `{case}` in {dtype} on {device} {'is wrong' if numeric else 'fails'}: "
           f"{summary}.", ""]
    if numeric:
        out += [*_exact_versus_got(item.get("details") or item.get("message") or ""), ""]
    out += [*_repro(item), "", _checked(item, numeric), "", *_versions(env, item, device)]
    return "\n".join(out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conformance bugreport", description=__doc__.split("\n\n")[0]
                                     .replace("``", "").strip())
    parser.add_argument("report", metavar="REPORT.json", help="a JSON report (pytest --conformance-report PATH)")
    parser.add_argument("ids", nargs="*", metavar="ITEM_ID", help="test ids of failed items (default: every one)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        report = load(args.report)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    items = {i["id"]: i for i in report["items"]}
    unknown = [i for i in args.ids if i not in items]
    if unknown:
        print(f"error: {args.report}: no item {unknown[0]!r} in the report", file=sys.stderr)
        return 2
    chosen = [items[i] for i in args.ids] or [i for i in report["items"] if i["outcome"] == "failed"]
    passing = [i for i in chosen if i["outcome"] != "failed"]
    if passing or not chosen:
        print(f"error: {args.report}: " + (f"item {passing[0]['id']!r} {passing[0]['outcome']}, not failed: "
                                           if passing else "no failed item: ") + "nothing to report", file=sys.stderr)
        return 1
    env = report["environment"]
    if env.get("fault"):
        print(f"warning: {args.report} was written with the fault {env['fault']!r} injected (--conformance-fault): "
              f"its failures are the kit's own, not torch's", file=sys.stderr)
    print(SEPARATOR.join(bug_report(item, env) for item in chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
