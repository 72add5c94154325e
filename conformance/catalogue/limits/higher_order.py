"""torch deviations found by the higher-order and forward-mode properties: wrong second and third derivatives,
forward-mode formulas, torch.func transforms."""
import math
from dataclasses import replace

from conformance.catalogue.limits.features import in_properties
from conformance.model.case import Contract
from conformance.model.status import Always, Status

# Verified by hand (torch 2.13.0, CPU): differentiating the backward of these functions in forward mode
# through torch.autograd.forward_ad gives Hessian-vector products off by O(1), while double backward,
# torch.func.jvp over torch.func.vjp and finite differences agree with the exact value.
FORWARD_OVER_REVERSE_LINALG = {"test_forward_over_reverse": Always(
    "torch.autograd.forward_ad through this LU-based backward gives a wrong HVP (relative error ~1; double "
    "backward and torch.func agree with the exact value): A = torch.randn(3, 3, dtype=torch.float64) + "
    "3 * torch.eye(3, dtype=torch.float64); b = torch.randn(3, 2, dtype=torch.float64); v, uA, ub = "
    "torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 3, dtype=torch.float64), torch.randn(3, 2, "
    "dtype=torch.float64); with torch.autograd.forward_ad.dual_level(): Ad = make_dual(A.requires_grad_(), "
    "uA); bd = make_dual(b.requires_grad_(), ub); g = torch.autograd.grad(torch.linalg.solve(Ad, bd), "
    "[Ad, bd], v); print([unpack_dual(t).tangent for t in g]) differs from torch.func.jvp(lambda A, b: "
    "torch.func.vjp(torch.linalg.solve, A, b)[1](v), (A, b), (uA, ub))[1] (the tangent for b is None)")}

CHOLESKY_INVERSE_FORWARD = {"forward_ad": (
    "cholesky_inverse's forward-mode derivative is wrong (backward mode and finite differences agree with "
    "the exact value): a, u = torch.randn(2, 2, dtype=torch.float64), torch.randn(2, 2, dtype=torch.float64); "
    "f = lambda a: torch.cholesky_inverse(torch.tril(a) + 3 * torch.eye(2, dtype=a.dtype)); "
    "torch.func.jvp(f, (a,), (u,))[1] differs from (torch.func.jacrev(f)(a) * u).sum((-2, -1)) by ~40%")}

TRIANGULAR_SOLVE_FOR = dict.fromkeys(("forward_over_reverse", "test_jacfwd_jacfwd"), Contract(
    "forward-over-reverse through triangular_solve's backward is wrong: torch.autograd.forward_ad gives an "
    "HVP off by ~0.44 relative (double backward is exact) and torch.func.hessian raises 'Trying to set a "
    "forward gradient that has a different size than that of the original Tensor': "
    "torch.func.hessian(lambda b, a: torch.triangular_solve(b, torch.triu(a) + 3 * torch.eye(2, "
    "dtype=a.dtype)).solution.sum(), argnums=(0, 1))(torch.randn(2, 3, dtype=torch.float64), "
    "torch.randn(2, 2, dtype=torch.float64))", "Trying to set a forward gradient that has a different size",
    relative=math.inf))  # any size: its HVP is wrong by O(1); jacfwd of jacfwd raises the same

CDIST_FUNC = in_properties(("test_jacrev", "test_vmap_vjp"), Always(
    "torch.func's Jacobian of cdist is wrong (relative error ~1; eager backward and "
    "torch.autograd.functional.jacobian agree with the exact value): x, y = torch.randn(2, 3, "
    "dtype=torch.float64), torch.randn(3, 3, dtype=torch.float64); torch.func.jacrev(torch.cdist, "
    "argnums=(0, 1))(x, y) differs from torch.autograd.functional.jacobian(torch.cdist, (x, y)) by ~0.9"))

NORM_HESSIAN_FUNC = {"test_hessian": Always(
    "torch.func's Hessian of a normalization loses the dependence of the normalized input on x in the "
    "weight-input block (eager double backward and the exact value agree): x, w, b, v = torch.randn(2, 3, "
    "dtype=torch.float64), torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64), "
    "torch.randn(2, 3, dtype=torch.float64); L = lambda x, w, b: (F.layer_norm(x, (3,), w, b) * v).sum(); "
    "torch.func.hessian(L, argnums=(0, 1, 2))(x, w, b)[1][0][0] has zeros in columns 1 and 2, where "
    "torch.autograd.grad(torch.autograd.grad(L(x, w, b), w, create_graph=True)[0][0], x) has not")}
