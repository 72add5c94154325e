"""Why each reference op the catalogue does not cover is left out (``python -m conformance coverage`` prints it).

A reason names what stands in the way of an exact spec or of a test of the op's own backward; an op that is
uncovered and has no reason here is reported as such, so a new torch's new ops show up unclassified.
"""
RANDOM = "random: its output depends on torch's generator, so there is no exact value to compare with"
CONVERSION = ("a dtype conversion: the kit builds constants with it, so a call is not counted; every entry's "
              "reduced-precision and autocast properties differentiate through conversions")
CUDA_ONLY = "a CUDA-only kernel: no CPU implementation to run here (a device run would need an entry)"
SPARSE = "a sparse layout: the kit's inputs and gradients are strided tensors"
NOT_DIFFERENTIABLE = "no gradient: an integer or boolean output, or a gradient defined as zero almost everywhere"

REASONS: dict[str, str] = {
    **dict.fromkeys(("bernoulli", "normal", "nn.functional.alpha_dropout", "nn.functional.dropout2d",
                     "nn.functional.dropout3d", "nn.functional.feature_alpha_dropout",
                     "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d"), RANDOM),
    **dict.fromkeys(("bfloat16", "double", "float", "half", "cdouble", "cfloat", "chalf", "to"), CONVERSION),
    **dict.fromkeys(("torch.ops.aten._efficient_attention_forward", "torch.ops.aten._flash_attention_forward"),
                    CUDA_ONLY),
    **dict.fromkeys(("sparse.mm", "sparse.sampled_addmm", "to_sparse"), SPARSE),
    **dict.fromkeys(("nn.functional.one_hot",), NOT_DIFFERENTIABLE),
    "linalg.householder_product": ("no error model yet: its backward mixes the rounding of the reflectors and "
                                   "of tau beyond the kit's per-matrix bounds (torch 2.13.0 CPU, ci profile: vjp "
                                   "2.2 x, hvp 9.4 x the bound); its product form is checked through ormqr"),
}


def reason(op: str) -> str:
    return REASONS.get(op, "no reason given: not yet classified")
