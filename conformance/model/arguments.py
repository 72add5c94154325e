"""The call space: the arguments of a catalogue entry's call that change its result or its backward's code path.

An entry declares them once (``entry(..., arguments=dict(dim=Dims("x"), keepdim=Bool()))``): its call is a
template over the argument names (``"torch.sum(x, dim={dim}, keepdim={keepdim})"``, each placeholder replaced
by the value's ``repr``) and its spec takes them as keywords (``lambda x, dim, keepdim: ...``).  A ``Shapes``
value keyed by an input's name draws that input's shape among alternatives (size-1 dimensions, other ranks).

Every declaration offers a finite list of choices, the simplest first (the default, then the first dim...):
the trials draw one signature per example among them (Hypothesis shrinks toward the first choice of each),
and the number of distinct exact programs an entry compiles stays bounded by the space it declares.
Outside a drawing trial the entry is its default signature (``Space.default``): every other part of the kit
sees one fixed call, as before.
"""
from __future__ import annotations

import functools
import inspect
import string
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Callable

from conformance.model.error import CatalogueError

__all__ = ["Bool", "Choice", "Dim", "Dims", "Shapes", "Space"]


@dataclass(frozen=True)
class Choice:
    """One value among ``values``, the first the default (``Choice("mean", "sum", "none")``)."""

    values: tuple

    def __init__(self, *values):
        if not values:
            raise CatalogueError("Choice() needs at least one value")
        object.__setattr__(self, "values", tuple(values))

    def choices(self, shapes: dict) -> list:
        return list(self.values)


def Bool(default: bool = False) -> Choice:  # noqa: N802 - reads as a type in a declaration
    """``default`` first, then its negation."""
    return Choice(bool(default), not default)


def _normal(d: int, rank: int) -> int:
    return d % rank if rank else 0


@dataclass(frozen=True)
class Dim:
    """One dimension of input ``of``: every valid one, negative and positive (``default`` first, then 0, 1, ...
    then -rank ... -1).  A 0-d input has the dims 0 and -1, as torch accepts."""

    of: str
    default: int | None = 0

    def choices(self, shapes: dict) -> list:
        rank = len(shapes[self.of])
        dims = [*range(max(rank, 1)), *range(-max(rank, 1), 0)]
        first = [self.default] if self.default in dims else []
        return first + [d for d in dims if d not in first]


@dataclass(frozen=True)
class Dims:
    """The dimensions to reduce over, of input ``of``: ``None`` (every dimension; only with ``none``), each single
    dimension as ``Dim`` draws it, then tuples of two or more distinct dimensions (with ``tuples``), in increasing
    order, each member positive or negative."""

    of: str
    none: bool = True
    tuples: bool = True

    def choices(self, shapes: dict) -> list:
        rank = len(shapes[self.of])
        out: list = [None] if self.none else []
        out += Dim(self.of).choices(shapes)
        if self.tuples and rank >= 2:
            for k in range(2, rank + 1):
                for dims in combinations(range(rank), k):
                    out += [tuple(d - rank if neg else d for d, neg in zip(dims, signs))
                            for signs in product((False, True), repeat=k)]
        return out


@dataclass(frozen=True)
class Shapes:
    """The shape of the input the key names: the entry's declared shape first, then ``alternatives``."""

    alternatives: tuple

    def __init__(self, *alternatives):
        object.__setattr__(self, "alternatives", tuple(tuple(a) for a in alternatives))


def dims_of(value, rank: int) -> tuple[int, ...]:
    """The dimensions a ``Dim``/``Dims`` value names, normalised (``None``: all of them)."""
    if value is None:
        return tuple(range(rank))
    return tuple(sorted({_normal(d, rank) for d in ((value,) if isinstance(value, int) else value)}))