# Verified by hand (torch 2.13.0, CPU): second order agrees with a composite of
# elementary ops and with the exact value; the third directional derivative of the native op disagrees with
# the composite's and with central differences (step 1e-5, float64) of torch's own second order, which agree.
NORM_THIRD_ORDER_REASON = (
    "torch differentiates the normalization's double backward with the saved mean and invstd as constants "
    "(they carry no history), so every third-order derivative through the statistics is wrong (layer_norm: "
    "https://github.com/pytorch/pytorch/issues/175754 ; batch_norm in training mode, instance_norm through it: "
    "https://github.com/pytorch/pytorch/issues/186256): x = torch.tensor([[1., -2., 3.5], [0.5, 2., -1.]], "
    "dtype=torch.float64, requires_grad=True); g, = torch.autograd.grad(F.layer_norm(x, (3,)).pow(3).sum(), x, "
    "create_graph=True); h, = torch.autograd.grad(g.sum(), x, create_graph=True); torch.autograd.grad(h[0, 0], x) "
    "gives [[0.2589, 0.2589, 0.2589], [0, 0, 0]], exact 0 (layer_norm is invariant under x + c, so g.sum() is "
    "identically 0; the composite (x - m) * torch.rsqrt(((x - m) ** 2).mean(-1, keepdim=True) + 1e-5), m = "
    "x.mean(-1, keepdim=True), gives 0)")
# Strict in float32, float64 and float16 (every draw of the dev profile, seeds 1 and 2, showed it in float16); in
# bfloat16 its bound covers the wrong terms at some draws (9 of 16 items passed, dev profile, seeds 1 and 2) and
# no condition over the draw is known to separate them: the kit does not check those items (unmodelled).
NORM_BFLOAT16 = ("the normalizations' {} in bfloat16: torch's known {} deviation (float32, float64 and float16 "
                 "xfail it at every draw) lies within bfloat16's bound at some draws and beyond it at others, and "
                 "the kit has no condition over the draw that tells them apart, so it does not check them")
NORM_THIRD_ORDER = {f"third_order:{dtype}": Always(NORM_THIRD_ORDER_REASON)
                    for dtype in ("float32", "float64", "float16")}
NORM_THIRD_ORDER["third_order:bfloat16"] = Status("unmodelled", NORM_BFLOAT16.format("third order", "third-order"))
# Verified by hand (torch 2.13.0, CPU): nested torch.func.jvp of the native op against the same of a composite of
# elementary ops, and against central differences (step 1e-5, float64) of torch's own first-order tangent, which
# agree with each other to 1e-8; group_norm and rms_norm agree everywhere.
NORM_SECOND_TANGENT_REASON = (
    "differentiating the normalization's forward-mode formula again (nested jvp, jacfwd of jacfwd) drops the "
    "tangent of the saved statistics, so the second-order tangent is wrong: "
    "https://github.com/pytorch/pytorch/issues/196700 ; f = lambda t: F.layer_norm(torch.stack((t, "
    "torch.zeros_like(t))).reshape(1, 2), [2], torch.tensor([1., 2.], dtype=torch.float64), torch.zeros(2, "
    "dtype=torch.float64), eps=0.25).sum(); t = torch.tensor(0.7, dtype=torch.float64); "
    "torch.func.jvp(lambda t: torch.func.jvp(f, (t,), (torch.ones_like(t),))[1], (t,), (torch.ones_like(t),))[1] "
    "gives -0.3849, exact 0.7749 (f = -t / sqrt(1 + t**2)); batch_norm, instance_norm and layer_norm over 2 dims "
    "the same")
# As the third order: strict in float32, float64 and float16, unmodelled in bfloat16.
NORM_SECOND_TANGENT = {f"forward_over_forward:{dtype}": Always(NORM_SECOND_TANGENT_REASON)
                       for dtype in ("float32", "float64", "float16")}
NORM_SECOND_TANGENT["forward_over_forward:bfloat16"] = Status("unmodelled", NORM_BFLOAT16.format(
    "second-order tangent", "second-tangent"))

