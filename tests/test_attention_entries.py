"""Spec helpers of the attention and volumes catalogue modules against torch's own constants."""
import itertools

import numpy as np
import pytest
import sympy as sp
import torch

from conformance.catalogue.attention import _masked_softmax
from conformance.catalogue.volumes import _aa_taps, _collapse


@pytest.mark.parametrize("n_in, n_out", [(4, 2), (4, 3), (5, 2), (3, 3), (2, 4)])
def test_antialias_taps_are_torchs_weights(n_in, n_out):
    eye = torch.eye(n_in, dtype=torch.float64).reshape(n_in, 1, 1, n_in)
    rows = torch.ops.aten._upsample_bilinear2d_aa(eye, [1, n_out], False)[:, 0, 0, :]  # (source, output)
    for o, taps in enumerate(_aa_taps(n_in, n_out)):
        expected = [0.0] * n_in
        for j, w in taps:
            expected[j] += float(w)
        assert rows[:, o].tolist() == pytest.approx(expected, abs=1e-15)


def test_ctc_alignments_of_two_labels_in_three_steps():
    paths = [a for a in itertools.product(range(3), repeat=3) if _collapse(a) == [1, 2]]
    assert sorted(paths) == [(0, 1, 2), (1, 0, 2), (1, 1, 2), (1, 2, 0), (1, 2, 2)]


def test_masked_softmax_leaves_out_masked_scores():
    a, b = sp.symbols("a b", real=True)
    out = _masked_softmax(np.array([[a, b]], dtype=object), np.array([[True, False]]))
    assert out[0, 0] == 1 and out[0, 1] == 0
