"""The public API: check any function's gradients against an exact sympy spec, from any test or script.

    import torch
    from conformance import Real, check_grads, spec as s

    def my_op(x, y):                                   # the function under test (torch in, torch out)
        return torch.sin(x) * y

    check_grads(my_op, lambda x, y: s.sin(x) * y,      # its exact spec over sympy symbols
                x=Real(-3.0, 3.0, shape=(4,)), y=Real(-2.0, 2.0, shape=(4,)))

Each property draws inputs from the domains (exactly representable in the dtype) and weights with
Hypothesis, runs torch, and compares every gradient element with the exact value under the kit's
tolerance policy: the suite's own oracle, bound, failure message and copy-pasteable repro (the one PEP 678
note on the ``ConformanceFailure``), shrunk by Hypothesis to a simple failing example.

Properties (``modes``): ``vjp`` (weighted backward), ``accumulation`` (k backward calls into ``.grad``),
``jvp`` (forward mode), ``hvp`` (Hessian-vector product through double backward).  A mode torch itself
lacks for the function (a custom op without forward AD, a backward that cannot be differentiated again) is
not a failure: ``check_grads`` reports it as unsupported with torch's own error, and ``check_jvp`` or
``check_hvp`` asked for it alone raise ``NotImplementedError``.
"""
from __future__ import annotations

import inspect
import numbers
import re
import warnings
from typing import Callable

import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.model.case import DTYPES, RESERVED, entry
from conformance.model.domain import Index, Real
from conformance.model.error import CatalogueError
from conformance.run import properties
from conformance.run.binding import op_path
from conformance.run.failure import REPRO, ConformanceFailure, dtype_name
from conformance.run.trial import Trial
from conformance.run.unsupported import FEATURES, lacking

MODES = ("vjp", "accumulation", "jvp", "hvp")
PASSED = "passed"
_EXTRA = {"accumulation": {"k": st.integers(1, 5), "retain": st.booleans()}}  # a property's own drawn arguments

# Names the properties bind beside the inputs (the function is ``fn``; tangents ``u_x``, the oracle's weights
# and directions ``v0``, ``u_x_0``, ``w_x_0``), so inputs cannot take them.
_BOUND = {"fn", "fwAD", "level", "tangent", "pairs", "h"}
_PREFIXED = re.compile(r"gy.*|u_.*|w_.*|v\d+")
_NAME = re.compile(r"[A-Za-z_][\w.]*")
_UNSET = object()


class UnsupportedMode(UserWarning):
    """A mode ``check_grads`` did not check because torch lacks it for the function: ``mode`` and ``reason``
    (torch's own error, ``Type: message``)."""

    def __init__(self, message: str, mode: str = "", reason: str = ""):
        super().__init__(message)
        self.mode, self.reason = mode, reason


class Verdicts(dict):
    """What ``check_grads`` found, per mode: ``"passed"`` or ``"unsupported: <torch's error>"``."""

    @property
    def unsupported(self) -> dict[str, str]:
        """Mode -> torch's error, for the modes torch lacks for the function."""
        return {m: v.removeprefix("unsupported: ") for m, v in self.items() if v != PASSED}


class _Stop(BaseException):
    """Ends a run at once, past Hypothesis (which shrinks only Exceptions): ``error`` for the user, or the mode
    torch lacks (``reason``)."""

    def __init__(self, error: Exception | None = None, reason: str = ""):
        super().__init__(str(error or reason))
        self.error, self.reason = error, reason


def check_grads(fn: Callable, spec: Callable, *, modes=MODES, dtype: str | torch.dtype = "float64",
                device: str | torch.device = "cpu", examples: int = 20, derandomize: bool = True,
                name: str | None = None, **inputs: Real | Index) -> Verdicts:
    """Check ``fn``'s gradients against ``spec`` over the input domains (keywords, in call order).

    ``spec`` receives numpy object arrays of real sympy symbols (``Index`` inputs: integer arrays) and
    returns the exact output(s), written with ``conformance.spec`` (``s.sin``, ``s.sum``...).  ``modes``: a
    mode or a sequence of them; ``dtype``: a name or a ``torch.dtype``.  Raises ``ConformanceFailure`` on the
    first (shrunk) deviation.  Returns the ``Verdicts``; a mode torch lacks for ``fn`` is ``"unsupported:
    <torch's error>"`` there, with an ``UnsupportedMode`` warning.  A bad argument is a ``ValueError`` or
    ``TypeError`` naming it.
    """
    verdicts = _run("check_grads", fn, spec, modes=modes, dtype=dtype, device=device, examples=examples,
                    derandomize=derandomize, name=name, **inputs)
    for mode, reason in verdicts.unsupported.items():
        warnings.warn(UnsupportedMode(f"check_grads({_label(fn, name)}): {mode} not checked, {_lacks(mode)}{reason}",
                                      mode, reason), stacklevel=2)
    return verdicts


def check_vjp(fn: Callable, spec: Callable, **kwargs) -> None:
    """``check_grads`` with the weighted-backward property only."""
    _only("check_vjp", "vjp", fn, spec, kwargs)


