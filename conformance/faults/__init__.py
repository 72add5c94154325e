"""Fault injection: named wrong behaviours of torch, to measure which ones the conformance suite catches.

Kernel-level faults (``kernel.py``) replace an aten operator's backward formula through
``torch.library``, so every spelling of the operator sees them; engine-level faults (``engine.py``)
wrap autograd's Python entry points.  Each fault declares the part of the suite aimed at it.

- ``pytest cases --conformance-fault NAME`` (or ``CONFORMANCE_FAULT=NAME``) runs with the fault active;
- ``python -m conformance.faults`` runs each fault's target in a process of its own and prints which
  test killed it (``--list`` lists them);
- ``injected(name)`` is the fault for a ``with`` block; ``scaled_backward``/``wrong_backward`` patch one
  ``torch.<function>`` for fixed-point checks.
"""
from __future__ import annotations

from conformance.faults import kernel  # noqa: F401 - registers the catalogue: kernel-level faults first

# isort: split
from conformance.faults import (
           arguments,  # noqa: F401 - wrong only at one argument value of a call, or along a size-1 dim
           autocast,  # noqa: F401 - ops in the wrong autocast list, a backward that breaks loss scaling
           compiled,  # noqa: F401 - a compiled backward without the version-counter check
           conventions,  # noqa: F401 - faults at the conventions table's departures and undefined points
           engine,  # noqa: F401
           envelopes,  # noqa: F401 - faults hidden behind a known deviation
           families,  # noqa: F401 - the newer catalogue families: a gradient of the wrong variant
           higher,  # noqa: F401 - wrong only in forward over forward, or only at third order
           lowprecision,  # noqa: F401 - wrong only in bfloat16 or float16
           space,  # noqa: F401 - input-space faults (sizes, layouts, operands, lanes)
           tails,  # noqa: F401 - tanh and sigmoid wrong only in the tails
)
from conformance.faults.functions import scaled_backward, wrong_backward
from conformance.faults.model import FAULTS, Activation, Fault, Target, UnknownFault, activate, get, injected, select
from conformance.faults.selfcheck import check_undo, reference_mismatches, snapshot, undo_problems

__all__ = ["FAULTS", "Activation", "Fault", "Target", "UnknownFault", "activate", "check_undo", "get", "injected",
           "reference_mismatches", "scaled_backward", "select", "snapshot", "undo_problems", "wrong_backward"]
