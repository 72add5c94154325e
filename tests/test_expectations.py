"""``python -m conformance expectations``: the ledger is the plugin's decisions, item for item (every line an item of
the suite's collection, with the Status the plugin stashed and marked; the counts per kind those decisions'); its
filters and formats; ``--torch X.Y``; usage errors; and docs/deviations.md's generated section is current."""
import fnmatch
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conformance.model.status import EXPECTED_FAILURES, SKIPS
from conformance.tools.expectations import main
from conformance.tools.ledger import installed_release
from conformance.tools.ledger_doc import COMMAND, RELEASE

ROOT = Path(__file__).resolve().parents[1]
# entries with every kind of Status on torch 2.13 and 2.14 (cholesky removed in 2.14, batch_norm's third order a
# contract from 2.14, ldexp_int and the clamp rows fixed in 2.14, multilabel_margin_loss in the per-version file)
OPS = ("sgn,ldexp_int,cdist,copysign,det,fft.rfft,cholesky,nn.functional.batch_norm,"
       "nn.functional.multilabel_margin_loss,clamp*")
SUITE = ["--hypothesis-profile", "nightly", "--compile-backend", "aot_eager,inductor"]  # every mode, every backend
DUMP = '''
import json, os

def pytest_collection_finish(session):
    from conformance.plugin.session import STATUS
    out = {}
    for item in session.items:
        status = item.stash.get(STATUS, None)
        params = getattr(getattr(item, "callspec", None), "params", {})
        subject = params.get("case") or params.get("row")
        out[item.nodeid] = status and [status.kind, status.reason,
                                       sorted(m.name for m in item.iter_markers() if m.name in ("skip", "xfail")),
                                       getattr(subject, "name", None) or getattr(subject, "id", None)]
    with open(os.environ["LEDGER_DUMP"], "w") as f:
        json.dump(out, f)
'''


