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
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own example


def test_the_own_property_file_example_is_a_kit_property(pytester):
    pytester.makepyfile(test_mine=_block(API, "@pytest.mark.conformance"))
    result = pytester.runpytest_subprocess("--collect-only", "-q", "--conformance-op", "sin",
                                           "--conformance-dtype", "float64")
    assert "test_mine.py::test_vjp[sin-float64]" in result.stdout.str()
