"""The op-coverage report: what an entry's call covers, and its reference list (torch's OpInfo database)."""
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
    assert source.startswith("OpInfo op_db of torch ")
    assert "sin" in table["sin"]
    assert all(isinstance(v, list) for v in table.values())


def _without_expecttest(monkeypatch):
    """torch.testing._internal fails to import as it does where expecttest is not installed."""
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name.startswith("torch.testing._internal"):
            raise ModuleNotFoundError("No module named 'expecttest'", name="expecttest")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)


def test_without_op_db_the_command_names_what_is_missing_and_gives_no_figure(monkeypatch, capsys):
    _without_expecttest(monkeypatch)
    for args in ([], ["--markdown"]):
        assert coverage.main(args) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == ("error: op coverage needs torch's OpInfo database (torch.testing._internal."
                       "common_methods_invocations), which needs the expecttest package, not installed here: "
                       "pip install expecttest (or the kit's extra: pip install 'autograd-conformance[coverage]')\n")
    assert coverage.main(["--list"]) == 0 and "sin" in capsys.readouterr().out  # the entries need no reference
    with pytest.raises(coverage.NoReference, match="needs the expecttest package"):
        coverage.coverage()


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