# Verified by hand (torch 2.13.0, CPU): <v, jvp(jvp)> against double backward's <∇<v, J u>, w> at random points
# (double backward agrees with the exact value in test_hvp; linalg.inv agrees in both as a control): det, slogdet,
# linalg.slogdet, logdet, linalg.solve, solve_ex, solve left=False and tensorsolve all differ; and
# det(A + sU + tW) with A = [[2, 1], [0.5, 3]], U = e11, W = e22 is (2 + s)(3 + t) - 0.5.
LINALG_SECOND_TANGENT = {"forward_over_forward": replace(Always(
    "the forward-mode formulas of det, slogdet, logdet and solve use the LU of the primal, saved without a "
    "tangent, so differentiating them again (nested jvp, jacfwd of jacfwd) drops d(A^-1): "
    "https://github.com/pytorch/pytorch/issues/192540 , #196696, #196697 ; A = torch.tensor([[2., 1.], [0.5, 3.]], "
    "dtype=torch.float64); U = torch.tensor([[1., 0.], [0., 0.]], dtype=torch.float64); W = torch.tensor([[0., "
    "0.], [0., 1.]], dtype=torch.float64); torch.func.jvp(lambda a: torch.func.jvp(torch.linalg.det, (a,), "
    "(U,))[1], (A,), (W,))[1] gives 1.0909, exact 1; with (U,) twice 1.6364, exact 0 (fixed in torch 2.15.0: every "
    "one of these entries passes there, strict)"), until="2.15")}

BCE_LOGITS_JACFWD2 = {"test_jacfwd_jacfwd": Contract(
    "jacfwd of jacfwd through binary_cross_entropy_with_logits with pos_weight, differentiated in the target too, "
    "raises (torch.func.hessian and nested jvp give the exact value): x = torch.tensor([0.5, -1.0], "
    "dtype=torch.float64); y = torch.tensor([1.0, 0.25], dtype=torch.float64); p = torch.tensor([2.0, 3.0], "
    "dtype=torch.float64); torch.func.jacfwd(torch.func.jacfwd(lambda x, y: F.binary_cross_entropy_with_logits(x, "
    "y, pos_weight=p), argnums=(0, 1)), argnums=(0, 1))(x, y) raises RuntimeError: ZeroTensors are immutable",
    "ZeroTensors are immutable", strict=True)}

NORM_HIGHER_ORDER = NORM_THIRD_ORDER | NORM_SECOND_TANGENT
# From torch 2.15 batch_norm (and instance_norm through it) refuses reverse third order instead
# (pytorch/pytorch#186779): verified with torch 2.15.0 on the CPU; forward over reverse over reverse still
# computes the wrong value.
BATCH_NORM_THIRD_ORDER_REFUSED = {"test_third_order": replace(Contract(
    "torch refuses batch_norm's third order from 2.14 on (2.14.1 and 2.15.0 measured; the fix of "
    "pytorch/pytorch#186256 raises rather than "
    "differentiate the saved statistics as constants): x = torch.randn(3, 2, dtype=torch.float64, "
    "requires_grad=True); g, = torch.autograd.grad(F.batch_norm(x, None, None, training=True).pow(3).sum(), x, "
    "create_graph=True); h, = torch.autograd.grad(g.sum(), x, create_graph=True); torch.autograd.grad(h[0, 0], x) "
    "raises RuntimeError: batch_norm does not support 3rd+ order derivatives",
    "does not support 3rd+ order derivatives", strict=True), since="2.14")}
BATCH_NORM_HIGHER_ORDER = NORM_HIGHER_ORDER | BATCH_NORM_THIRD_ORDER_REFUSED

# Verified by hand (torch 2.13.0, CPU, float64): the same three grads of log(cumsum(exp(x))) are finite and
# agree with the native op's everywhere but the last element; forward over reverse over reverse is right.
LOGCUMSUMEXP_THIRD_ORDER = {"test_third_order": Always(
    "torch.logcumsumexp's third derivative is NaN at the last element (the composite log(cumsum(exp(x))) and the "
    "exact value are finite): x = torch.tensor([0.3, -1.2, 2.0, 0.7, -0.4], dtype=torch.float64, "
    "requires_grad=True); torch.manual_seed(0); v, u, w = (torch.randn(5, dtype=torch.float64) for _ in range(3)); "
    "g, = torch.autograd.grad(torch.logcumsumexp(x, 0), x, v, create_graph=True); h, = torch.autograd.grad(g, x, "
    "u, create_graph=True); torch.autograd.grad(h, x, w)[0][4] is nan, the composite gives -0.0455")}
I0_THIRD_ORDER = ("the third derivative of i0 through torch's i0 backward (i1, i1e) is off by 6% at |x| ~ 8 in float32 "
                  "(61440 for 57991.6) and 5e-11 relative in float64, 1.4e4 to 3e4 plain bounds: not yet analysed "
                  "(an accuracy loss of torch's Bessel functions or a cancellation the model misses)")
LINALG_HIGHER_ORDER = FORWARD_OVER_REVERSE_LINALG | LINALG_SECOND_TANGENT
