"""The kit's own runs (``pytest cases``, ``python -m conformance run``) accept the short spellings of its
selection options: ``--device``, ``--op``, ``--dtype``, ``--compile-backend`` (everywhere else only
``--conformance-device`` and the like, so that a project's own ``--device`` stays its own)."""
from conformance.plugin.arguments import short_options


def pytest_addoption(parser):
    short_options(parser)