def check_jvp(fn: Callable, spec: Callable, **kwargs) -> None:
    """``check_grads`` with the forward-mode property only; ``NotImplementedError`` where torch has no
    forward-mode AD for ``fn``."""
    _only("check_jvp", "jvp", fn, spec, kwargs)


def check_hvp(fn: Callable, spec: Callable, **kwargs) -> None:
    """``check_grads`` with the Hessian-vector-product property only; ``NotImplementedError`` where torch
    cannot differentiate ``fn``'s backward."""
    _only("check_hvp", "hvp", fn, spec, kwargs)


def _only(caller: str, mode: str, fn, spec, kwargs: dict) -> None:
    if "modes" in kwargs:
        raise TypeError(f"{caller}: checks {mode} alone and takes no modes (check_grads takes them)")
    verdicts = _run(caller, fn, spec, modes=(mode,), **kwargs)
    if mode in verdicts.unsupported:
        raise NotImplementedError(f"{caller}({_label(fn, kwargs.get('name'))}): {_lacks(mode)}"
                                  f"{verdicts.unsupported[mode]}")


def _lacks(mode: str) -> str:
    """What torch lacks for an unsupported mode: its feature (forward AD, double backward), or a dtype's kernel,
    which torch's own message (the reason that follows) names."""
    return f"torch {torch.__version__} has no {FEATURES[mode]} for this function: " if mode in FEATURES else ""


def _run(caller: str, fn, spec, /, *, modes=MODES, dtype="float64", device="cpu", examples=20, derandomize=True,
         name=None, **inputs) -> Verdicts:
    modes, dtype, where = _modes(caller, modes), _dtype(caller, dtype), _device(caller, device)
    _settings(caller, fn, spec, examples, derandomize, name)
    _inputs(caller, inputs)
    case = entry(_label(fn, name), f"fn({', '.join(inputs)})", spec, helpers={"fn": fn},
                 dtypes=(dtype,), **inputs)
    run = settings(max_examples=examples, derandomize=derandomize, database=None, deadline=None,
                   phases=[p for p in Phase if p is not Phase.explain], report_multiple_bugs=False,
                   print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    verdicts = Verdicts()
    for mode in modes:
        try:
            run(given(data=st.data(), **_EXTRA.get(mode, {}))(_body(caller, mode, case, DTYPES[dtype], where)))()
            verdicts[mode] = PASSED
        except _Stop as stop:
            if stop.error is not None:
                raise stop.error from None
            verdicts[mode] = f"unsupported: {stop.reason}"
        except ConformanceFailure as failure:  # the kit's message and its repro, not Hypothesis's notes
            failure.__notes__ = [n for n in getattr(failure, "__notes__", []) if n.startswith(REPRO)][:1]
            raise
    return verdicts


def _body(caller: str, mode: str, case, dtype: torch.dtype, where: torch.device):
    """The Hypothesis test of one mode: a mode torch lacks, a malformed spec or output end it at once."""
    check = getattr(properties, mode)

    def body(data, **extra):
        __tracebackhide__ = True
        trial = None
        try:
            trial = Trial(case, dtype, where, data, mode, status=None)  # a function of the caller's: no Status
            check(trial, **extra)
        except ConformanceFailure as failure:
            _outputs(caller, trial)
            reason = lacking(mode, failure, trial)
            if reason:
                raise _Stop(reason=reason) from None
            raise
        except pytest.skip.Exception as lacks:  # torch has no kernel for the dtype: nothing of the mode runs
            raise _Stop(reason=str(lacks.msg)) from None
        except CatalogueError as exc:  # the user's spec or function, not a catalogue entry
            raise _Stop(ValueError(str(exc).replace(f"catalogue entry {case.name!r}", f"{caller}({case.name})", 1)))
        except Exception:
            _outputs(caller, trial)
            raise
    return body if mode not in _EXTRA else (lambda data, k, retain: body(data, k=k, retain=retain))


def _outputs(caller: str, trial) -> None:
    """Refuse at once what ``fn`` returned (``out``) where it is not a tensor or a tuple of tensors."""
    out = trial.get("out", _UNSET) if trial is not None else _UNSET
    if out is _UNSET:  # fn did not return (or was not called)
        return
    parts = out if isinstance(out, tuple) else (out,)
    bad = [p for p in parts if not isinstance(p, torch.Tensor)]
    if bad or not parts:
        got = (_type_name(out) if not isinstance(out, tuple) else
               f"a tuple holding {_type_name(bad[0])}" if bad else "an empty tuple")
        raise _Stop(TypeError(f"{caller}: fn must return a torch.Tensor or a tuple of tensors, got {got}"))


def _type_name(value) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _label(fn: Callable, name: str | None) -> str:
    """How messages name the function under test: ``name``, else its own name (``mylib.myop`` for a custom op,
    ``MyFn.apply``, ``lambda``)."""
    if name is not None:
        return name
    op = op_path(fn)
    owner = getattr(fn, "__self__", None)
    if op:
        text = op.removeprefix("torch.ops.")
    elif inspect.ismethod(fn) and isinstance(owner, type):
        text = f"{owner.__name__}.{fn.__name__}"
    else:
        text = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", None) or ""
    text = re.sub(r"[^\w.]", "", str(text)).strip(".")
    return text if _NAME.fullmatch(text) else "fn"


# -- the arguments ---------------------------------------------------------------------------------
def _modes(caller: str, modes) -> tuple[str, ...]:
    known = ", ".join(MODES)
    if isinstance(modes, str):
        modes = (modes,)
    try:
        modes = tuple(modes)
    except TypeError:
        raise TypeError(f"{caller}: modes must be a mode or a sequence of modes ({known}), got {modes!r}") from None
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(f"{caller}: unknown modes {unknown}; known: {known}" if unknown else
                         f"{caller}: modes is empty; known: {known}")
    return tuple(dict.fromkeys(modes))


def _dtype(caller: str, dtype) -> str:
    known = ", ".join(DTYPES)
    if isinstance(dtype, torch.dtype):
        key = dtype_name(dtype)
    elif isinstance(dtype, str):
        key = dtype.removeprefix("torch.")
    else:
        raise TypeError(f"{caller}: dtype must be a name ('float64') or a torch.dtype, got {_type_name(dtype)} "
                        f"{dtype!r}")
    if key not in DTYPES:
        raise ValueError(f"{caller}: unknown dtype {dtype!r}; known: {known}")
    return key


def _device(caller: str, device) -> torch.device:
    available = ["cpu", *(k for k in ("cuda", "xpu", "mps") if hasattr(getattr(torch, k, None), "is_available")
                          and getattr(torch, k).is_available())]
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"{caller}: device must be a name ('cpu', 'cuda') or a torch.device, got "
                        f"{_type_name(device)} {device!r}")
    try:
        where = torch.device(device)
    except RuntimeError:
        raise ValueError(f"{caller}: device {device!r} is not a torch device; available here: "
                         f"{', '.join(available)}") from None
    backend = getattr(torch, where.type, None)
    if where.type != "cpu" and not hasattr(backend, "is_available"):
        raise ValueError(f"{caller}: device {device!r} cannot run checks (its values cannot be read back); "
                         f"available here: {', '.join(available)}")
    if where.type != "cpu" and not backend.is_available():
        built = getattr(getattr(torch.backends, where.type, None), "is_built", lambda: True)()
        why = (f"this torch build ({torch.__version__}) has no {where.type} support" if not built
               else f"torch finds no {where.type} device on this machine")
        raise ValueError(f"{caller}: device {device!r} is not available: {why}; available here: {', '.join(available)}")
    try:
        return torch.empty(0, device=where).device
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise ValueError(f"{caller}: device {device!r} is not available: {str(exc).splitlines()[0]}") from None


