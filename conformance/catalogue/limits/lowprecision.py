"""Reduced precision: torch's formulas in float16 that form an intermediate past float16's range where the
exact value is modest (``Overflow``, with the condition that holds where they show)."""

from conformance.catalogue import conditions
from conformance.model import properties
from conformance.model.status import Overflow

# Reduced precision: torch's formulas in float16 form an intermediate past float16's largest (65504) and give
# ±inf or NaN (that intermediate times a zero, or less an infinity), or 0 (divided by it), where the exact
# value is modest; the same formulas in float32 agree with it.  Measured with --dtype float16 (torch 2.13.0
# CPU, dev profile, seeds 1-10); declared as Overflow (only the named symptom is covered, only in float16).
_F16 = "; the same lines in float32 agree with the exact value"
SECOND_ORDER_F16 = ("double_backward:float16", "forward_over_forward:float16")
LOGADDEXP_F16 = dict.fromkeys(SECOND_ORDER_F16, Overflow(
    "torch.logaddexp's second-order formulas (double backward, forward over forward) in float16 form exp(y - x), "
    "infinite for y - x > 11.1, and give inf / inf "
    "= NaN where the exact second derivative is about 0: x = torch.tensor([-8.0], dtype=torch.float16, "
    "requires_grad=True); y = torch.tensor([6.0], dtype=torch.float16, requires_grad=True); g = "
    "torch.autograd.grad(torch.logaddexp(x, y), [x, y], create_graph=True); torch.autograd.grad(g[0] + g[1], "
    "[x, y]) is (nan, nan), float32 (0, 0)" + _F16, conditions.F16_INTERMEDIATE, nan=True))
POLYGAMMA_F16 = dict.fromkeys(SECOND_ORDER_F16, Overflow(
    "torch.polygamma(2, x)'s second-order formulas (double backward, forward over forward) in float16 form the "
    "fourth derivative, -7.3e6 at x = 0.08, past "
    "float16's range; times a zero tangent it is NaN where the exact value is 0: x = torch.tensor([0.08, 1.0], "
    "dtype=torch.float16, requires_grad=True); g, = torch.autograd.grad(torch.polygamma(2, x), x, "
    "torch.ones_like(x), create_graph=True); torch.autograd.grad(g, x, torch.tensor([0.0, 1.0], "
    "dtype=torch.float16)) is [nan, -24.89], float32 [-0.0, -24.886]" + _F16, conditions.F16_INTERMEDIATE, nan=True))
LOGCUMSUMEXP_F16 = {"forward_over_reverse:float16": Overflow(
    "torch.logcumsumexp's backward differentiated in forward mode in float16 is NaN at the last element where the "
    "exact HVP element is 0.4018: x0 = torch.tensor([1.0957, -1.8418, -3.6719, -3.8672, 2.5059], "
    "dtype=torch.float16, requires_grad=True); u = torch.tensor([0.0, -15.914, 0.918, 1.0, -2.0], "
    "dtype=torch.float16); with torch.autograd.forward_ad.dual_level(): x = make_dual(x0, u); g, = "
    "torch.autograd.grad(torch.logcumsumexp(x, 0), x, u); unpack_dual(g).tangent[4] is nan, float32 0.40181 (double "
    "backward in float16 is right)" + _F16, conditions.F16_INTERMEDIATE, nan=True)}
GAUSSIAN_NLL_F16 = {"forward_over_reverse:float16": Overflow(
    "F.gaussian_nll_loss's backward differentiated in forward mode in float16 is inf where the unweighted tangent "
    "of var's gradient, 1.03e5, passes float16's range (the weighted exact value is about -11): x, y as "
    "torch.tensor([[0.8218, -1.3809, -2.7539], [-2.9004, 1.8799, 2.4766]]), torch.tensor([[0.6396, 1.377, "
    "0.2617], [2.6113, 1.8955, -2.9844]]), var0 = torch.tensor([[2.5859], [0.19739]]), all float16; with "
    "forward_ad.dual_level(): var = make_dual(var0, torch.tensor([[0.0], [13.2]], dtype=torch.float16)); g, = "
    "torch.autograd.grad(F.gaussian_nll_loss(x, y, var, reduction='sum'), var); unpack_dual(g).tangent is "
    "[0, inf], float32 [0, 102817.08]" + _F16, conditions.F16_INTERMEDIATE)}
SIZED = properties.select(space="sized")  # the elementwise properties at the kernels' size bands
LOGADDEXP_FIRST_F16 = {f"{p}:float16": Overflow(
    "torch.logaddexp's backward in float16 forms exp(y - x), infinite for y - x > 11.1, and divides by it: 0 "
    "where the exact gradient is up to |weight| / 65505 (2.4e-4 at a weight of 16), above float16's smallest "
    "normal: x = torch.zeros(1, dtype=torch.float16, requires_grad=True); y = torch.full((1,), 11.2, "
    "dtype=torch.float16); torch.logaddexp(x, y).backward(torch.full((1,), 16.0, dtype=torch.float16)); x.grad "
    "is 0, exact 16 / (1 + e^11.2) = 2.19e-4 (shows at some draws only: a weight above 8 at y - x just past "
    "11.1, where the exact value passes float16's absolute floor, 2 · 6.1e-5; at the declared shape the floor "
    "counts every output, 7 · 6.1e-5, and covers it)" + _F16, conditions.F16_INTERMEDIATE, zero=True) for p in SIZED}
PROD_F16 = {"test_large_vjp:float16": Overflow(
    "torch.prod's backward, grad * (result / input), forms result / input in float16, past float16's range "
    "where the other factors' product exceeds 65504 though the product itself does not (a small factor in a "
    "long product): inf where the exact gradient is modest, NaN where its weight is 0: x = torch.full((12,), "
    "3.0, dtype=torch.float16); x[0] = 0.125; x.requires_grad_(); torch.prod(x).backward(torch.tensor(2**-6, "
    "dtype=torch.float16)); x.grad[0] is inf, exact 2767.92 (3**11 / 64; float32 gives it, and cumprod's "
    "float16 backward 2768); torch.prod(x, dim) and Tensor.prod the same" + _F16, conditions.F16_INTERMEDIATE,
    nan=True, inf=True)}
TANH_MLP_F16 = {"third_order:float16": Overflow(
    "the third derivative of torch.tanh(x @ w).sum(0) in float16 is NaN in w's column 1 where the exact values "
    "are 2.02, -7.26, -12.27: x = torch.tensor([[0.82178, -1.3809, -2.7539], [-2.9004, 1.8799, 2.4766]]), w = "
    "torch.tensor([[0.63965, 1.377], [0.26172, 2.6113], [1.8955, -2.9844]]), float16 with requires_grad; g = "
    "grad(torch.tanh(x @ w).sum(0), [x, w], torch.tensor([-0.0016336, 13.203]), create_graph=True); u_x = "
    "[[-0.00039768, -14.922, 0.17456], [-2.0, 0.5, 0.0]]; u_w = [[-0.00039768, -14.922], [0.17456, -2.0], [0.5, "
    "0.0]]; h = grad(g, [x, w], [u_x, u_w], create_graph=True); grad(h, [x, w], [u_x, u_w])[1][:, 1] is "
    "[nan, nan, nan]" + _F16, conditions.F16_INTERMEDIATE, nan=True)}
