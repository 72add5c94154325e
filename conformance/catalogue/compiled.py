"""The entries torch.compile is guarded on in every run (``cases/test_compile.py``).

Without ``--compile-backend`` the compile properties run with ``aot_eager`` and ``inductor`` (the backend
users run) on ``GUARDED``: one entry per catalogue family, every entry with a known compile deviation,
and the mutation entries; ``--compile-backend NAME,...`` runs the whole selection under those backends
(the nightly profile's job), ``--compile-backend off`` none.  ``MUTATION`` are the entries of the
mutation-under-compile property: the matmul family, einsum and a few elementwise functions, whose
backwards save inputs (or outputs) that an in-place write can change.
"""
from __future__ import annotations

DEFAULT_BACKENDS = ("aot_eager", "inductor")
FAMILY_REPRESENTATIVES = ("sin", "erfinv", "mul", "sum", "softmax", "mm", "reshape", "nn.functional.relu",
                          "nn.functional.mse_loss", "nn.functional.layer_norm", "nn.functional.interpolate_bilinear",
                          "tanh_mlp")
# entries with a compile deviation (the catalogue's, or a line of a per-version file)
KNOWN_DEVIATIONS = ("ldexp_int", "vander", "scatter_src_wider", "scatter_reduce_amax_src_wider",
                    "scatter_reduce_amax_exclude_self", "nn.functional.multilabel_margin_loss")
MUTATION = ("mm", "matmul_batched", "bmm", "addmm", "einsum_bmm", "nn.functional.linear", "sin", "exp", "mul",
            "tanh")
GUARDED = tuple(dict.fromkeys(FAMILY_REPRESENTATIVES + KNOWN_DEVIATIONS + MUTATION))


def check(catalogue: dict, families) -> None:
    """Every name is a catalogue entry and every family has a representative (the kit's tests call it)."""
    unknown = [n for n in GUARDED if n not in catalogue]
    if unknown:
        raise ValueError(f"compile guard lists {unknown}: no catalogue entry of that name")
    missing = [f.__name__ for f in families if not {e.name for e in f.ENTRIES} & set(GUARDED)]
    if missing:
        raise ValueError(f"compile guard has no entry of the families {missing}")
