"""A conformance case file as a module (``cases/`` is not a package), with its sibling helpers
(``cases/_engine.py``) importable as they are when pytest collects ``cases/``."""
import importlib.util
import sys
from pathlib import Path

CASES = Path(__file__).resolve().parents[1] / "cases"


def load_cases(filename: str, module_name: str):
    if str(CASES) not in sys.path:
        sys.path.insert(0, str(CASES))
    spec = importlib.util.spec_from_file_location(module_name, CASES / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
