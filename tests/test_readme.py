"""The README's examples run as printed: the public API example and the property file of one's own."""
import re
from pathlib import Path

pytest_plugins = ["pytester"]
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _block(after: str) -> str:
    section = README[README.index(after):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_public_api_example_runs():
    code = _block("## The public API")
    assert "check_grads(" in code
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own example


def test_the_own_property_file_example_is_a_kit_property(pytester):
    pytester.makepyfile(test_mine=_block("@pytest.mark.conformance"))
    result = pytester.runpytest_subprocess("--collect-only", "-q", "--conformance-op", "sin",
                                           "--conformance-dtype", "float64")
    assert "test_mine.py::test_vjp[sin-float64]" in result.stdout.str()