def _expectations(*args, cwd=ROOT):
    result = subprocess.run([sys.executable, "-m", "conformance", "expectations", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """The ledger of OPS for the installed torch, as JSON (run from another directory than the checkout)."""
    return json.loads(_expectations("--op", OPS, "--format", "json", cwd=tmp_path_factory.mktemp("elsewhere")))


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    """Every item of the suite's own collection of OPS -> [kind, reason, skip/xfail marks] of the Status the
    plugin decided (None: a plain pass)."""
    folder = tmp_path_factory.mktemp("dump")
    (folder / "ledger_dump.py").write_text(DUMP)
    env = {**os.environ, "PYTHONPATH": str(folder), "LEDGER_DUMP": str(folder / "dump.json")}
    result = subprocess.run([sys.executable, "-m", "conformance", "run", "--collect-only", "-q", "-p", "ledger_dump",
                             "-p", "no:xdist", "--op", OPS, *SUITE], cwd=folder, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads((folder / "dump.json").read_text())


def _ops(subject: str) -> bool:
    return any(fnmatch.fnmatchcase(subject, p) for p in OPS.split(","))


def test_every_line_is_a_collected_item_with_the_status_the_plugin_decided(ledger, decided):
    lines = {ln["item"]: ln for ln in ledger["lines"]}
    assert len(lines) == len(ledger["lines"]), "an item listed twice"
    assert set(lines) <= set(decided), f"lines naming no collected item: {sorted(set(lines) - set(decided))[:5]}"
    expected = {item: d for item, d in decided.items() if d is not None and d[3] and _ops(d[3])}
    assert {item: ln["kind"] for item, ln in lines.items()} == {item: d[0] for item, d in expected.items()}
    assert ledger["counts"] == dict(Counter(d[0] for d in expected.values()))
    assert set(ledger["counts"]) == {"unsupported", "unmodelled", "dtype", "deviation", "contract", "listed",
                                     "widened"}
    for item, ln in lines.items():
        kind, reason, marks, _ = decided[item]
        if ln["kind"] != "listed":  # a listed line shows the file's own reason and reference
            assert ln["reason"] == reason
        assert ("skip" in marks) == (kind in SKIPS) or "compile" in item  # a backend that cannot run skips too
        assert ("xfail" in marks) == (kind in EXPECTED_FAILURES)


def test_each_line_names_its_declaration(ledger):
    for ln in ledger["lines"]:
        text = (ROOT / ln["file"]).read_text().splitlines()[ln["line"] - 1] if ln["file"] else ""
        if ln["kind"] == "listed":
            assert ln["file"] == f"conformance/deviations/torch-{installed_release()}.txt"
            assert text.startswith(ln["item"] + " |")
        elif ln["property"] == "test_convention":
            assert ln["file"].endswith("conventions/table.py") and f'row("{ln["subject"]}"' in text
        else:
            assert f'entry("{ln["subject"]}"' in text and ln["declared"].startswith(f"{ln['file']}:{ln['line']} ")
    sgn = [ln for ln in ledger["lines"] if ln["subject"] == "sgn"]
    assert sgn and all(ln["kind"] == "contract" and ln["strict"] and ln["symptom"] == ["ZeroTensors are immutable"]
                       and "sgn deviations[accumulation]" in ln["declaration"] for ln in sgn)
    norm = [ln for ln in ledger["lines"] if ln["subject"] == "nn.functional.batch_norm" and ln["kind"] == "deviation"]
    assert norm and all("(limits." in ln["declaration"] for ln in norm)


def test_the_filters_keep_the_lines_they_name(ledger):
    kept = json.loads(_expectations("--op", "sgn,clamp-at-m*", "--kind", "contract", "--kind", "deviation",
                                    "--dtype", "float32,float64", "--property", "accumulation,test_convention",
                                    "--format", "json"))
    expected = [ln for ln in ledger["lines"] if ln["subject"] in ("sgn", "clamp-at-min", "clamp-at-max")
                and ln["kind"] in ("contract", "deviation") and ln["dtype"] in ("float32", "float64")
                and ln["property"] in ("test_accumulation", "test_convention")]
    assert len(expected) == 6 and kept["lines"] == expected
    assert kept["counts"] == {"deviation": 4, "contract": 2}


def test_text_and_markdown_print_one_row_per_line(ledger):
    expected = [ln for ln in ledger["lines"] if ln["subject"] in ("sgn", "clamp-at-min") and ln["dtype"] == "float32"]
    assert {ln["kind"] for ln in expected} == {"deviation", "contract"}
    text = _expectations("--op", "sgn,clamp-at-min", "--dtype", "float32")
    head, counts, blank, columns, *rows = text.splitlines()
    assert head.startswith(f"expectation ledger for torch {installed_release()} (") and blank == ""
    assert counts == f"{len(expected)} items expected other than a pass: " + ", ".join(
        f"{n} {k}" for k, n in Counter(ln["kind"] for ln in expected).items())
    assert columns.split() == ["kind", "entry", "property", "dtype", "backend", "shows", "bound", "versions",
                               "declared", "reason"]
    assert [r.split()[:4] for r in rows] == [[ln["kind"], ln["subject"], ln["property"], ln["dtype"]]
                                             for ln in expected]
    clamp = rows[[ln["subject"] for ln in expected].index("clamp-at-min")]
    assert " every draw " in clamp and "symptom 'as documented, torch gives'" in clamp and " until 2.14 " in clamp
    markdown = _expectations("--op", "sgn,clamp-at-min", "--dtype", "float32", "--format", "markdown").splitlines()
    assert markdown[:6] == [head, "", counts, "", "| kind | entry | property | dtype | backend | shows | bound | "
                            "versions | declared | reason |", "|---|---|---|---|---|---|---|---|---|---|"]
    assert [r.split(" | ")[:4] for r in markdown[6:]] == [
        ["| " + ln["kind"], ln["subject"], ln["property"], ln["dtype"]] for ln in expected]


def test_another_torch_release_evaluates_until_since_and_its_own_file(ledger):
    later = json.loads(_expectations("--op", OPS, "--format", "json", "--torch", "2.14"))
    assert later["torch"] == "2.14" and "read from the installed torch" in later["note"]
    before = {(ln["subject"], ln["kind"]) for ln in ledger["lines"]}
    after = {(ln["subject"], ln["kind"]) for ln in later["lines"]}
    assert {("ldexp_int", "deviation"), ("clamp-at-min", "deviation"),
            ("nn.functional.multilabel_margin_loss", "listed")} <= before - after  # fixed in 2.14; the 2.13 file
    assert {("cholesky", "removed"), ("nn.functional.batch_norm", "contract")} <= after - before  # from 2.14 on
    assert later["deviations_file"] == "conformance/deviations/torch-2.14.txt"


@pytest.mark.parametrize("args, error", [
    (["--kind", "deviation,skip"], "error: --kind: unknown 'skip'; known: absent, removed, unsupported, unmodelled, "
                                   "dtype, deviation, contract, listed, widened"),
    (["--dtype", "float8"], "error: --dtype: unknown 'float8'; known: float32, float64, bfloat16, float16, complex64, "
                            "complex128"),
    (["--property", "vjpp"], "error: --property: unknown 'vjpp'; known: test_accumulation, "),
    (["--op", "sin", "--op", "sni"], "error: --op: no catalogue entry or conventions row matches 'sni'; closest: "),
    (["--format", "xml"], "error: --format: unknown 'xml'; known: text, markdown, json"),
    (["--torch", "2"], "error: --torch: '2' is not a torch release X.Y (2.14)"),
    (["--bogus"], "error: unrecognized arguments: --bogus"),
])
def test_a_bad_value_is_a_one_line_usage_error(args, error, capsys):
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(error) and err.count("\n") == 1


def test_the_ledger_section_of_the_deviations_document_is_current():
    """docs/deviations.md's ledger is the one the kit decides (regenerate: python -m conformance.tools.ledger_doc)."""
    if installed_release() != RELEASE:
        pytest.skip(f"the section shows torch {RELEASE}'s ledger, whose absent calls are read from the installed torch "
                    f"(installed: {installed_release()})")
    result = subprocess.run([sys.executable, "-m", "conformance.tools.ledger_doc", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"docs/deviations.md's ledger section is stale: run {COMMAND}\n" + \
        result.stdout[-2000:] + result.stderr[-2000:]


def test_a_stale_declaration_fails_an_unnarrowed_ledger_and_the_declarations_view_counts_items(monkeypatch, capsys):
    """``--by declaration``: each Expectation with its selector's columns and the items it covers; an unnarrowed
    ledger whose declarations include one covering no collected item exits 1 naming it (a catalogue key and a
    per-version line alike)."""
    from conformance.model.expectation import Expectation, Facts, Selector
    from conformance.model.status import Status
    from conformance.plugin.deviations import Deviation
    from conformance.tools import ledger as module
    from conformance.tools.declarations import count
    items = [Facts("sin", "test_vjp", (), "float32", "cpu", None, "cases/test_vjp.py::test_vjp[sin-float32]")]
    declared = count([Expectation(Status("deviation", "typo"), Selector("sin", property="test_vjpp"), "a.py:3",
                                  "deviations[test_vjpp]"),
                      Expectation(Status("deviation", "ok", envelope=1.0), Selector("sin", dtype="float32"), "a.py:4",
                                  "deviations[float32]"),
                      Deviation("cases/test_vjp.py::test_vjp[sin-float16]", "gone", "repro", "t.txt:7").expectation()],
                     items)
    fake = module.Ledger("2.13", "2.13.0", "cpu", "installed", None, [], {}, declared)
    monkeypatch.setattr(module, "collect", lambda release, args: fake)
    assert main(["--by", "declaration"]) == 1
    out, err = capsys.readouterr()
    head, counted, blank, columns, *rows = out.splitlines()
    assert counted == "3 declarations covering 1 collected items" and columns.split()[:8] == [
        "kind", "entry", "property/feature", "dtype", "device", "backend", "torch", "items"]
    assert [r.split()[:3] + [r.split()[7]] for r in rows] == [
        ["deviation", "sin", "test_vjpp", "0"], ["deviation", "sin", "-", "1"],
        ["listed", "cases/test_vjp.py::test_vjp[sin-float16]", "-", "0"]]
    assert err.startswith("error: 2 declared expectations cover no collected item") and err.count("\n") == 1
    assert "a.py:3 deviations[test_vjpp] (sin)" in err and "t.txt:7 per-version file" in err
    # a narrowed collection judges nothing stale, and shows the declarations covering its items
    assert main(["--by", "declaration", "--dtype", "float32"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "1 declaration covering 1 collected items"
