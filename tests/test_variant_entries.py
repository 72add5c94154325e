"""The variants module's entries: each names the op it is written for, as the coverage tool reads its call."""
import pytest

from conformance.catalogue import variants
from conformance.tools.coverage import referenced

ENTRIES = {c.name: c for c in variants.ENTRIES}

# entry -> the reference op (OpInfo's name) its call must cover
OPS = {name: name for name in ENTRIES if "." not in name or name == "linalg.vander"}
OPS.update({"put_accumulate": "put", "Tensor.H": "H", "Tensor.__radd__": "__radd__", "Tensor.__rsub__": "__rsub__",
            "Tensor.__rdiv__": "__rdiv__", "Tensor.__rmod__": "__rmod__", "Tensor.__rmatmul__": "__rmatmul__"})


@pytest.mark.parametrize("name", sorted(OPS))
def test_entry_covers_its_op(name):
    assert OPS[name] in referenced(ENTRIES[name]), f"{name}: {ENTRIES[name].call} reads as {referenced(ENTRIES[name])}"


def test_every_entry_is_checked_here():
    assert set(OPS) == set(ENTRIES)
