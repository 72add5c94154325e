"""The op-coverage report: what an entry's call covers, and the reference list with its fallback."""
import builtins

import pytest

from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.domain import Real
from conformance.tools import coverage


@pytest.mark.parametrize("call, names", [
    ("torch.sin(x)", {"sin"}),
    ("x.sin()", {"sin"}),
    ("x.clone().sin_()", {"sin", "clone"}),
    ("torch.linalg.det(a + 3 * torch.eye(3, dtype=a.dtype))", {"linalg.det", "add", "mul", "__rmul__"}),
    ("F.relu(x)", {"nn.functional.relu"}),
    ("torch.max(x, dim=1).values", {"max"}),
    ("x[1:] @ y.mT", {"__getitem__", "matmul", "mT"}),
    ("-x ** 2", {"neg", "pow"}),
    ("torch.ops.aten._safe_softmax.default(x, 0)", {"_safe_softmax", "torch.ops.aten._safe_softmax.default"}),
    ("torch.ops.aten.slice(x, 0, 1)", {"slice", "torch.ops.aten.slice"}),
])
def test_referenced_reads_the_call(call, names):
    assert coverage.referenced(entry("probe", call, s.sin, x=Real(), y=Real(), a=Real())) == names


def test_report_counts_covered_reference_ops():
    source, table = coverage.coverage()
    assert "OpInfo" in source or "fallback" in source or "overridable" in source
    assert "sin" in table["sin"]
    assert all(isinstance(v, list) for v in table.values())


def test_fallback_when_op_db_does_not_import(monkeypatch):
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name.startswith("torch.testing._internal"):
            raise ImportError("no expecttest")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    source, ops = coverage.reference_ops()
    assert "op_db unavailable: ImportError: no expecttest" in source
    assert {"sin", "nn.functional.relu", "linalg.det", "special.i0e"} <= set(ops)


def test_command_prints_summary(capsys):
    assert coverage.main([]) == 0
    out = capsys.readouterr().out
    assert "covered:" in out and "reference ops" in out


def test_every_uncovered_op_has_a_reason():
    """An op the catalogue leaves out is listed with why (``conformance.tools.uncovered``); a reason kept for an
    op the catalogue now covers is stale."""
    from conformance.tools import uncovered
    _, table = coverage.coverage()
    assert not [op for op, entries in table.items() if not entries and op not in uncovered.REASONS]
    assert not [op for op in uncovered.REASONS if table.get(op)]