def _settings(caller: str, fn, spec, examples, derandomize, name) -> None:
    if not callable(fn):
        raise TypeError(f"{caller}: fn must be callable (the function under test), got {_type_name(fn)}")
    if not callable(spec):
        raise TypeError(f"{caller}: spec must be callable (the exact function over sympy symbols), got "
                        f"{_type_name(spec)}")
    if isinstance(examples, bool) or not isinstance(examples, numbers.Integral):
        raise TypeError(f"{caller}: examples must be an int >= 1, got {_type_name(examples)} {examples!r}")
    if examples < 1:
        raise ValueError(f"{caller}: examples must be >= 1 (examples per mode), got {examples}")
    if not isinstance(derandomize, bool):
        raise TypeError(f"{caller}: derandomize must be True or False, got {derandomize!r}")
    if name is not None and not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise ValueError(f"{caller}: name must be a plain identifier (letters, digits, '_' and '.'), got {name!r}")


def _inputs(caller: str, inputs: dict) -> None:
    if not inputs:
        raise ValueError(f"{caller}: no inputs; give each input of fn as a keyword domain, in call order "
                         "(x=Real(-1.0, 1.0, shape=(4,)), i=Index(4, shape=(2,)))")
    for n, domain in inputs.items():
        if not isinstance(domain, (Real, Index)):
            raise TypeError(f"{caller}: input {n!r} must be a conformance.Real or conformance.Index domain, got "
                            f"{_type_name(domain)} {domain!r}")
        clash = [m for m in inputs if m != n and re.fullmatch(rf"{re.escape(m)}(_\d+)+", n)]
        if n in RESERVED | _BOUND or _PREFIXED.fullmatch(n) or clash:
            raise ValueError(f"{caller}: input name {n!r} is taken by the checks (reserved: "
                             f"{', '.join(sorted(RESERVED | _BOUND))}, names starting gy, u_ or w_, v0, v1..."
                             + (f", and {clash[0]}'s element names {clash[0]}_0..." if clash else "") + ")")
    if not any(isinstance(d, Real) for d in inputs.values()):
        raise ValueError(f"{caller}: no Real input; at least one input of fn must be differentiable "
                         f"(got only Index inputs: {', '.join(inputs)})")
