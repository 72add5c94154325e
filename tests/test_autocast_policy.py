"""Autocast: the exact rounding that stands for a cast agrees with torch's casts bit for bit; the op lists name
real catalogue entries, refuse an entry in two lists, and a device type without lists skips by name."""
import math

import numpy as np
import pytest
import torch

from conformance.catalogue import CATALOGUE
from conformance.catalogue import autocast as lists
from conformance.exact.rounding import FORMATS, round_to
from conformance.model.autocast import Policy, PolicyError

LOW = ["bfloat16", "float16"]


def _float32_values(dtype_name: str) -> np.ndarray:
    """float32 values that exercise every rounding case of ``dtype_name``: random ones over the whole range, the
    exact ties between neighbours (even and odd), subnormals, the range's edge and past it."""
    fmt = FORMATS[dtype_name]
    rng = np.random.default_rng(0)
    spread = rng.standard_normal(4000) * np.exp2(rng.integers(fmt.emin - 12, fmt.emax + 2, 4000))
    grid = torch.tensor(rng.standard_normal(500) * 4.0, dtype=getattr(torch, dtype_name)).double().numpy()
    ulp = np.exp2(np.floor(np.log2(np.abs(grid[grid != 0]))) - fmt.precision + 1)
    ties = grid[grid != 0] + np.sign(grid[grid != 0]) * ulp / 2  # halfway to the next value away from zero
    tiny = math.ldexp(1.0, fmt.emin)
    edge = [fmt.largest, -fmt.largest, fmt.largest * (1 + 2.0**-fmt.precision), tiny, tiny / 3, tiny * 2.0**-9,
            -tiny * 0.75, 0.0, -0.0, math.inf, -math.inf]
    with np.errstate(over="ignore"):  # the widest draws overflow float32 itself: infinities, kept
        return np.concatenate([spread, ties, ulp / 3, edge]).astype(np.float32)


@pytest.mark.parametrize("dtype_name", LOW)
def test_exact_rounding_is_torchs_cast_bit_for_bit(dtype_name):
    values = _float32_values(dtype_name)
    torch_cast = torch.from_numpy(values).to(getattr(torch, dtype_name)).double().numpy()
    ours = round_to(values.astype(np.float64), dtype_name)
    differ = ~((ours == torch_cast) & (np.signbit(ours) == np.signbit(torch_cast)))
    assert not differ.any(), list(zip(values[differ][:5], ours[differ][:5], torch_cast[differ][:5]))


def test_exact_rounding_ties_go_to_even_and_overflow_is_infinite():
    one_and_half_ulp = 1 + 2.0**-8  # halfway between 1 and bfloat16's next value: ties to even, i.e. 1
    assert round_to(np.array([one_and_half_ulp, 1 + 3 * 2.0**-8]), "bfloat16").tolist() == [1.0, 1 + 2.0**-6]
    assert round_to(np.array([65520.0, 65519.0]), "float16").tolist() == [math.inf, 65504.0]
    with pytest.raises(ValueError, match="no rounding rule for dtype 'int8'"):
        round_to(np.array([1.0]), "int8")


def test_op_lists_name_real_catalogue_entries():
    lists.check(CATALOGUE)
    assert len(lists.CPU.entries) >= 100 and {"mm", "nn.functional.mse_loss", "cat"} <= set(lists.CPU.entries)
    assert lists.CPU.category("mm") == "lower" and lists.CPU.category("sin") is None


def test_a_list_naming_no_entry_or_one_entry_twice_is_refused(monkeypatch):
    bad = Policy("cpu", ("bfloat16",), ("mm", "no_such_op"), (), (), "test", "test")
    monkeypatch.setitem(lists.POLICIES, "test", bad)
    with pytest.raises(PolicyError, match=r"lists \['no_such_op'\]"):
        lists.check(CATALOGUE)
    with pytest.raises(PolicyError, match="'mm' is in both 'lower' and 'fp32'"):
        Policy("cpu", ("bfloat16",), ("mm",), ("mm",), (), "test", "test")


def test_a_device_type_without_lists_runs_nothing_and_skips_by_name():
    assert lists.listed("meta") == () and lists.listed(torch.device("cpu")) == lists.CPU.entries
    from conformance.run.autocast import autocast
    with pytest.raises(pytest.skip.Exception, match="no autocast op lists for device type 'meta'"):
        autocast(CATALOGUE["mm"], torch.bfloat16, torch.device("meta"), None, lists.policy("meta"))
    with pytest.raises(pytest.skip.Exception, match=r"takes bfloat16, float16, not float32"):
        autocast(CATALOGUE["mm"], torch.float32, torch.device("cpu"), None, lists.CPU)