@dataclass(frozen=True)
class Space:
    """The declared argument space of one entry: its call template, its spec over inputs and arguments,
    the declarations in drawing order (shapes first), and ``where``: a predicate over the drawn values and
    shapes (``where(values, shapes)``, both dicts) that a signature must satisfy (between arguments, and
    between arguments and shapes)."""

    template: str
    spec: Callable
    declared: dict
    where: Callable | None = None
    kinks: Callable | None = None
    shapes: dict = field(default_factory=dict)  # input name -> its declared shape

    @classmethod
    def declare(cls, name: str, template: str, spec: Callable, declared: dict, where, kinks, shapes: dict) -> Space:
        """An entry's space (``kinks``: a function of the arguments giving the Kinks, or fixed ones), checked."""
        space = cls(template, spec, dict(declared), where, kinks if callable(kinks) and not hasattr(kinks, "excluded")
                    else None, shapes)
        space.check(name, list(shapes))
        return space

    def fields(self, name: str, values: dict, shapes: dict, kinks) -> dict:
        """The Case fields of one signature: its call, spec, kinks and bound values (``kinks``: the entry's fixed
        ones, where the space has no function of the arguments for them)."""
        if set(values) != set(self.value_names()) or not self.allows(values, shapes):
            raise CatalogueError(f"catalogue entry {name!r}: {signature_text(values)} at shapes {shapes} is not a "
                                 "signature of its argument space")
        return dict(call=self.call(values), spec=functools.partial(self.spec, **values),
                    kinks=self.kinks(**values) if self.kinks else kinks, bound=tuple(values.items()))

    def check(self, name: str, inputs: list[str]) -> None:
        """Raise ``CatalogueError`` where the template, the spec and the declarations disagree."""
        fields = {f for _, f, _, _ in string.Formatter().parse(self.template) if f is not None}
        values = {k for k, v in self.declared.items() if not isinstance(v, Shapes)}
        shaped = {k for k, v in self.declared.items() if isinstance(v, Shapes)}
        problems = []
        if fields != values:
            problems.append(f"the call's placeholders {sorted(fields)} differ from the arguments {sorted(values)}")
        if shaped - set(inputs):
            problems.append(f"Shapes for {sorted(shaped - set(inputs))}, which are not inputs")
        if values & set(inputs):
            problems.append(f"arguments {sorted(values & set(inputs))} shadow inputs")
        for k, v in self.declared.items():
            if not isinstance(v, (Choice, Dim, Dims, Shapes)):
                problems.append(f"argument {k!r} is declared by {v!r}, not Choice, Bool, Dim, Dims or Shapes")
            elif isinstance(v, (Dim, Dims)) and v.of not in inputs:
                problems.append(f"argument {k!r} names dims of {v.of!r}, which is not an input")
        try:
            inspect.signature(self.spec).bind(*inputs, **dict.fromkeys(values))
        except TypeError:
            problems.append(f"the spec does not take the inputs {inputs} and the arguments {sorted(values)} as "
                            "keywords")
        if problems:
            raise CatalogueError(f"catalogue entry {name!r}: " + "; ".join(problems))

    def shape_choices(self) -> dict[str, list[tuple]]:
        """Input name -> its shapes, declared first (only the inputs with ``Shapes``)."""
        return {k: [self.shapes[k], *(a for a in v.alternatives if a != self.shapes[k])]
                for k, v in self.declared.items() if isinstance(v, Shapes)}

    def value_names(self) -> list[str]:
        return [k for k, v in self.declared.items() if not isinstance(v, Shapes)]

    def choices(self, name: str, shapes: dict) -> list:
        return self.declared[name].choices(shapes)

    def allows(self, values: dict, shapes: dict) -> bool:
        return self.where is None or bool(self.where(values, shapes))

    def default(self) -> tuple[dict, dict]:
        """The simplest signature the constraint allows: (argument values, input shapes)."""
        for values, shapes in self.signatures():
            return values, shapes
        raise CatalogueError(f"the argument space of {self.template!r} allows no signature")

    def signatures(self):
        """Every (values, shapes) signature the space allows, simplest first (for the kit's tests and reports)."""
        shaped = self.shape_choices()
        for picked in product(*shaped.values()):
            shapes = {**self.shapes, **dict(zip(shaped, picked))}
            names = self.value_names()
            for combo in _combinations(self, names, shapes):
                if self.allows(combo, shapes):
                    yield combo, shapes

    def call(self, values: dict) -> str:
        return self.template.format(**{k: repr(v) for k, v in values.items()})


def _combinations(space: Space, names: list[str], shapes: dict):
    if not names:
        yield {}
        return
    for rest in _combinations(space, names[1:], shapes):
        for v in space.choices(names[0], shapes):
            yield {names[0]: v, **rest}


def signature_text(values: dict) -> str:
    """``dim=1, keepdim=True``: how a failure names the drawn arguments."""
    return ", ".join(f"{k}={v!r}" for k, v in values.items())
