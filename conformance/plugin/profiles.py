"""The kit's Hypothesis profiles (registered when a run asks for the kit).

Profiles derive from Hypothesis's own "default" profile, never from whatever is loaded at import time:
with a CI environment variable set, Hypothesis loads its built-in "ci" profile (derandomized) first.

- ``dev`` (default): one example per test, new points each run (a smoke run);
- ``quick``: one fixed example per test of the weighted-backward and accumulation properties only, every
  catalogue entry once: the local check before a commit (the plugin deselects the other properties; a property
  declares ``quick=True`` in ``conformance.model.properties``);
- ``ci``: 8 fixed (derandomized) examples per test; ``nightly``: 150 random examples per test.

Reduced precision (bfloat16, float16): ``ci`` runs it in the weighted-backward, accumulation, autocast and
forward-mode properties only (declared ``low_ci=True``), one example per item (the time budget); the other profiles
in every property (but the kit's ``LOW_UNVERIFIED`` ones, none now), and in every property where ``--dtype`` names a
reduced-precision dtype.
"""
from __future__ import annotations

from conformance.model import properties
from conformance.model.dtypes import LOW as LOW_PRECISION  # noqa: F401 - the one list of reduced dtypes

# the kit's profiles, by name: examples per test, and whether each draws new points every run (then the plugin picks
# a seed and prints it)
DEV, QUICK, CI, NIGHTLY = "dev", "quick", "ci", "nightly"
PROFILES = {DEV: (1, True), QUICK: (1, False), CI: (8, False), NIGHTLY: (150, True)}
RANDOM = {name: random for name, (_, random) in PROFILES.items()}
NAMES = tuple(PROFILES)
DEFAULT = DEV
# what the quick profile runs (its properties' files); the ci profile's reduced-precision properties are those
# declared low_ci (conformance.model.properties)
QUICK_PROPERTIES = properties.groups(quick=True)
LOW_CI_EXAMPLES = 1  # examples per reduced-precision item in ci
# the kit's properties not yet verified free of false alarms in bfloat16 and float16 (declared low_verified=False);
# they would run in those dtypes only when --dtype names one.  None: every property is (torch 2.13.0 CPU, dev
# profile, seeds 1 to 4, both dtypes)
LOW_UNVERIFIED = properties.select(low_verified=False)


def running(name: str) -> bool:
    """Whether the loaded Hypothesis profile is ``name`` (or one named after it: ``ci-gpu``)."""
    from hypothesis import settings
    return settings.get_current_profile_name().startswith(name)


def register() -> None:
    from hypothesis import HealthCheck, settings
    base = settings.get_profile("default")
    common = dict(parent=base, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    for name, (examples, random) in PROFILES.items():
        fixed = {} if name == DEV else dict(database=None, print_blob=True)  # dev keeps Hypothesis's example database
        settings.register_profile(name, max_examples=examples, derandomize=not random, **fixed, **common)
