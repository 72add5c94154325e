"""The kit's command-line options: declared, and the values checked that need no torch.

Every run gets the options under the kit's own names (``--conformance-device``, ``--conformance-op``,
``--conformance-dtype``, ``--conformance-compile-backend``, ``--conformance-*``), so that a project's own
``--device`` or ``--dtype`` stays its own.  The kit's own runs (its ``cases`` folder, the checkout's
conftest) accept the short spellings ``--device``, ``--op``, ``--dtype`` and ``--compile-backend`` too
(``short_options``), each where no plugin or conftest of the run has taken the name already.

``check`` reads the values that need no torch (dtype names, seed, profile, example count) when the run asks
for the kit, before torch and the catalogue load, so that a usage error comes at once.
"""
from __future__ import annotations

import os

import pytest

from conformance.model.dtypes import COMPLEX
from conformance.model.dtypes import NAMES as DTYPE_NAMES
from conformance.plugin import profiles

# the selection options: their short spelling (the kit's own runs) -> addoption keywords
SELECTIONS = {
    "--device": dict(default="cpu", metavar="NAME",
                     help="torch device the suite runs on (any torch device string: cpu, cuda, cuda:1, mps, xpu...)"),
    "--op": dict(action="append", default=None, metavar="PATTERN",
                 help="restrict to catalogue entries matching these names or glob patterns "
                      "(repeatable or comma-separated: sin,cos 'linalg.*')"),
    "--dtype": dict(action="append", default=None, metavar="NAME",
                    help=f"restrict to these dtypes (repeatable or comma-separated; known: {', '.join(DTYPE_NAMES)})"),
    "--compile-backend": dict(action="append", default=None, metavar="NAME",
                              help="run the torch.compile properties (cases/test_compile.py) with these backends "
                                   "(repeatable or comma-separated: eager, aot_eager, inductor; default: aot_eager and "
                                   "inductor on the compile guard; off: none)"),
}


def name(short: str) -> str:
    """The option's name in every run: ``--device`` -> ``--conformance-device``."""
    return "--conformance-" + short.removeprefix("--")


def dest(short: str) -> str:
    return name(short).removeprefix("--").replace("-", "_")


def declare(parser) -> None:
    group = parser.getgroup("conformance", "autograd conformance")
    for short, kwargs in SELECTIONS.items():
        group.addoption(name(short), dest=dest(short), **kwargs)
    group.addoption("--conformance-fault", default=os.environ.get("CONFORMANCE_FAULT") or None, metavar="NAME",
                    help="inject the named fault into torch for the whole run (python -m conformance.faults --list; "
                         "default: $CONFORMANCE_FAULT)")
    group.addoption("--conformance-report", default=None, metavar="PATH",
                    help="write a JSON report of the run (environment, and per test: case, property, dtype, device, "
                         "outcome, worst error / bound, examples, repro); merge and diff them with python -m "
                         "conformance.reports")
    group.addoption("--conformance-deviations", default="auto", metavar="PATH|auto|none",
                    help="known deviations of this torch version, one test id per line (default auto: "
                         "deviations/torch-X.Y.txt under the rootdir if present, else the kit's own for this torch)")
    group.addoption("--conformance-deviations-mode", choices=("xfail", "skip"), default="xfail",
                    help="listed deviations are non-strict expected failures (default) or skipped")
    group.addoption("--conformance-examples", type=int, default=None, metavar="N",
                    help="override the Hypothesis profile's max_examples (its other settings stay): "
                         "--hypothesis-profile nightly --conformance-examples 20 is a shorter random soak")


def _taken(parser) -> set[str]:
    """Every option name the run's plugins and conftests have registered so far."""
    groups = [parser._anonymous, *parser._groups]  # where pytest's Parser keeps its options (pytest 7.4 to 9)
    return {n for group in groups for option in group.options for n in option.names()}


def short_options(parser) -> None:
    """The short spellings of the selection options, for the kit's own runs: call it from a conftest's
    ``pytest_addoption``.  A name another plugin or conftest has taken stays theirs (the long name works)."""
    taken = _taken(parser)
    group = parser.getgroup("conformance", "autograd conformance")
    for short, kwargs in SELECTIONS.items():
        if short not in taken:
            group.addoption(short, dest=dest(short), **{**kwargs, "help": f"{name(short)}, in the kit's own runs"})


def given(namespace) -> bool:
    """Whether a kit option has a value other than its default (parsed options, or a config's)."""
    defaults = {"conformance_report": None, "conformance_examples": None,
                "conformance_fault": os.environ.get("CONFORMANCE_FAULT") or None,
                **{dest(short): kwargs["default"] for short, kwargs in SELECTIONS.items()}}
    return any(getattr(namespace, key, default) != default for key, default in defaults.items())


def listed(config, short: str) -> list[str]:
    """A repeatable, comma-separated option's values (``--op sin,cos --op tan``), in order, once each."""
    return list(dict.fromkeys(v.strip() for item in config.getoption(dest(short)) or [] for v in item.split(",")
                              if v.strip()))


def spelling(config, short: str) -> str:
    """The option's name as the run spelled it, for its usage errors: the short one, or the kit's."""
    args = [str(a) for a in config.invocation_params.args]
    return short if any(a == short or a.startswith(short + "=") for a in args) else name(short)


def selected_dtypes(config) -> list[str]:
    names = listed(config, "--dtype") or list(DTYPE_NAMES)
    unknown = [n for n in names if n not in DTYPE_NAMES]
    if unknown:
        raise pytest.UsageError(f"{spelling(config, '--dtype')}: unknown dtype {', '.join(map(repr, unknown))}; "
                                f"known: {', '.join(DTYPE_NAMES)}")
    return names


def profile(config) -> str:
    """The run's Hypothesis profile: ``--hypothesis-profile``, else ``$CONFORMANCE_PROFILE``, else the default."""
    return config.getoption("hypothesis_profile", default=None) or os.environ.get("CONFORMANCE_PROFILE",
                                                                                  profiles.DEFAULT)


def header_dtypes(config, names: list[str]) -> list[str]:
    """The selected dtypes the run's properties use: the quick profile's are real ones only."""
    return [n for n in names if not (profile(config).startswith(profiles.QUICK) and n in COMPLEX)]


def check(config) -> None:
    """The kit's option values that need no torch, each bad one a one-line usage error naming it."""
    if not config.getoption("hypothesis_profile", default=None) and profile(config) not in profiles.NAMES:
        raise pytest.UsageError(f"CONFORMANCE_PROFILE: unknown profile {profile(config)!r}; "
                                f"known: {', '.join(profiles.NAMES)}")
    seed = config.getoption("hypothesis_seed", default=None)
    if seed is not None and not str(seed).lstrip("-").isdigit():
        raise pytest.UsageError(f"--hypothesis-seed: {seed!r} is not an integer (the kit prints the seed and gives "
                                f"it to every xdist worker as one)")
    names = selected_dtypes(config)
    if profile(config).startswith(profiles.QUICK) and listed(config, "--dtype") and set(names) & set(COMPLEX):
        raise pytest.UsageError(f"{spelling(config, '--dtype')}: the quick profile checks real dtypes only (its "
                                f"properties, {' and '.join(profiles.QUICK_PROPERTIES)}, have no complex form): "
                                f"{', '.join(n for n in names if n in COMPLEX)}; check complex dtypes with another "
                                f"profile (python -m conformance run --dtype {','.join(names)})")
    examples = config.getoption("conformance_examples")
    if examples is not None and examples < 1:
        raise pytest.UsageError(f"--conformance-examples: must be at least 1 (got {examples})")
