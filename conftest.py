"""Running from a source checkout: load the plugin even when the kit is not pip-installed, and accept the
short spellings of the kit's selection options (``pytest cases --device cuda --op sin``).

When it is installed, its ``pytest11`` entry point (named ``conformance.plugin``) has registered the
plugin already and pytest skips this duplicate; ``cases/conftest.py`` declares the same short spellings
for the installed kit's runs (``python -m conformance run``), and each is declared once.
"""
from conformance.plugin.arguments import short_options

pytest_plugins = ["conformance.plugin"]


def pytest_addoption(parser):
    short_options(parser)
