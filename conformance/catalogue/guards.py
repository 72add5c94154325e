"""The entries every run but the nightly one guards in the expensive modes (torch.compile, forward over
forward, third order).

A mode whose cost is per entry (a compile per backend, an oracle of second or third derivatives) runs on the
whole catalogue under the ``nightly`` profile, or with ``--op`` naming entries; the other profiles run it on
its guard: one entry per catalogue family (``FAMILY_REPRESENTATIVES``), every entry with a known deviation in
that mode, and the entries the mode is aimed at.  torch.compile has its own switch: without
``--compile-backend`` the compile properties run ``aot_eager`` and ``inductor`` on ``COMPILE``;
``--compile-backend NAME,...`` runs them on the selection under those backends, ``--compile-backend off``
not at all.
"""
from __future__ import annotations

FAMILY_REPRESENTATIVES = ("sin", "erfinv", "mul", "sum", "softmax", "mm", "reshape", "nn.functional.relu",
                          "nn.functional.mse_loss", "nn.functional.layer_norm", "nn.functional.interpolate_bilinear",
                          "tanh_mlp", "masked.sum", "fft.rfft", "view_copy", "linalg.qr",
                          "nn.functional.scaled_dot_product_attention_causal", "nn.functional.max_pool3d")

# -- torch.compile ------------------------------------------------------------------------------------------
COMPILE_BACKENDS = ("aot_eager", "inductor")
# Inductor generates and compiles C++ per dtype, the guard's main cost from a cold cache: the guard runs it in
# float32 (the dtype users compile), aot_eager in every selected dtype; --compile-backend (as the nightly
# workflow gives it) runs every selected dtype
COMPILE_DTYPES = {"inductor": ("float32",)}
# entries with a compile deviation (the catalogue's, or a line of a per-version file), and vander and
# scatter_src_wider, whose eager backward raises: under aot_eager and inductor the traced backward raises the
# same error when the function is compiled (BackendCompilerFailed names it as its cause)
COMPILE_DEVIATIONS = ("ldexp_int", "scatter_reduce_amax_src_wider", "scatter_reduce_amax_exclude_self",
                      "nn.functional.multilabel_margin_loss", "vander", "scatter_src_wider")
# the mutation-under-compile property: the matmul family, einsum and a few elementwise functions, whose
# backwards save inputs (or outputs) that an in-place write can change
MUTATION = ("mm", "matmul_batched", "bmm", "addmm", "einsum_bmm", "nn.functional.linear", "sin", "exp", "mul",
            "tanh")
COMPILE = tuple(dict.fromkeys(FAMILY_REPRESENTATIVES + COMPILE_DEVIATIONS + MUTATION))

# -- higher order -------------------------------------------------------------------------------------------
# formulas that save intermediates without their own history (normalization statistics, softmax, pivots,
# masks) are right at first and second order and wrong at third
SAVED_INTERMEDIATES = ("nn.functional.batch_norm", "nn.functional.group_norm", "nn.functional.instance_norm",
                       "nn.functional.rms_norm", "nn.functional.normalize", "log_softmax", "std", "var",
                       "linalg.det", "linalg.inv", "cumprod", "prod", "amax", "nn.functional.max_pool2d")
ELEMENTWISE = ("sin", "tanh", "exp", "log", "sigmoid", "erf", "atan", "mul", "div", "pow")
HIGHER_ORDER = tuple(dict.fromkeys(FAMILY_REPRESENTATIVES + SAVED_INTERMEDIATES + ELEMENTWISE))


def check(catalogue: dict, families) -> None:
    """Every name is a catalogue entry and every family with entries has a representative (the kit's tests
    call it)."""
    for label, names in (("compile", COMPILE), ("higher-order", HIGHER_ORDER)):
        unknown = [n for n in names if n not in catalogue]
        if unknown:
            raise ValueError(f"the {label} guard lists {unknown}: no catalogue entry of that name")
    missing = [f.__name__ for f in families
               if f.ENTRIES and not {e.name for e in f.ENTRIES} & set(FAMILY_REPRESENTATIVES)]
    if missing:
        raise ValueError(f"the guards have no entry of the families {missing}")
