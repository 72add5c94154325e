"""Autocast: under ``torch.autocast`` with float32 leaves, each leaf's gradient is float32 and equals the exact
derivative of the function as autocast computes it (its casts round the inputs exactly; the op runs in the dtype
its list gives), and loss scaling by a power of two, as a GradScaler does, scales every gradient exactly."""
import pytest

from conformance.catalogue import autocast as lists
from conformance.run.autocast import autocast

from ._steps import drawn


@pytest.mark.conformance(entries=lists.listed)
@drawn()
def test_autocast(case, dtype, device, status, data):
    autocast(case, dtype, device, data, lists.policy(device.type), status)
