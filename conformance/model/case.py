"""The case model: one catalogue entry pairs a torch call with an exact sympy spec and its domains."""
from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Callable

import torch
from torch.torch_version import TorchVersion

from conformance.model import dtypes
from conformance.model.arguments import Space, signature_text
from conformance.model.contraction import Signature
from conformance.model.domain import Index, Kinks, Real
from conformance.model.error import CatalogueError
from conformance.model.expectation import Expectation, Facts, Selector, ordered, parse_keys
from conformance.model.family import FAMILIES
from conformance.model.status import Accuracy, Contract, Deviation, Status, Widening, deviation, widest

__all__ = ["Arg", "Case", "Contract", "Accuracy", "Deviation", "Widening", "entry"]

# Names the trials bind in their namespace (outputs, weights, bookkeeping, the loop variable of the
# zeroing statements); inputs must not shadow them.
RESERVED = {"out", "torch", "F", "g", "params", "p", "before", "first", "m", "expected", "bound"}

DTYPES = {name: getattr(torch, name) for name in dtypes.NAMES}
COMPLEX = dtypes.COMPLEX  # run by the complex properties, for entries that declare them
LOW = dtypes.LOW  # bfloat16, float16: every real entry's too (torch's own error skips where it lacks a kernel)
REAL = ("float32", "float64") + LOW
REAL_AND_COMPLEX = REAL + COMPLEX  # an entry whose spec holds for complex inputs too

# Autograd features a property may require of an entry; an entry lists the ones torch lacks for it
# (``unsupported={"forward_ad": "reason"}``), and those properties skip it with the reason.
FEATURES = {
    "double_backward": "differentiating torch's backward again (create_graph=True, Hessian-vector products)",
    "third_order": "differentiating torch's double backward once more (third-order derivatives, reverse or forward "
                   "over it)",
    "forward_ad": "forward-mode AD (torch.autograd.forward_ad, torch.func.jvp, jacfwd)",
    "forward_over_reverse": "forward-mode AD through the backward (forward-over-reverse HVP, torch.func.hessian)",
    "forward_over_forward": "forward-mode AD of the forward-mode formulas (nested torch.func.jvp, jacfwd of jacfwd, "
                            "nested forward_ad dual levels)",
    "func": "torch.func transforms (vjp, grad, jacrev, vmap)",
    "special_lanes": "NaN or ±inf inputs among finite ones in a long tensor (the input-space special lanes)",
    "layouts": "permuted or strided input leaves at redrawn sizes (the input-space resized property)",
    "large": "one dimension grown to 17..32769, the exact oracle traced (the input-space large property)",
    "accumulation": "several backward calls into one .grad, and zeroing it between them",
}
# A feature that needs others: forward-over-reverse needs forward AD of the op and a differentiable backward;
# forward-over-forward needs forward AD of the op; third order needs double backward.
IMPLIES = {"forward_over_reverse": ("forward_ad", "double_backward"), "forward_over_forward": ("forward_ad",),
           "third_order": ("double_backward",)}
# The features whose properties compare with the exact trial's check (``conformance.run.trial``), where a
# declared widening applies.
WIDENABLE = ("double_backward", "third_order", "forward_ad", "forward_over_reverse", "forward_over_forward", "func",
             "layouts", "large", "accumulation")


@dataclass(frozen=True)
class Arg:
    name: str
    domain: Real | Index

    @property
    def shape(self) -> tuple[int, ...]:
        return self.domain.shape

    @property
    def differentiable(self) -> bool:
        return isinstance(self.domain, Real)


