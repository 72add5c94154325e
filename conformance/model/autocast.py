"""torch.autocast's cast policies, as the autocast property checks them (``cases/test_autocast.py``).

Under ``torch.autocast(device_type, dtype=low)`` each listed op casts its floating inputs before it runs
(aten/src/ATen/autocast_mode.cpp); the casts are part of the function autocast computes, so its exact
derivative is the oracle's at the inputs as cast (``conformance.exact.rounding``):

- ``lower``: every floating input is cast to ``low`` and the op runs there (matmul, linear, conv...):
  the output is ``low``; the exact value is taken at every input rounded to ``low``, bounded in ``low``'s
  roundoff (the reduced-precision error model of the tolerance policy).
- ``fp32``: inputs in ``low`` are cast up and the op runs in float32 (losses, prod, linear algebra...):
  fed ``low`` inputs, the output is float32, bounded in float32's roundoff, and the gradient reaching
  each input is rounded once to ``low`` by its cast's backward.
- ``promote``: the op runs in the widest of its inputs' dtypes (cat, stack, index_copy...): its first
  floating input is fed in ``low``, the others in float32; the output is float32, and only the first
  input's gradient is rounded to ``low``.

A ``Policy`` names catalogue entries whose whole call is one listed op (or a composition of ops of one
list): the catalogue's table (``conformance.catalogue.autocast``) holds them per device type.
"""
from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("lower", "fp32", "promote")


class PolicyError(ValueError):
    """A malformed autocast policy table."""


@dataclass(frozen=True)
class Policy:
    """One device type's lists: ``dtypes`` the reduced-precision dtypes its autocast accepts; ``source`` where the
    lists come from (torch's file and the release read); ``verified`` how the table was checked against torch."""

    device: str
    dtypes: tuple[str, ...]
    lower: tuple[str, ...]
    fp32: tuple[str, ...]
    promote: tuple[str, ...]
    source: str
    verified: str

    def __post_init__(self):
        seen: dict[str, str] = {}
        for category in CATEGORIES:
            for name in getattr(self, category):
                if name in seen:
                    raise PolicyError(f"autocast policy {self.device!r}: entry {name!r} is in both {seen[name]!r} "
                                      f"and {category!r}")
                seen[name] = category

    def category(self, name: str) -> str | None:
        """The list entry ``name`` is in (None: autocast leaves it alone on this device)."""
        return next((c for c in CATEGORIES if name in getattr(self, c)), None)

    @property
    def entries(self) -> tuple[str, ...]:
        return self.lower + self.fp32 + self.promote
