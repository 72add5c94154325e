"""The README's and docs' examples run as printed: the public API example and the property file of one's own."""
import re
from pathlib import Path

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
API = (ROOT / "docs" / "api.md").read_text()


def _block(text: str, after: str) -> str:
    section = text[text.index(after):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_public_api_example_runs():
    code = _block(README, "## `check_grads` in your code")
    assert "check_grads(" in code and code == _block(API, "## check_grads")
    scope = {}
    exec(compile(code.replace("\ncheck_grads(", "\nverdicts = check_grads("), "README.md", "exec"), scope)  # noqa: S102
    said = re.search(r"returns\s+`(\{.*?\})`", README, re.S).group(1)
    assert str(dict(scope["verdicts"])) == said, "the README says check_grads returns " + said


def test_the_own_property_file_example_is_a_kit_property(pytester):
    pytester.makepyfile(test_mine=_block(API, "@pytest.mark.conformance"))
    result = pytester.runpytest_subprocess("--collect-only", "-q", "--conformance-op", "sin",
                                           "--conformance-dtype", "float64")
    assert "test_mine.py::test_vjp[sin-float64]" in result.stdout.str()


def _numbers_free(line: str) -> re.Pattern:
    """The line as a pattern in which every number may differ (the format must not)."""
    number = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
    parts = re.split(number, line)
    return re.compile(number.join(map(re.escape, parts)) + r"\Z")


def test_the_failure_shown_is_the_kits_format():
    """The README's failure (and the guide's) reads as the kit prints it: every line, numbers aside."""
    import subprocess
    import sys
    shown = re.search(r"```text\n(.*?)```", README[README.index("## A failure, line by line"):], re.S).group(1)
    shown = shown.split("\n...\n")[0].splitlines()
    guide = (ROOT / "docs" / "guides" / "read-a-failure.md").read_text()
    assert re.search(r"```text\n(.*?)```", guide, re.S).group(1).splitlines() == shown[:-2]
    command = re.search(r"\(`(pytest cases/test_vjp.py [^`]*)`\)", README.replace("\n", " ")).group(1).split()
    result = subprocess.run([sys.executable, "-m", *command, "-p", "no:xdist"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    printed = [line[8:].removeprefix("conformance.run.failure.ConformanceFailure: ")
               for line in result.stdout.splitlines() if line.startswith("E ")]
    start = next((i for i, line in enumerate(printed) if line.startswith(shown[0].split(":")[0])), None)
    assert start is not None, result.stdout[-3000:]
    for expected, got in zip(shown, printed[start:]):
        assert _numbers_free(expected).match(got), f"README: {expected!r}\nkit:    {got!r}"