@dataclass(frozen=True)
class Case:
    """A torch function under test.

    name: the readable id (``sin``, ``mm``, ``seed_indexed``).
    call: Python source of the torch call over the argument names (``torch.sin(x)``); it is also the
      text of every repro snippet.  Names available: ``torch``, ``F`` (torch.nn.functional) and the
      helpers of ``conformance.catalogue.helpers``.
    spec: the exact function over numpy object arrays of sympy symbols (see ``conformance.exact.spec``).
    args: the inputs, in call order, each with its domain and shape.
    kinks: optional joint constraint keeping inputs away from non-differentiable sets.
    dtypes: dtype names the entry supports.
    unsupported: feature (see ``FEATURES``) -> why torch lacks it for this function; properties that
      require the feature skip the entry with that reason (the kit's tests check torch still lacks it).
    unmodelled: feature -> why the kit cannot yet bound torch's result for this function in that mode
      (its running-error model does not follow the formula torch evaluates); skipped with the reason,
      listed in docs/deviations.md as the kit's open gaps.  Never a place for a torch deviation.
    widened: feature or "feature:dtype" -> ``Widening(reason, factor)``: torch's formula in that mode
      rounds terms the exact expression cancels, beyond the running-error model; the mode runs with
      its bounds multiplied by the measured factor (``benchmarks/widenings.py``; the tolerance policy).
    removed_since: the torch release that removed the call (it raises there): from it on, the entry is a
      skip naming the removal, like an absent function.
    normwise: torch computes the entry's derivatives as products of whole matrices (decompositions,
      inverses, solves), so the rounding of every element of a higher-order or forward-mode result
      follows the magnitudes of its whole matrix: each element is allowed the largest bound of its
      matrix (the last two dimensions; see the tolerance policy).  ``normwise="always"`` extends the rule
      to first-order VJPs, for backwards that mix the whole matrix at first order (LU's triangular solves).
    deviations: dtype name, feature name, property name (its test function, ``test_hessian``; one
      torch.compile backend's, ``test_compile_mutation[inductor]``), or "feature:dtype" / "property:dtype"
      (a key, parsed once into a typed ``Selector``: ``conformance.model.expectation``) -> reason and
      repro of a known torch deviation; a failure of a property of that (entry, dtype), requiring that
      feature, or that property (in that dtype), is then an expected failure where the deviation covers it.
      ``Deviation(reason,
      relative=r)`` covers numeric failures (a value off its bound) whose worst element's error beyond
      the bound is within r of the exact value, measured (``benchmarks/envelopes.py``): a wrong sign or
      a larger error still fails; a dtype key alone needs one.  A plain string (feature keys only)
      covers any numeric failure of that feature; ``Contract(reason, symptom)`` covers a broken contract
      (a raising backward, an unusable ``.grad``) whose failure shows ``symptom``, and with ``relative``
      numeric failures within it too.
      Stored as ``Status`` values.
    until: the torch release that fixed the entry's deviations: from it on they no longer apply and
      every property of the entry is strict (a regression there fails).  (A single declaration's bounds are
      its Status's ``since``/``until``.)
    family: the entry's shape family (``conformance.model.family``): how the input-space properties may
      draw its shapes, layouts and sizes (``"elementwise"``: any broadcastable shapes); None: its one
      declared shape only.
    contraction: the einsum signature of an entry whose output is a contraction of its two inputs
      (``"ij,jk->ik"``): the input-space GEMM property checks it at GEMM sizes by the sampled exact rule
      (``conformance.space.contraction``); the kit's tests check the signature against the spec.

    sequential: torch's backward adds an input element's contributions one after another (cdist's CPU
      kernel loops over the other operand's rows): at large sizes the tape charges such a sum of m terms
      m − 1 roundings instead of ⌈log₂ m⌉ (the tolerance policy; the same at the declared sizes).
    arguments: the entry's declared call space (``conformance.model.arguments.Space``), None for a fixed
      call; ``call``, ``spec``, ``args`` and ``kinks`` then hold the default signature, ``bound`` its values, and
      ``bind`` gives every other signature (the trials draw one per example).

    where: the file:line of the ``entry(...)`` call declaring it (set by ``entry``).

    Every declaration becomes an ``Expectation`` with its ``Selector`` (``expectations``), parsed once here;
    ``status(dtype, features)`` turns the ones that match an item into its one ``Status`` (see
    ``conformance.model.status``).
    """

    name: str
    call: str
    spec: Callable
    args: tuple[Arg, ...]
    kinks: Kinks | None = None
    dtypes: tuple[str, ...] = REAL
    helpers: dict = field(default_factory=dict, compare=False, repr=False)
    deviations: dict = field(default_factory=dict, compare=False, repr=False)
    unsupported: dict = field(default_factory=dict, compare=False, repr=False)
    unmodelled: dict = field(default_factory=dict, compare=False, repr=False)
    widened: dict = field(default_factory=dict, compare=False, repr=False)
    normwise: bool | str = field(default=False, compare=False, repr=False)
    removed_since: str | None = field(default=None, compare=False, repr=False)
    until: str | None = field(default=None, compare=False, repr=False)
    family: str | None = field(default=None, compare=False, repr=False)
    contraction: str | None = field(default=None, compare=False, repr=False)
    sequential: bool = field(default=False, compare=False, repr=False)
    where: str | None = field(default=None, compare=False, repr=False)
    arguments: Space | None = field(default=None, compare=False, repr=False)
    bound: tuple = ()  # the drawn arguments of this signature, (name, value) pairs (an entry with ``arguments``)
    expectations: tuple[Expectation, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z_][\w.]*", self.name):
            raise CatalogueError(f"catalogue entry name {self.name!r} is not a plain identifier")
        if not self.args:
            raise CatalogueError(f"catalogue entry {self.name!r} declares no inputs")
        if not any(a.differentiable for a in self.args):
            raise CatalogueError(f"catalogue entry {self.name!r} has no differentiable (Real) input")
        for a in self.args:
            if a.name in RESERVED or a.name.startswith("gy") or not a.name.isidentifier():
                raise CatalogueError(f"catalogue entry {self.name!r}: input name {a.name!r} is reserved or invalid "
                                     f"(reserved: {', '.join(sorted(RESERVED))}, and names starting with 'gy')")
        unknown = set(self.dtypes) - set(DTYPES)
        if unknown:
            raise CatalogueError(f"catalogue entry {self.name!r} names unknown dtypes {sorted(unknown)}")
        if self.until and not self.deviations:
            raise CatalogueError(f"catalogue entry {self.name!r}: until={self.until!r} without deviations")
        self._check_widened()
        if self.normwise not in (False, True, "always"):
            raise CatalogueError(f"catalogue entry {self.name!r}: normwise must be False, True or \"always\", "
                                 f"not {self.normwise!r}")
        for kind in ("unsupported", "unmodelled"):
            declared = getattr(self, kind)
            unknown = set(declared) - set(FEATURES)
            if unknown:
                raise CatalogueError(f"catalogue entry {self.name!r}: unknown features {sorted(unknown)} in {kind} "
                                     f"(known: {', '.join(sorted(FEATURES))})")
            for feature, reason in declared.items():
                if not isinstance(reason, str) or not reason.strip():
                    raise CatalogueError(f"catalogue entry {self.name!r}: {kind}[{feature!r}] needs a reason")
        self._declare()
        blanket = sorted(e.selector.key() for e in self.declared("deviations") if e.kind == "deviation"
                         and e.envelope is None and e.selector.feature is None and e.selector.property is None)
        if blanket:
            raise CatalogueError(f"catalogue entry {self.name!r}: the deviations for {blanket} cover every property "
                                 "of that dtype, so each needs its measured envelope: Deviation(reason, relative=...)"
                                 " (or a feature key that names the property it covers)")
        try:
            compile(self.call, f"<catalogue {self.name}>", "eval")
        except SyntaxError as exc:
            raise CatalogueError(f"catalogue entry {self.name!r}: call {self.call!r} is not an expression: "
                                 f"{exc}") from None
        if not callable(self.spec):
            raise CatalogueError(f"catalogue entry {self.name!r}: spec must be callable")
        if self.family is not None and self.family not in FAMILIES:
            raise CatalogueError(f"catalogue entry {self.name!r}: unknown shape family {self.family!r} "
                                 f"(known: {', '.join(FAMILIES)})")
        if self.contraction is not None:
            self._check_contraction()

    def _check_widened(self) -> None:
        for key, value in self.widened.items():
            feature, _, dtype = key.partition(":")
            if feature not in WIDENABLE or (dtype and dtype not in DTYPES):
                raise CatalogueError(f"catalogue entry {self.name!r}: widened key {key!r} is not a feature checked by "
                                     f"the exact trial ({', '.join(WIDENABLE)}), optionally ':dtype'")
            if not (isinstance(value, Status) and value.kind == "widened"):
                raise CatalogueError(f"catalogue entry {self.name!r}: widened[{key!r}] must be Widening(reason, "
                                     f"factor), not {value!r}")

    def _declare(self) -> None:
        """Every declaration as an Expectation, its key parsed once into a Selector."""
        deviations = parse_keys(self.name, self.deviations, "deviations", FEATURES, deviation, self.until, self.where)
        object.__setattr__(self, "deviations", {k: e.status for k, e in zip(self.deviations, deviations)})
        widened = parse_keys(self.name, self.widened, "widened", WIDENABLE, where=self.where)
        lacking = tuple(Expectation(Status(kind, f"{self.name}: {text.format(feature)}: {reason}"),
                                    Selector(self.name, feature=feature), self.where, f"{kind}[{feature}]")
                        for kind, text in (("unsupported", "torch has no {}"),
                                           ("unmodelled", "no error model for {} in this kit yet"))
                        for feature, reason in getattr(self, kind).items())
        removed = (Expectation(Status("removed", f"{self.call.split('(')[0]} is removed from torch "
                                                 f"{self.removed_since} on", since=self.removed_since),
                               Selector(self.name), self.where, f"removed_since={self.removed_since}"),
                   ) if self.removed_since else ()
        object.__setattr__(self, "expectations", deviations + widened + lacking + removed)

    def declared(self, what: str) -> tuple[Expectation, ...]:
        """The Expectations of one field: ``deviations``, ``widened``, ``unsupported``, ``unmodelled``, ``removed``."""
        return tuple(e for e in self.expectations if e.field.startswith(f"{what}[") or e.field.startswith(f"{what}_"))

    def facts(self, dtype: str | None, features=(), prop: str | None = None, device_type: str | None = None,
              test_id: str | None = None) -> Facts:
        """What an item of this entry is (``prop``: its test function, ``test_x[backend]`` for one torch.compile
        backend's), as a Selector reads it."""
        plain, _, backend = (prop or "").partition("[")
        return Facts(self.name, plain or None, expanded(features), dtype, device_type, backend.rstrip("]") or None,
                     test_id)

    def _check_contraction(self) -> None:
        try:
            sig = Signature.parse(self.contraction)
        except ValueError as exc:
            raise CatalogueError(f"catalogue entry {self.name!r}: {exc}") from None
        ranks = tuple(len(a.shape) for a in self.args)
        if len(self.args) != 2 or not all(a.differentiable for a in self.args) or ranks != tuple(map(len, sig.inputs)):
            raise CatalogueError(f"catalogue entry {self.name!r}: contraction {self.contraction!r} needs two Real "
                                 f"inputs of ranks {tuple(map(len, sig.inputs))} (the entry has ranks {ranks})")

    def __repr__(self) -> str:
        return f"<case {self.name}: {self.call}>"

    @property
    def title(self) -> str:
        """The entry's name, with the drawn arguments of a signature (``sum(dim=1, keepdim=True)``)."""
        return f"{self.name}({signature_text(dict(self.bound))})" if self.arguments is not None else self.name

    @functools.cached_property
    def _signatures(self) -> dict:
        return {}

    def bind(self, values: dict, shapes: dict | None = None) -> Case:
        """The entry at one signature of its argument space (``Space.fields``); the same Case for the same one."""
        if self.arguments is None:
            raise CatalogueError(f"catalogue entry {self.name!r} declares no arguments to bind")
        shapes = {**{a.name: a.shape for a in self.args}, **(shapes or {})}
        key = (tuple(values.items()), tuple(sorted(shapes.items())))
        if key not in self._signatures:
            fields = self.arguments.fields(self.name, values, shapes, self.kinks)
            self._signatures[key] = replace(self, args=_shaped(self.args, shapes), **fields)
        return self._signatures[key]

    def lacks(self, features) -> str | None:
        """Why torch cannot run this entry under a property requiring ``features`` (None: it can)."""
        for feature in features:
            if feature not in FEATURES:
                raise CatalogueError(f"unknown autograd feature {feature!r}; known: {', '.join(sorted(FEATURES))}")
        every = expanded(features)
        for kind in ("unsupported", "unmodelled"):
            found = {e.selector.feature: e for e in self.declared(kind)}
            for feature in every:
                if feature in found:
                    return found[feature].reason
        return None

    def deviation(self, dtype: str, numeric: bool, features=(), relative: float | None = None,
                  prop: str | None = None) -> str | None:
        """The documented deviation covering a failure of this (entry, dtype) under a property (``prop``, its
        test function's name) requiring ``features`` (numeric: its worst relative error beyond the bound
        ``relative``), if any."""
        for key in self.deviation_keys(dtype, features, prop):
            if self.deviations[key].covers(numeric, relative):
                return self.deviations[key].reason
        return None

    def deviation_keys(self, dtype: str, features=(), prop: str | None = None) -> list[str]:
        """The deviations keys that apply to (dtype, features, property) on the installed torch."""
        return [e.selector.key() for e in self.matching(dtype, features, prop, "deviations")]

    def matching(self, dtype: str | None, features=(), prop: str | None = None, what: str | None = None,
                 version: str | None = None) -> list[Expectation]:
        """The Expectations (of field ``what``; None: all) matching an item of this entry on torch ``version``
        (default: the installed one), in the order they apply."""
        found = ordered(self.expectations, self.facts(dtype, features, prop), version)
        return [e for e in found if what is None or e.field.startswith(f"{what}[")]

    @property
    def live_deviations(self) -> dict:
        """The deviations that hold for the installed torch (none from ``until`` on)."""
        return {k: v for k, v in self.deviations.items() if v.holds()}

    def status(self, dtype: str | None, features=(), prop: str | None = None, exact: bool = True) -> Status | None:
        """The one Status of this entry in ``dtype`` under a property (``prop``: its test function's name)
        requiring ``features`` (None: a plain pass); a property without a dtype (``dtype=None``) has only
        what the entry lacks.  ``exact=False``: the property compares torch with itself, not with the exact
        value, so deviations of accuracy (those with an envelope) do not apply."""
        absent = self.missing()
        if absent:
            removed = bool(self.removed_since) and absent.endswith(f"(removed in torch {self.removed_since})")
            return Status("removed" if removed else "absent", f"{absent} is absent from torch {torch.__version__}",
                          since=self.removed_since if removed else None)
        lacks = self.lacks(features)
        if lacks:
            return Status("unsupported" if ": torch has no " in lacks else "unmodelled", lacks)
        if dtype is None:
            return None
        if dtype not in self.dtypes:
            return Status("dtype", f"{self.name} does not support {dtype}")
        matched = self.matching(dtype, features, prop)
        widening = widest(e.status for e in matched if e.field.startswith("widened[")  # a documented accuracy too
                          or (exact and e.field.startswith("deviations[") and e.kind == "widened"))
        known = [e.status for e in matched if e.field.startswith("deviations[") and e.kind != "widened"
                 and (exact or e.envelope is None or e.kind == "contract")]
        if not known:
            return widening
        skip = next((k for k in known if k.skips), None)  # a mode in a dtype the kit does not check (unmodelled)
        if skip is not None:
            return skip
        contracts = list(dict.fromkeys(k for k in known if k.kind == "contract"))
        if len(contracts) > 1:  # several features lack (forward AD and double backward): whichever raises first
            return replace(contracts[0], reason="; or: ".join(dict.fromkeys(c.reason for c in contracts)),
                           symptom=tuple(dict.fromkeys(t for c in contracts for t in c.symptoms)),
                           widen=widening.widen if widening else 1.0,
                           accuracy=widening.accuracy if widening else 0.0)
        kind, symptom = ("contract", contracts[0].symptom) if contracts else ("deviation", known[0].symptom)
        return replace(known[0], kind=kind, symptom=symptom, widen=widening.widen if widening else 1.0,
                           accuracy=widening.accuracy if widening else 0.0)

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    def missing(self) -> str | None:
        """The first ``torch.*`` / ``F.*`` attribute or ``Tensor`` method in ``call`` absent from the installed torch
        (or the call itself, from the torch release that removed it: ``removed_since``)."""
        return missing(self.call, self.removed_since)

    @functools.cached_property
    def fn(self) -> Callable:
        namespace = {"torch": torch, "F": torch.nn.functional, **self.helpers}
        return eval(f"lambda {', '.join(self.arg_names)}: {self.call}", namespace)  # noqa: S307


