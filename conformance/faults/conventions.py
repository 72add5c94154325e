"""Faults at the conventions table's points that a departure, an undefined point or a contract once hid.

A departing row used to cover any value there, a rule 5 row only checked that backward ran, and a
Contract covered any exception.  Now a departure pins torch's own value (``torch_gives``), a rule 5 row
checks the notes' finiteness rule and determinism, and a Contract names its symptom: each fault below
shows a different wrong behaviour at such a point and must fail.
"""
from __future__ import annotations

import torch

from conformance.faults import library as lib
from conformance.faults.model import Fault, Target, installer, register

CONVENTIONS = "cases/test_conventions.py"


def _leaky_relu_negated_at_0(g, out, x, slope):
    """leaky_relu's gradient at exactly 0 is -slope (torch: slope; the rule: the min-norm value)."""
    factor = torch.where(x > 0, 1.0, torch.where(x == 0, -slope, slope)).to(g.dtype)
    return (g * factor, None)


def _sqrt_finite_where_undefined(g, out, x):
    """sqrt's gradient is 0 where x < 0 or NaN (a NaN input hidden), right elsewhere."""
    return (torch.where((x < 0) | x.isnan(), torch.zeros_like(g), g / (2 * out)),)


def _log_drawn_where_undefined(g, out, x):
    """log's gradient where x < 0 is grad / x times a drawn factor in [1, 1.001): not deterministic."""
    noise = 1 + 1e-3 * torch.rand_like(x)
    return (torch.where(x < 0, g / x * noise, g / x),)


def _raises_other(g):
    """A backward that raises an error other than vander's documented one."""
    raise RuntimeError("the gradient of vander is not available (a different failure)")


def _kernel(name: str, what: str, op: str, rule, k: str):
    register(Fault(name, "kernel", "conventions", what, Target((CONVENTIONS,), (), k),
                   install=lambda: lib.replace({op: rule}, name), touches=lib.touched({op: rule})))


_kernel("leaky_relu.kink-other-value", "leaky_relu's gradient at exactly 0 is -slope: at slope 2 a value neither "
        "the rule (1) nor torch's documented departure (2) gives", "leaky_relu", _leaky_relu_negated_at_0,
        "leaky_relu-slope2")
_kernel("sqrt.undefined-finite", "sqrt's gradient is 0 at x < 0 and at NaN (torch: NaN, the notes' default)", "sqrt",
        _sqrt_finite_where_undefined, "sqrt-at-neg1 or sqrt-at-nan")
_kernel("log.undefined-nondeterministic", "log's gradient at x < 0 is grad/x times a drawn factor (1 to 1.001): "
        "a different value at each backward", "log", _log_drawn_where_undefined, "log-at-neg1")
register(Fault("vander.other-exception", "engine", "conventions", "torch.vander's backward raises another error "
               "than the documented 'modified by an inplace operation' (its Contract names that symptom)",
               Target(("cases/test_vjp.py",), ("vander",)),
               install=installer([(torch, "vander", lib.output_backward(_raises_other))]),
               touches=("torch.vander",)))
