"""A conformance case module of the checkout's ``cases`` package, imported as pytest collects it."""
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_cases(filename: str):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"cases.{filename.removesuffix('.py')}")
