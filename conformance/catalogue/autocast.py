"""torch.autocast's op lists, per device type, as catalogue entries (``conformance.model.autocast``).

An entry is listed where its whole call is one op of a list (or ops of one list only): ``torch.cat`` is
promote on CPU; ``F.mse_loss`` fp32; ``torch.mm`` lower.  A composite whose ops fall in different lists
(``linalg.pinv``: an SVD in float32, then matmuls in the low dtype) is not listed, nor is an entry whose call
prepares its input with unlisted arithmetic (``torch.inverse(a + 3 * torch.eye(2).to(a))``: the sum runs, and
rounds, in the low dtype before the float32 op sees it).  Unlisted ops run in
their inputs' dtype under autocast; the kit does not check them here.

Source: aten/src/ATen/autocast_mode.cpp and autocast_mode.h (the CPU registrations and the
``AT_FORALL_LOWER_PRECISION_FP``, ``AT_FORALL_FP32``, ``AT_FORALL_FP32_SET_OPT_DTYPE`` and
``AT_FORALL_PROMOTE`` lists CUDA registers).
"""
from __future__ import annotations

from conformance.model.autocast import Policy, PolicyError

_GEMM = ("mm", "matmul_batched", "bmm", "matmul_1d_2d", "matmul_1d_batched", "matmul_broadcast", "Tensor.__matmul__",
         "linalg.matmul", "linalg.vecdot", "addmm", "baddbmm", "addbmm", "einsum_bmm", "einsum_rowdot",
         "einsum_bilinear", "chain_matmul", "linalg.multi_dot", "matrix_power", "linalg.matrix_power")
_LAYERS = ("nn.functional.prelu", "nn.functional.prelu_shared", "nn.functional.linear", "nn.functional.linear_nobias",
           "nn.functional.conv1d", "nn.functional.conv1d_stride_padding", "nn.functional.conv1d_same_dilated",
           "nn.functional.conv2d", "nn.functional.conv2d_channels", "nn.functional.conv2d_groups_padding",
           "nn.functional.conv2d_stride_dilation", "nn.functional.conv3d", "nn.functional.conv_transpose1d",
           "nn.functional.conv_transpose2d", "nn.functional.conv_transpose2d_groups",
           "nn.functional.scaled_dot_product_attention")
_LOSSES = ("nn.functional.mse_loss", "nn.functional.mse_loss_none",
           "nn.functional.l1_loss", "nn.functional.l1_loss_none", "nn.functional.smooth_l1_loss",
           "nn.functional.smooth_l1_loss_beta", "nn.functional.huber_loss", "nn.functional.huber_loss_delta",
           "nn.functional.binary_cross_entropy_with_logits",
           "nn.functional.binary_cross_entropy_with_logits_pos_weight",
           "nn.functional.soft_margin_loss", "nn.functional.cross_entropy", "nn.functional.cross_entropy_weight",
           "nn.functional.cross_entropy_ignore_index", "nn.functional.cross_entropy_label_smoothing",
           "nn.functional.cross_entropy_probs", "nn.functional.cross_entropy_probs_label_smoothing",
           "nn.functional.cross_entropy_spatial", "nn.functional.nll_loss", "nn.functional.nll_loss_weight",
           "nn.functional.multi_margin_loss", "nn.functional.multi_margin_loss_p2",
           "nn.functional.multilabel_margin_loss", "nn.functional.kl_div", "nn.functional.kl_div_batchmean",
           "nn.functional.kl_div_log_target", "nn.functional.poisson_nll_loss",
           "nn.functional.poisson_nll_loss_no_log_input", "nn.functional.poisson_nll_loss_full",
           "nn.functional.margin_ranking_loss", "nn.functional.hinge_embedding_loss",
           "nn.functional.triplet_margin_loss", "nn.functional.triplet_margin_loss_swap",
           "nn.functional.cosine_embedding_loss")
_PROD = ("prod", "prod_dim", "prod_zeros", "prod_dim_zeros", "Tensor.prod")

CPU = Policy(
    device="cpu", dtypes=("bfloat16", "float16"),
    lower=_GEMM + ("inner", "tensordot", "tanh_mlp", "nn.functional.affine_grid",
                   "nn.functional.affine_grid_half_pixel") + _LAYERS,
    fp32=_PROD + _LOSSES + (
        "quantile", "quantile_dim", "nanquantile", "cdist", "cdist_p1", "trace",
        "nn.functional.pad_reflect", "nn.functional.pad_reflect_2d", "nn.functional.pad_replicate",
        "nn.functional.binary_cross_entropy", "nn.functional.binary_cross_entropy_weight",
        "nn.functional.avg_pool3d", "nn.functional.grid_sample"),
    promote=("cat", "concat", "stack", "hstack", "vstack", "dstack", "column_stack", "index_copy"),
    source="aten/src/ATen/autocast_mode.cpp, TORCH_LIBRARY_IMPL(aten, AutocastCPU), torch 2.13",
    verified="torch 2.13.0 CPU: every listed entry's output dtype under autocast, and the property, green")

CUDA = Policy(
    device="cuda", dtypes=("float16", "bfloat16"),
    lower=_GEMM + _LAYERS + ("mv", "addmv", "addr"),
    fp32=_PROD + _LOSSES + (
        "tan", "exp", "expm1", "log", "log1p", "log2", "log10", "rsqrt", "reciprocal", "sinh", "cosh", "asin", "acos",
        "erfinv", "softplus", "nn.functional.softplus_beta", "pow", "pow_int", "pow_real", "pow_broadcast",
        "pow_scalar_base", "Tensor.exp", "Tensor.log", "Tensor.log1p", "Tensor.expm1", "Tensor.reciprocal",
        "Tensor.erfinv", "Tensor.pow", "sum", "Tensor.sum", "logsumexp",
        "Tensor.logsumexp", "softmax", "Tensor.softmax", "log_softmax",
        "Tensor.log_softmax", "nn.functional.softmax", "nn.functional.log_softmax", "cumsum", "Tensor.cumsum",
        "cumprod", "cumprod_zeros", "norm2", "norm1", "norm3", "dist", "dist_p1", "dist_p3", "dist_inf", "cdist",
        "cdist_p1", "nn.functional.layer_norm", "nn.functional.layer_norm_2d", "nn.functional.group_norm",
        "nn.functional.cosine_similarity", "nn.functional.pdist"),
    promote=("atan2", "atan2_broadcast", "addcmul", "Tensor.addcmul", "addcdiv", "dot", "vdot", "tensordot", "cross",
             "scatter_add", "index_put", "Tensor.index_put", "nn.functional.bilinear"),
    source="aten/src/ATen/autocast_mode.h, AT_FORALL_* lists registered for CUDA, torch 2.13",
    verified="not yet run on a CUDA device: the table is read from torch's source only")

POLICIES = {p.device: p for p in (CPU, CUDA)}


def policy(device_type: str) -> Policy | None:
    """The lists of ``device_type`` (None: the kit has no table for it; the property skips)."""
    return POLICIES.get(device_type)


def listed(device) -> tuple[str, ...]:
    """The entries the autocast property runs on ``device`` (a torch.device or its type)."""
    found = policy(getattr(device, "type", device))
    return found.entries if found is not None else ()


def check(catalogue: dict) -> None:
    """Every listed name is a catalogue entry with a real float32 dtype (the kit's tests call it)."""
    for p in POLICIES.values():
        unknown = [n for n in p.entries if n not in catalogue or "float32" not in catalogue[n].dtypes]
        if unknown:
            raise PolicyError(f"autocast policy {p.device!r} lists {unknown}: no real catalogue entry of that name")