def expanded(features) -> tuple[str, ...]:
    """``features`` with those they imply (``IMPLIES``) after them, in order."""
    return tuple(dict.fromkeys([*features, *(f for g in features for f in IMPLIES.get(g, ()))]))


def _shaped(args: tuple[Arg, ...], shapes: dict) -> tuple[Arg, ...]:
    return tuple(Arg(a.name, a.domain.of(*shapes[a.name]) if a.shape != shapes[a.name] else a.domain) for a in args)


def missing(call: str, removed_since: str | None = None) -> str | None:
    """The first ``torch.*`` / ``F.*`` attribute or ``Tensor`` method in ``call`` absent from the installed torch
    (or the call itself, from the torch release that removed it)."""
    if removed_since and TorchVersion(torch.__version__) >= removed_since:
        return f"{call.split('(')[0]} (removed in torch {removed_since})"
    roots = {"torch": torch, "F": torch.nn.functional}
    chains = r"\b(?:torch|F)(?:\.\w+)+"
    for dotted in re.findall(chains, call):
        parts = dotted.split(".")
        obj = roots[parts[0]]
        for i, part in enumerate(parts[1:], 1):
            if not hasattr(obj, part):
                return ".".join(parts[: i + 1])
            obj = getattr(obj, part)
    for method in re.findall(r"\.([A-Za-z_]\w*)\s*\(", re.sub(chains, "_", call)):
        if not hasattr(torch.Tensor, method):
            return f"Tensor.{method}"
    return None


