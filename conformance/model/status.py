"""One Status for everything that is not a plain pass, and the one place that decides it.

Every expectation the kit has of an item other than "it passes" is a ``Status``:

============  ===============================================================  =========================
kind          meaning                                                          outcome
============  ===============================================================  =========================
absent        the call is missing from the installed torch                     skip, with the name
removed       a torch release removed the call (``since``)                     skip, naming the release
unsupported   torch lacks an autograd feature for the entry                    skip, with torch's reason
unmodelled    the kit's error model does not yet cover the entry in a mode     skip, with the kit's gap
dtype         the entry or the device does not support the dtype               skip, with the reason
deviation     a documented torch deviation: a value off its bound, within its  xfail of that failure only
              envelope (``Deviation(reason, relative=...)``, measured)
contract      a documented torch deviation that breaks a contract              xfail of that failure only
listed        a line of ``deviations/torch-X.Y.txt`` (one torch version)       xfail
widened       the kit's error model undercounts torch's rounding in a mode:    runs, bound × ``widen``
              a measured factor (``Widening(reason, factor)``)                 (a plain pass otherwise)
============  ===============================================================  =========================

Declarations (catalogue entries' ``deviations=``/``unsupported=``/``unmodelled=``/``widened=``/``until``/
``removed_since``, conventions rows' ``deviation``/``until``/``torch_gives``, per-version files) all
become Status values, each held by an ``Expectation`` with the typed ``Selector`` of the items it covers
(``conformance.model.expectation``); ``decide`` picks the one that applies to an item, at collection, and the
plugin applies its mark (``conformance.plugin.session.status_mark``) and hands it to the trial it builds
(the ``status`` fixture), which raises ``KnownDeviation`` only for a failure the Status covers, and
multiplies its bounds by the Status's ``widen`` (1 unless a widening applies; a deviation of a widened
mode carries the widening too).
``until`` names the first torch release without the deviation: from it on the Status no longer holds and
the check is strict; ``since`` the first release with it.  These two are the kit's one naming of version bounds.

Every expected failure is strict.  A deviation that shows at some draws only carries a condition (``when``,
``conformance.model.condition``) that holds exactly where it shows: a failure at a draw meeting it is covered
(the item xfails), a failure at another draw fails; an item whose draws met the condition without the
deviation showing fails (torch may have fixed it); an item whose draws never met it passes, checked strictly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch.torch_version import TorchVersion

from conformance.model.condition import Condition

SKIPS = ("absent", "removed", "unsupported", "unmodelled", "dtype")
EXPECTED_FAILURES = ("deviation", "contract", "listed")
KINDS = SKIPS + EXPECTED_FAILURES + ("widened",)


@dataclass(frozen=True)
class Status:
    kind: str
    reason: str
    until: str | None = None  # the first torch release where it no longer holds (a fix)
    since: str | None = None  # the first torch release where it holds (a removal)
    strict: bool = False      # the deviation must reproduce: a pass fails (torch's own value is pinned)
    envelope: float | None = None  # numeric: the largest relative error beyond the bound it covers (measured)
    widen: float = 1.0        # the factor on the item's bounds (a measured widening of the kit's error model)
    accuracy: float = 0.0     # torch's measured relative accuracy where worse than its dtype's: each term the
                              # running-error bound E counts may carry it, so the bound grows by accuracy x E
    when: Condition | None = None  # where it shows: the draws meeting this condition; the others are strict
    symptom: str | tuple[str, ...] | None = None  # text the failure must show (an exception's message, torch's
                                                   # pinned value); a tuple: any one of them (several contracts)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown status kind {self.kind!r}; known: {', '.join(KINDS)}")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError(f"a {self.kind} status needs a reason")
        if self.envelope is not None and not (isinstance(self.envelope, (int, float)) and self.envelope > 0):
            raise ValueError(f"a {self.kind} status's envelope must be a positive relative error, not "
                             f"{self.envelope!r}")
        if not (isinstance(self.widen, (int, float)) and 1 <= self.widen < float("inf")):
            raise ValueError(f"a {self.kind} status's widening must be a finite factor >= 1, not {self.widen!r}")
        if self.kind == "contract" and not all(isinstance(t, str) and t.strip() for t in self.symptoms or ("",)):
            raise ValueError(f"a contract status needs its symptom, the text its failure shows (an exception's "
                             f"message): {self.reason[:80]!r}")
        if self.when is not None and not isinstance(self.when, Condition):
            raise TypeError(f"a {self.kind} status's condition must be a Condition, not {self.when!r}")
        if not (isinstance(self.accuracy, (int, float)) and 0 <= self.accuracy < 1):
            raise ValueError(f"a {self.kind} status's accuracy must be a relative error in [0, 1), not "
                             f"{self.accuracy!r}")
        if self.kind == "widened" and self.widen == 1 and not self.accuracy:
            raise ValueError("a widened status needs its measured factor > 1 (Widening(reason, factor)) or torch's "
                             "measured accuracy (Accuracy(reason, relative))")

    def __str__(self) -> str:
        return self.reason

    @property
    def symptoms(self) -> tuple[str, ...]:
        """The texts of which a covered failure shows one (none: any failure of the kind)."""
        return () if self.symptom is None else (self.symptom,) if isinstance(self.symptom, str) else self.symptom

    def holds(self, version: str | None = None) -> bool:
        """Whether the Status applies to this torch version (default: the installed one)."""
        version = TorchVersion(version or torch.__version__)
        return not (self.until and version >= self.until) and not (self.since and version < self.since)

    @property
    def skips(self) -> bool:
        return self.kind in SKIPS

    def covers(self, numeric: bool, relative: float | None = None, message: str | None = None) -> bool:
        """Whether a failure (numeric: a value off its bound, ``relative`` its worst element's error beyond the
        bound relative to the exact value, where the check knows it; else a broken contract; ``message`` its
        text) is this deviation.  A deviation with an ``envelope`` covers only numeric failures within it: a
        wrong sign (relative 2) or a larger error still fails.  With a ``symptom``, only a failure whose text
        shows it (a contract's exception; a deviation's pinned value): another exception or value fails."""
        if self.kind == "listed":
            return True
        shows = self.symptom is None or (message is not None and any(t in message for t in self.symptoms))
        if self.kind == "contract" and not numeric:
            return shows
        if self.kind not in ("deviation", "contract") or not numeric or (self.kind == "deviation" and not shows):
            return False
        if self.envelope is None:
            return self.kind == "deviation"
        return relative is not None and relative <= self.envelope

    def outside(self, relative: float | None) -> str:
        """Why a numeric failure is not this deviation (for the failure message), or ''."""
        if self.envelope is None or self.kind not in ("deviation", "contract"):
            return ""
        got = "unknown" if relative is None else f"{relative:.3g}"
        return (f"outside the envelope of a known deviation: relative error beyond the bound {got}, the "
                f"deviation covers up to {self.envelope:.3g} ({self.reason[:120]})")

    def shows_at(self, draw) -> bool:
        """Whether the deviation covers a failure at ``draw`` (the running trial): at every draw, or with a
        condition, at the draws meeting it (the others are strict)."""
        return self.when is None or self.when(draw)

    def strict_here(self) -> str:
        """Why a failure the deviation would cover fails at this draw (for the failure message)."""
        return (f"strict at this draw: the known deviation covers only draws meeting its condition "
                f"({self.when}), and this draw does not ({self.reason[:120]})")

    def unshown(self, met: int) -> str:
        """Why an item whose draws met the condition without the deviation showing fails (what to record)."""
        return (f"the known deviation did not show at {met} draw{'s' * (met != 1)} meeting its condition "
                f"({self.when}): torch {torch.__version__} may have fixed it; record the release that fixed it "
                f"(the entry's or the row's until=) or narrow the condition.  The deviation: {self.reason}")


def deviation(reason) -> Status:
    """A catalogue or conventions deviation: a plain string covers numeric failures, a Status as given."""
    return reason if isinstance(reason, Status) else Status("deviation", str(reason))


def Deviation(reason: str, relative: float, when: Condition | None = None, strict: bool = False) -> Status:  # noqa: N802
    """A documented torch deviation of a value: it covers numeric failures whose worst element is within
    ``relative`` (the measured relative error, beyond the bound) of the exact value, and nothing else.
    ``when``: it shows exactly at the draws meeting this condition (the others are strict)."""
    return Status("deviation", reason, envelope=relative, when=when, strict=strict)


OVERFLOW_SYMPTOM = "inf, exact"  # how a check's worst element reads when torch gave ±inf for a finite exact value
NAN_SYMPTOM = "got nan, exact"  # ... and when torch gave NaN (an overflowed intermediate times 0, or inf - inf)


ZERO_SYMPTOMS = ("got 0.0, exact", "got -0.0, exact")  # ... and when torch gave ±0 (a divisor that overflowed)


def Overflow(reason: str, when: Condition, nan: bool = False, inf: bool | None = None,  # noqa: N802
             zero: bool = False) -> Status:
    """A documented intermediate overflow of torch's formula in a reduced-precision dtype, at the draws meeting
    ``when`` (an exact intermediate past the dtype's largest): it
    covers a failure whose worst element is ±inf where the exact value is finite (``nan=True``: NaN, the
    overflowed intermediate times a zero or less an infinity, instead; with ``inf=True`` as well, either;
    ``zero=True``: ±0, the overflowed intermediate as a divisor), and nothing else (another finite wrong value
    or a wrong sign still fails)."""
    inf = not (nan or zero) if inf is None else inf
    symptoms = (NAN_SYMPTOM,) * nan + (OVERFLOW_SYMPTOM,) * inf + ZERO_SYMPTOMS * zero
    if not symptoms:
        raise ValueError(f"an Overflow covers ±inf, NaN, ±0 or several, not none: {reason[:80]!r}")
    if not isinstance(when, Condition):
        raise TypeError(f"an Overflow needs its condition, the draws where the intermediate overflows: {reason[:80]!r}")
    return Status("deviation", reason, envelope=math.inf, when=when,
                  symptom=symptoms[0] if len(symptoms) == 1 else symptoms)


def Where(reason: str, when: Condition) -> Status:  # noqa: N802 - reads as the declaration it is
    """A feature- or property-keyed deviation (any numeric failure there) that shows exactly at the draws
    meeting ``when``; the other draws are strict."""
    if not isinstance(when, Condition):
        raise TypeError(f"Where needs a Condition, not {when!r}: {reason[:80]!r}")
    return Status("deviation", reason, when=when)


def Always(reason: str) -> Status:  # noqa: N802 - reads as the declaration it is
    """A feature- or property-keyed deviation that shows at every draw: strict, a pass fails (torch changed)."""
    return Status("deviation", reason, strict=True)


def Contract(reason: str, symptom: str, relative: float | None = None, strict: bool = False,  # noqa: N802
             when: Condition | None = None) -> Status:
    """A documented torch deviation that breaks autograd's contract (an exception, a broken layout), not
    only a value: it covers the contract failures whose text shows ``symptom`` (the exception's message),
    and with ``relative`` also the numeric failures within that envelope.  ``strict``: it breaks at every
    draw; ``when``: exactly at the draws meeting this condition (the others are strict)."""
    return Status("contract", reason, envelope=relative, strict=strict, when=when, symptom=symptom)


def Widening(reason: str, factor: float) -> Status:  # noqa: N802 - reads as the declaration it is
    """Where the kit's running-error model undercounts the rounding of torch's formula in a mode (the
    formula cancels terms the exact expression never forms): the mode runs with its bounds multiplied by
    ``factor``, measured (``benchmarks/widenings.py``) and stated in the policy.  A sign error or an error
    ``factor`` times beyond the model still fails."""
    return Status("widened", reason, widen=float(factor))


def Accuracy(reason: str, relative: float) -> Status:  # noqa: N802 - reads as the declaration it is
    """A documented accuracy loss of torch's (a function torch computes less accurately than its dtype allows, at
    every input or at some): every term the element's running-error bound E counts may carry ``relative``, torch's
    measured accuracy (with its command), so the bound grows by ``relative`` x E.  The items run as strict checks,
    never as expected failures: an error past the documented accuracy (a wrong sign, a larger loss) fails; the
    ledger lists the declaration with the items it covers.  For a loss that shows at some draws only and has no
    condition over the draw that holds exactly there."""
    return Status("widened", reason, accuracy=float(relative))


def widest(statuses) -> Status | None:
    """The widening of several that hold at once: the largest factor and the largest documented accuracy."""
    statuses = [s for s in statuses if s is not None]
    if not statuses:
        return None
    chosen = max(statuses, key=lambda s: (s.widen, s.accuracy))
    return replace(chosen, widen=max(s.widen for s in statuses), accuracy=max(s.accuracy for s in statuses))


def first(*statuses: Status | None) -> Status | None:
    """The first Status that holds for the installed torch (skips before expected failures, expected failures
    before a widening), carrying the largest widening that holds."""
    live = [s for s in statuses if s is not None and s.holds()]
    chosen = next((s for s in live if s.skips), next((s for s in live if s.kind != "widened"), None))
    widening = widest(live)
    if chosen is None or chosen.skips or widening is None:
        return widening if chosen is None else chosen
    return replace(chosen, widen=widening.widen, accuracy=widening.accuracy)
