"""The torch.compile properties (cases/test_compile.py) as a user runs them: silent on sound entries with
every backend, and killing an injected wrong backward.

Each run is a pytest process of its own (a fault is installed for a whole run), started by the kit's fault
runner (``conformance.faults.runner``: ``-x``, the ``ci`` profile, no shrinking); outcomes per item are
read from the run's JUnit XML.  A backend the plugin cannot run here (inductor without a C++ compiler) is
skipped with the plugin's reason.
"""
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch
from _cases import load_cases

from conformance.catalogue import CATALOGUE
from conformance.faults.runner import Runner, pytest_args
from conformance.model.case import entry
from conformance.model.domain import Index, Real
from conformance.run.trial import Trial

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("eager", "aot_eager", "inductor")
PROPERTIES = ("test_compile_vjp", "test_compile_accumulation", "test_compile_mutation")
ENTRIES, DTYPES = ("sin", "mm"), ("float32", "float64")
FAULT = "sin.scale-1e-3"  # aten::sin's backward off by a relative 1e-3


def _args(xml: Path, backends, *selection: str) -> list[str]:
    return pytest_args(["cases/test_compile.py", "--compile-backend", ",".join(backends), *selection],
                       ["-p", "no:logging", f"--junitxml={xml}"])


def _items(xml: Path) -> dict[str, tuple[str, str]]:
    """Each test of a run's JUnit XML -> (outcome, message)."""
    items = {}
    for case in ET.parse(xml).iter("testcase"):
        marks = [m for m in case if m.tag in ("failure", "error", "skipped")]
        outcome = "passed" if not marks else {"failure": "failed", "error": "error"}.get(marks[0].tag, "skipped")
        items[case.get("name")] = (outcome, marks[0].get("message", "") if marks else "")
    return items


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One run without fault over ``ENTRIES`` and every backend; one run per backend with ``FAULT``
    (float64 weighted backward of sin: one item)."""
    tmp = tmp_path_factory.mktemp("compile")
    plan = {"sound": (None, _args(tmp / "sound.xml", BACKENDS, "--op", ",".join(ENTRIES)))}
    for b in BACKENDS:
        plan[b] = (FAULT, _args(tmp / f"{b}.xml", [b], "--op", "sin", "--dtype", "float64", "-k", "test_compile_vjp"))
    outcomes = dict(zip(plan, Runner(ROOT).run(list(plan.values()))))
    for name, outcome in outcomes.items():
        if not (tmp / f"{name}.xml").is_file():
            pytest.fail(f"the {name} run wrote no report: {outcome.describe()}")
    return {name: (outcome, _items(tmp / f"{name}.xml")) for name, outcome in outcomes.items()}


def _of(items: dict, backend: str) -> dict:
    """The items of one backend; an unusable backend skips the test with the plugin's reason."""
    mine = {name: o for name, o in items.items() if f"-{backend}-" in name}
    assert mine, f"no item ran backend {backend}: {sorted(items)}"
    if all(outcome == "skipped" for outcome, _ in mine.values()):
        pytest.skip(f"backend {backend} cannot run here: {next(iter(mine.values()))[1]}")
    return mine


@pytest.mark.parametrize("backend", BACKENDS)
def test_compile_properties_pass_on_sound_entries(runs, backend):
    """Every (property, entry, dtype) item of the backend runs and passes: zero false alarms."""
    outcome, items = runs["sound"]
    mine = _of(items, backend)
    assert set(mine) == {f"{p}[{e}-{backend}-{d}]" for p in PROPERTIES for e in ENTRIES for d in DTYPES}
    declared = {f"{p}[{e}-{backend}-{d}]" for p in PROPERTIES for e in ENTRIES for d in DTYPES
                if CATALOGUE[e].status(d, (), f"{p}[{backend}]") is not None}  # xfailed: skipped in JUnit
    assert {name: o for name, o in mine.items() if o[0] != ("skipped" if name in declared else "passed")} == {}, \
        outcome.describe()


@pytest.mark.parametrize("backend", BACKENDS)
def test_compile_vjp_kills_a_wrong_sin_backward(runs, backend):
    """With aten::sin's backward scaled by 1 + 1e-3, the gradient through ``torch.compile`` fails its bound
    for every backend: Dynamo's graph runs the patched formula (eager), AOTAutograd traces it (aot_eager),
    and Inductor compiles it (its on-disk caches are off under a fault, see cases/test_compile.py)."""
    outcome, items = runs[backend]
    mine = _of(items, backend)
    assert set(mine) == {f"test_compile_vjp[sin-{backend}-float64]"}
    ((status, message),) = mine.values()
    assert outcome.status == "killed" and status == "failed", outcome.describe()
    assert "deviates from the exact vᵀJ through torch.compile" in message, message


# An entry with a non-differentiable input, which f reads as a global: each example must see its own.
GATHER = entry("gather_by_index_input", "torch.gather(x, 0, idx)",
               lambda x, idx: np.array([x[int(i)] for i in idx], dtype=object),
               x=Real(shape=(3,)), idx=Index(3, shape=(2,)))


def test_one_compilation_serves_every_example_with_its_own_inputs(cpu):
    """Examples of one (entry, dtype, backend, device) share one compiled function: Dynamo compiles once,
    yet each example's integer inputs are the ones its gradient uses (checked against the oracle)."""
    cases = load_cases("test_compile.py")
    graphs = []

    def counting(gm, example_inputs):  # a backend that runs Dynamo's graph as is, counting compilations
        graphs.append(gm)
        return gm.forward

    for idx in ([0, 2], [1, 1], [2, 0]):
        t = Trial(GATHER, torch.float64, cpu, None, "compile",
                  values={"x": np.array([1.0, 2.0, 3.0]), "idx": np.array(idx)})
        y = cases._compiled_forward(t, cases._compiled(t, counting))
        vs = t.weights(values=[np.array([1.0, 10.0])])
        t.backward(y, vs)
        t.check(t.expected(vs))
        assert f"cf = torch.compile(f, backend={counting!r})" in t.script
    assert len(graphs) == 1


def test_a_wrapped_exception_reports_its_cause():
    """torch.compile wraps what its traced backward raises (BackendCompilerFailed, ``inner_exception``): the failure
    text names the cause, so a contract's symptom (an eager backward's error) is seen under compile too."""
    from conformance.run.trial import Script

    class Wrapper(Exception):
        def __init__(self, inner):
            super().__init__("backend='aot_eager' raised:")
            self.inner_exception = inner

    class Probe(Script):
        def __init__(self):
            self.lines, self.ns, self.titles = [], {"Wrapper": Wrapper}, []

        def fail(self, title, *args, **kwargs):
            self.titles.append(title)

    probe = Probe()
    probe.run("raise Wrapper(RuntimeError('modified by an inplace operation'))")
    probe.run("raise ValueError('plain') from KeyError('why')")
    probe.run("raise ValueError('alone')")
    assert probe.titles == [
        "`raise Wrapper(RuntimeError('modified by an inplace operation'))` raised Wrapper: backend='aot_eager' "
        "raised: (from RuntimeError: modified by an inplace operation)",
        "`raise ValueError('plain') from KeyError('why')` raised ValueError: plain (from KeyError: 'why')",
        "`raise ValueError('alone')` raised ValueError: alone"]
