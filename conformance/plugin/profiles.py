"""The kit's Hypothesis profiles (registered when a run asks for the kit).

Profiles derive from Hypothesis's own "default" profile, never from whatever is loaded at import time:
with a CI environment variable set, Hypothesis loads its built-in "ci" profile (derandomized) first.

- ``dev`` (default): one example per test, new points each run (a smoke run);
- ``quick``: one fixed example per test of the weighted-backward and accumulation properties only, every
  catalogue entry once: the local check before a commit (the plugin deselects the other properties);
- ``ci``: 8 fixed (derandomized) examples per test; ``nightly``: 150 random examples per test.

Reduced precision (bfloat16, float16): ``ci`` runs it in the weighted-backward, accumulation, autocast and forward-mode
properties only, one example per item (the time budget); the other profiles in every property (but the kit's
``LOW_UNVERIFIED`` ones, none now), and in every property where ``--dtype`` names a reduced-precision dtype.
"""
from __future__ import annotations

from conformance.model.dtypes import LOW as LOW_PRECISION  # noqa: F401 - the one list of reduced dtypes

# the kit's profiles, by name: whether each draws new points every run (then the plugin picks a seed and prints it)
RANDOM = {"dev": True, "quick": False, "ci": False, "nightly": True}
NAMES = tuple(RANDOM)
DEFAULT = "dev"
QUICK_PROPERTIES = ("vjp", "accumulation")  # what the quick profile runs
LOW_CI_PROPERTIES = ("vjp", "accumulation", "autocast", "forward_mode")  # the ci profile's reduced-precision ones
LOW_CI_EXAMPLES = 1  # examples per reduced-precision item in ci
# the kit's properties not yet verified free of false alarms in bfloat16 and float16; they would run in those dtypes
# only when --dtype names one.  None: every property is (torch 2.13.0 CPU, dev profile, seeds 1 to 4, both dtypes)
LOW_UNVERIFIED: tuple[str, ...] = ()


def register() -> None:
    from hypothesis import HealthCheck, settings
    base = settings.get_profile("default")
    common = dict(parent=base, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    settings.register_profile("dev", max_examples=1, derandomize=False, **common)
    settings.register_profile("quick", max_examples=1, derandomize=True, database=None, print_blob=True, **common)
    settings.register_profile("ci", max_examples=8, derandomize=True, database=None, print_blob=True, **common)
    settings.register_profile("nightly", max_examples=150, derandomize=False, database=None, print_blob=True,
                              **common)