def entry(name: str, call: str, spec: Callable, *, kinks: Kinks | None = None,
          dtypes: tuple[str, ...] = REAL, helpers: dict | None = None,
          deviations: dict[str, str] | None = None, unsupported: dict[str, str] | None = None,
          unmodelled: dict[str, str] | None = None, widened: dict | None = None, normwise: bool | str = False,
          removed_since: str | None = None,
          until: str | None = None, family: str | None = None, contraction: str | None = None,
          sequential: bool = False, arguments: dict | None = None, constraint: Callable | None = None,
          **args: Real | Index) -> Case:
    """Declare one catalogue entry; keyword arguments name the inputs in call order.  The caller's file and line
    are where its declarations are recorded (``Case.where``).

    ``arguments``: the call's argument space, name -> declaration (``conformance.model.arguments``); ``call`` is
    then a template over those names and ``spec`` takes them as keywords; ``constraint(values, shapes)``: what a
    signature must meet; ``kinks`` may then be a function of the arguments giving the Kinks."""
    caller = sys._getframe(1)
    for arg_name, dom in args.items():
        if not isinstance(dom, (Real, Index)):
            raise CatalogueError(f"catalogue entry {name!r}: input {arg_name!r} needs a Real or Index domain, "
                                 f"got {dom!r}")
    inputs, space, bound = tuple(Arg(n, d) for n, d in args.items()), None, ()
    if arguments is not None:
        space = Space.declare(name, call, spec, arguments, constraint, kinks, {a.name: a.shape for a in inputs})
        values, shapes = space.default()
        fields = space.fields(name, values, shapes, kinks)
        call, spec, kinks, bound = (fields[k] for k in ("call", "spec", "kinks", "bound"))
        inputs = _shaped(inputs, shapes)
    elif constraint is not None:
        raise CatalogueError(f"catalogue entry {name!r}: constraint= constrains arguments, and it declares none")
    return Case(name, call, spec, inputs, kinks, tuple(dtypes), helpers or {}, deviations or {}, unsupported or {},
                unmodelled or {}, widened or {}, normwise, removed_since, until, family, contraction, sequential,
                f"{caller.f_code.co_filename}:{caller.f_lineno}", space, bound)
