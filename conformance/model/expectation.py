"""One ledger of expectations: each declaration is an ``Expectation`` whose typed ``Selector`` says which items it
covers.

Every declaration the kit has of an item other than "it passes" becomes an ``Expectation``: a catalogue entry's
``deviations=``, ``unsupported=``, ``unmodelled=``, ``widened=`` keys and its ``removed_since=``, a conventions
row's deviation, a line of a per-version file (``deviations/torch-X.Y.txt``).  Its ``Selector`` names the items
it applies to by what an item is (its ``Facts``): the catalogue entry or conventions row, the property (a test
function) or an autograd feature the property requires, the dtype, the device type, the torch.compile backend, an
exact pytest id, and the torch releases (``VersionRange(since, until)``).  A field left None matches any item.

The catalogue keeps its short key syntax, parsed once into Selectors (``Selector.parse``; ``Selector.key()`` writes
it back):

==========================================  ===================================================================
key                                         selects
==========================================  ===================================================================
``float16``                                 every property of the entry in that dtype
``double_backward``                         the properties requiring that feature (or one implying it)
``double_backward:float16``                 ... in that dtype
``test_hessian``                            that property (its test function)
``test_compile_mutation[inductor]``         that property under one torch.compile backend
``test_hessian:float16``, ``...[b]:dtype``  ... in that dtype
==========================================  ===================================================================

The collection-time decision (``Case.status``, ``conformance.plugin.session.decide``) and the ledger
(``python -m conformance expectations``) read the same Expectations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import torch
from torch.torch_version import TorchVersion

from conformance.model import dtypes
from conformance.model.error import CatalogueError
from conformance.model.status import Status

PROPERTY = re.compile(r"(test_\w+)(?:\[(\w+)\])?")  # a property key: test_NAME, or test_NAME[backend]


def release(version: str | None = None) -> TorchVersion:
    """``version`` (default: the installed torch's) as a comparable version."""
    return TorchVersion(str(version or torch.__version__))


@dataclass(frozen=True)
class VersionRange:
    """The torch releases an expectation holds for: from ``since`` (included) to ``until`` (excluded, the first
    release without it: a fix); None: unbounded on that side."""
    since: str | None = None
    until: str | None = None

    def __post_init__(self):
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not re.fullmatch(r"\d+(\.\d+)*", str(value)):
                raise ValueError(f"a torch range's {name} must be a release like 2.14, not {value!r}")
        if self.since and self.until and release(self.until) <= release(self.since):
            raise ValueError(f"an empty torch range: since {self.since} is not before until {self.until}")

    def holds(self, version: str | None = None) -> bool:
        """Whether ``version`` (default: the installed torch's) lies in the range."""
        v = release(version)
        return not (self.until and v >= self.until) and not (self.since and v < self.since)

    def __str__(self) -> str:
        parts = [f"since {self.since}"] * bool(self.since) + [f"until {self.until}"] * bool(self.until)
        return ", ".join(parts) or "any"


@dataclass(frozen=True)
class Facts:
    """What a collected item is, as a Selector reads it.  ``features``: those its property requires, with the ones
    they imply (``conformance.model.case.expanded``)."""
    entry: str | None = None  # the catalogue entry or conventions row it checks
    property: str | None = None  # its test function
    features: tuple[str, ...] = ()
    dtype: str | None = None
    device_type: str | None = None
    compile_backend: str | None = None
    test_id: str | None = None  # its exact pytest id


@dataclass(frozen=True)
class Selector:
    """Which items an expectation covers: each field given must match the item's fact (None: any).

    ``property`` and ``feature`` exclude each other; ``test_id`` (a per-version file's line) selects one item."""
    entry: str | None = None
    property: str | None = None
    feature: str | None = None
    dtype: str | None = None
    device_type: str | None = None
    compile_backend: str | None = None
    test_id: str | None = None
    torch: VersionRange = field(default_factory=VersionRange)

    def __post_init__(self):
        if self.property is not None and self.feature is not None:
            raise ValueError(f"a selector names a property ({self.property}) or a feature ({self.feature}), not both")
        if self.compile_backend is not None and self.property is None and self.test_id is None:
            raise ValueError("a selector's compile backend narrows a property: give the property too")
        if self.dtype is not None and self.dtype not in dtypes.NAMES:
            raise ValueError(f"a selector's dtype {self.dtype!r} is unknown; known: {', '.join(dtypes.NAMES)}")

    def matches(self, facts: Facts, version: str | None = None) -> bool:
        """Whether the item ``facts`` describe is selected, on torch ``version`` (default: the installed one;
        ``version=False``: on any release)."""
        return ((self.entry is None or self.entry == facts.entry)
                and (self.property is None or self.property == facts.property)
                and (self.feature is None or self.feature in facts.features)
                and (self.dtype is None or self.dtype == facts.dtype)
                and (self.device_type is None or self.device_type == facts.device_type)
                and (self.compile_backend is None or self.compile_backend == facts.compile_backend)
                and (self.test_id is None or self.test_id == facts.test_id)
                and (version is False or self.torch.holds(version)))

    def rank(self, facts: Facts) -> tuple:
        """The order in which the expectations matching one item apply (the first covering a failure is the one
        reported): the dtype's, then the features' in the property's order, each alone before with its dtype,
        then the property's, alone, of its backend, in its dtype, of its backend in its dtype."""
        if self.feature is not None:
            index = facts.features.index(self.feature) if self.feature in facts.features else len(facts.features)
            return (1 + (self.dtype is not None), index)
        if self.property is not None:
            return (3, 2 * (self.dtype is not None) + (self.compile_backend is not None))
        return (0,) if self.dtype is not None else (4,)

    @classmethod
    def parse(cls, key: str, entry: str | None = None, features=(), torch: VersionRange | None = None) -> Selector:
        """The Selector of a catalogue key (the table of the module's doc) on ``entry``; ``features``: the features
        a key may name.  A key of no known shape raises ValueError naming it."""
        head, colon, dtype = str(key).partition(":")
        if colon and dtype not in dtypes.NAMES:
            raise ValueError(f"key {key!r}: {dtype!r} after ':' is not a dtype ({', '.join(dtypes.NAMES)})")
        dtype = dtype or None
        torch = torch or VersionRange()
        if head in dtypes.NAMES and not colon:
            return cls(entry, dtype=head, torch=torch)
        if head in features:
            return cls(entry, feature=head, dtype=dtype, torch=torch)
        prop = PROPERTY.fullmatch(head)
        if prop:
            return cls(entry, property=prop.group(1), compile_backend=prop.group(2), dtype=dtype, torch=torch)
        raise ValueError(f"key {key!r} is neither a dtype ({', '.join(dtypes.NAMES)}), a feature "
                         f"({', '.join(sorted(features))}), a property (test_NAME, test_NAME[backend]), nor "
                         "feature:dtype or property:dtype")

    def key(self) -> str:
        """The catalogue's short key of this selector (a per-version file's: its test id)."""
        if self.test_id is not None:
            return self.test_id
        head = self.feature or (f"{self.property}[{self.compile_backend}]" if self.compile_backend else self.property)
        return f"{head}:{self.dtype}" if head and self.dtype else head or self.dtype or "*"

    def columns(self) -> dict[str, str]:
        """The selector's typed fields as text (``-``: any; a per-version line's entry: its test id), for the
        ledger."""
        return {"entry": self.entry or self.test_id or "-", "property/feature": self.property or self.feature or "-",
                "dtype": self.dtype or "-", "device": self.device_type or "-", "backend": self.compile_backend or "-",
                "torch": str(self.torch)}


@dataclass(frozen=True)
class Expectation:
    """One declaration: the ``Status`` it gives the items its ``selector`` matches, and where it is declared
    (``where``: file:line; ``field``: the declaring field and key, ``deviations[float16]``).  ``repro``: a link or
    plain-torch repro kept apart from the reason (a per-version file's third field; catalogue reasons hold theirs)."""
    status: Status
    selector: Selector
    where: str | None = None
    field: str = ""
    repro: str | None = None

    def __post_init__(self):
        expected = VersionRange(self.status.since, self.status.until)
        if self.selector.torch != expected:
            object.__setattr__(self, "selector", replace(self.selector, torch=expected))

    @property
    def kind(self) -> str:
        return self.status.kind

    @property
    def reason(self) -> str:
        return self.status.reason

    @property
    def envelope(self) -> float | None:
        return self.status.envelope

    @property
    def symptom(self) -> tuple[str, ...]:
        return self.status.symptoms

    @property
    def since(self) -> str | None:
        return self.selector.torch.since

    @property
    def until(self) -> str | None:
        return self.selector.torch.until

    def matches(self, facts: Facts, version: str | None = None) -> bool:
        return self.selector.matches(facts, version)


def parse_keys(name: str, declared: dict, what: str, features, statuses=lambda v: v, until: str | None = None,
               where: str | None = None) -> tuple[Expectation, ...]:
    """The Expectations of one catalogue field (``what``: ``deviations`` ...) of entry ``name``: each key parsed
    once; a malformed one is a CatalogueError naming the entry, the field and the key.  ``statuses``: the Status
    of a declared value; ``until``: the entry's bound on them (a fix)."""
    out = []
    for key, value in declared.items():
        try:
            selector = Selector.parse(key, name, features)
        except ValueError as exc:
            raise CatalogueError(f"catalogue entry {name!r}: {what} {exc}") from None
        status = statuses(value)
        status = replace(status, until=until) if until is not None else status
        out.append(Expectation(status, selector, where, f"{what}[{key}]"))
    return tuple(out)


def ordered(expectations, facts: Facts, version: str | None = None) -> list[Expectation]:
    """The expectations matching ``facts`` on torch ``version``, in the order they apply (``Selector.rank``)."""
    found = [e for e in expectations if e.matches(facts, version)]
    return sorted(found, key=lambda e: e.selector.rank(facts))
