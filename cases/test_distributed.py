"""Data parallelism: ``DistributedDataParallel`` leaves every rank the exact average of the ranks' vᵀJ.

Two ranks (gloo on 127.0.0.1; one pool of rank processes per session or xdist worker, see
``conformance.ranks.pool``) hold a catalogue entry's differentiable inputs as the Parameters of a
Module (the same values on both, as DDP requires) whose forward is the entry's call, wrap it in DDP
(``gradient_as_bucket_view`` drawn) and backpropagate ``out.backward(gradient=v_r)`` with their own
weights.  After the synced backward every rank's ``.grad`` must be (Σ_r v_rᵀJ) / 2, and both ranks
must hold bitwise the same gradient.

Exactness: DDP halves each rank's gradient (exact: a power of two) and sums the halves in one
allreduce (one rounding).  ``Expected`` has no scaling, so the checks compare **twice** rank 0's
``.grad`` (×2 is exact in floating point) with the exact sum, whose bound (``Expected.__add__``)
charges each rank's backward, each local accumulation and that one rounding of the sum; halving and
doubling lose bits only below the smallest normal number, which the bound's floor covers.

A failure's repro lists the inputs and weights, the script each rank ran (as comments) and the
gradients the ranks returned (as tensors), followed by the exact sum and its bound.
"""
import inspect
from functools import reduce
from operator import add

import numpy as np
import pytest
import torch
from hypothesis import strategies as st

from conformance.catalogue import get
from conformance.ranks import pool as distributed
from conformance.run.failure import helper_lines, tensor_source
from conformance.run.trial import Expected, Trial

from ._steps import drawn

WORLD = 2
ENTRIES = ("sin", "exp", "mul", "mm", "softmax", "logsumexp", "sum", "split", "tanh_mlp", "nn.functional.linear")
ddp_entries = pytest.mark.conformance(entries=ENTRIES)


def _default(fn) -> bool:
    return inspect.signature(fn).parameters["set_to_none"].default


# method id -> (statement, whether every .grad must be None afterwards)
ZEROING = {
    "optimizer.zero_grad": ("opt.zero_grad()", _default(torch.optim.Optimizer.zero_grad)),
    "optimizer.zero_grad(set_to_none=True)": ("opt.zero_grad(set_to_none=True)", True),
    "optimizer.zero_grad(set_to_none=False)": ("opt.zero_grad(set_to_none=False)", False),
    "module.zero_grad": ("ddp.zero_grad()", _default(torch.nn.Module.zero_grad)),
    "module.zero_grad(set_to_none=False)": ("ddp.zero_grad(set_to_none=False)", False),
}


@pytest.fixture(scope="session")
def ranks(device):
    """The session's two gloo ranks: started once, stopped at session end (after failures and Ctrl-C too)."""
    why = distributed.unavailable("gloo")
    if why:
        pytest.skip(why)
    pool = distributed.shared(WORLD, "gloo")
    try:
        pool.start()  # a group that cannot start is an error, not a skip
        if device.type != "cpu":
            try:
                pool.run(f"t = torch.ones(2, device={str(device)!r}); dist.all_reduce(t); result = t.tolist()")
            except distributed.RankTimeout:
                raise
            except distributed.RankFailure as exc:
                pytest.skip(f"gloo cannot allreduce tensors on {device} in this torch build: {exc.message}")
        yield pool
    finally:
        distributed.close_shared()


# -- the rank script ---------------------------------------------------------------------------------
def _weights(t: Trial, k: int, values=None) -> list[list[list[str]]]:
    """k micro-batch weights per rank, mine[rank][j] (one name per output): drawn, or ``values[rank][j]``."""
    return [[t.weights(prefix=f"gy_r{r}_m{j}_", values=None if values is None else values[r][j]) for j in range(k)]
            for r in range(WORLD)]


def _step(t: Trial, j: int, sync: bool = True) -> list[str]:
    """One micro-batch: a forward through DDP and the backward of this rank's weights ``mine[j]``."""
    outs = t.outputs("out")
    backward = (f"{outs[0]}.backward(gradient=mine[{j}][0])" if len(outs) == 1 else
                f"torch.autograd.backward([{', '.join(outs)}], grad_tensors=mine[{j}])")
    return ["out = ddp()", backward] if sync else ["with ddp.no_sync():", "    out = ddp()", f"    {backward}"]


def _script(t: Trial, mine, body: list[str], bucket_view: bool, hook: str = "") -> str:
    """The statements each rank runs (``rank`` is bound): Module, DDP, its own weights, ``body``, ``grads``."""
    names = t.grad_names
    lines = ["import torch", "import torch.nn.functional as F"]
    lines += helper_lines(t.case.helpers)
    lines += [f"{a.name} = {tensor_source(t.values[a.name], t.dtype, t.device)}" for a in t.case.args]
    lines += ["class Call(torch.nn.Module):",
              "    def __init__(self):",
              "        super().__init__()",
              *(f"        self.register_parameter({n!r}, torch.nn.Parameter({n}.detach().clone()))" for n in names),
              "    def forward(self):",
              f"        {', '.join(names)}, = {', '.join(f'self.{n}' for n in names)},",
              f"        return {t.case.call}",
              f"ddp = torch.nn.parallel.DistributedDataParallel(Call(), gradient_as_bucket_view={bucket_view})"]
    lines += hook.strip().splitlines()
    defined = {n for per_rank in mine for vs in per_rank for n in vs}
    lines += [line for line in t.script if line.split(" = ", 1)[0] in defined]
    lines.append(f"mine = {_nested_names(mine)}[rank]")
    lines += body
    # values as float64 (complex128): exact for every dtype, numpy has no bfloat16
    lines.append("grads = {n: None if p.grad is None else (p.grad.detach().cpu().to(torch.complex128 if "
                 "p.grad.is_complex() else torch.float64).numpy(), str(p.grad.dtype), str(p.grad.device)) "
                 "for n, p in ddp.module.named_parameters()}")
    return "\n".join(lines)


def _nested_names(mine) -> str:
    return "[" + ", ".join("[" + ", ".join(f"[{', '.join(vs)}]" for vs in per_rank) + "]" for per_rank in mine) + "]"


def _run(t: Trial, pool: distributed.RankPool, script: str, result: str = "grads") -> list:
    """Run the script on every rank (recorded in the repro as comments); a rank that fails is a failure."""
    __tracebackhide__ = True
    t.note(f"# DDP: each of {WORLD} ranks (torch.distributed, gloo on 127.0.0.1; rank = dist.get_rank()) runs",
           *(f"#   {line}" for line in script.splitlines()))
    try:
        return pool.run(script, result)
    except distributed.RankFailure as exc:
        t.fail(f"the DDP script failed on rank {exc.rank}: {exc.message}", detail=exc.detail.splitlines()[-6:])


# -- checks ------------------------------------------------------------------------------------------
def _record(t: Trial, grads: list[dict]) -> dict[str, list[str]]:
    """Each rank's returned ``.grad`` as a tensor (``ddp_r{rank}_{input}``, its dtype and device kept)."""
    t.note("# the ranks' gradients after the synced backward:")
    if any(g is not None and not np.isfinite(g[0]).all() for per_rank in grads for g in per_rank.values()):
        t.run("inf, nan = float('inf'), float('nan')")
    names: dict[str, list[str]] = {n: [] for n in t.grad_names}
    for r, per_rank in enumerate(grads):
        for n in t.grad_names:
            got, var = per_rank[n], f"ddp_r{r}_{n}"
            if got is None:
                t.run(f"{var} = None")
            else:
                values, dtype, device = got
                dtype = getattr(torch, dtype.split(".")[-1])
                t.run(f"{var} = {tensor_source(values.astype(np.float64), dtype, device)}")
            names[n].append(var)
    return names


def _check_average(t: Trial, grads: list[dict], exact_sum: Expected, what: str) -> None:
    """Rank 0's ``.grad`` is the exact sum / 2 (compared as 2 x grad), and every rank holds bitwise the same."""
    __tracebackhide__ = True
    names = _record(t, grads)
    for n, per_rank in names.items():
        for r, var in enumerate(per_rank):
            if t.eval(var) is None:
                t.fail(f"rank {r}: {n}.grad is None after the synced backward, expected the average of {what}")
    t.check(exact_sum, grads={n: f"2 * {per_rank[0]}" for n, per_rank in names.items()},
            what=f"sum over the ranks of {what} (twice rank 0's averaged .grad)")
    for n, (first, *others) in names.items():
        for r, var in enumerate(others, 1):
            (a, *where_a), (b, *where_b) = grads[0][n], grads[r][n]
            if a.tobytes() != b.tobytes() or a.dtype != b.dtype or a.shape != b.shape or where_a != where_b:
                show = f"print(torch.equal({first}, {var}), ({first} - {var}).abs().max())"
                t.fail(f"rank {r}'s {n}.grad differs from rank 0's: DDP must leave every rank bitwise the same "
                       "gradient", expected_lines=[show])


def _exact_sum(t: Trial, mine) -> Expected:
    """Σ over ranks of each rank's Σ over its micro-batches, added in the order DDP adds them."""
    return reduce(add, (reduce(add, (t.expected(vs) for vs in per_rank)) for per_rank in mine))


def ddp_average(t: Trial, pool, bucket_view: bool, no_sync: int = 0, values=None, hook: str = "") -> None:
    """``no_sync`` micro-batches under ``ddp.no_sync()``, then one synced: the exact sum averaged over ranks.

    ``values[rank][j]``: fixed weights instead of drawn ones; ``hook``: source defining ``hook`` and
    registering it with ``ddp.register_comm_hook`` (the kit's tests inject wrong averaging this way)."""
    __tracebackhide__ = True
    t.forward()
    mine = _weights(t, no_sync + 1, values)
    body = [line for j in range(no_sync) for line in _step(t, j, sync=False)] + _step(t, no_sync)
    grads = _run(t, pool, _script(t, mine, body, bucket_view, hook))
    _check_average(t, grads, _exact_sum(t, mine), f"{no_sync + 1} vᵀJ per rank" if no_sync else "vᵀJ")


# -- properties --------------------------------------------------------------------------------------
@ddp_entries
@drawn(bucket_view=st.booleans())
def test_ddp_average(case, dtype, device, ranks, status, data, bucket_view):
    """One backward per rank, each with its own weights v_r: every rank's .grad is (v_0ᵀJ + v_1ᵀJ) / 2."""
    ddp_average(Trial(case, dtype, device, data, "ddp_average", status=status), ranks, bucket_view)


@ddp_entries
@drawn(k=st.integers(1, 3), bucket_view=st.booleans())
def test_ddp_no_sync_accumulation(case, dtype, device, ranks, status, data, k, bucket_view):
    """k micro-batches under ``ddp.no_sync()`` accumulate locally; the synced one after them averages the
    ranks' whole sums: .grad = Σ_r Σ_j v_rjᵀJ / 2."""
    ddp_average(Trial(case, dtype, device, data, f"ddp_no_sync_accumulation (k={k})", status=status), ranks,
                bucket_view, no_sync=k)


@ddp_entries
@drawn(method=st.sampled_from(list(ZEROING)), bucket_view=st.booleans())
def test_ddp_zeroing(case, dtype, device, ranks, status, data, method, bucket_view):
    """A synced step, a way of zeroing (drawn), a synced step: .grad is None or exact zeros (the same tensor)
    as promised, then only the new average."""
    _zeroing(Trial(case, dtype, device, data, f"ddp_zeroing ({method})", status=status), ranks, method, bucket_view)


@pytest.mark.parametrize("method", ZEROING)
@drawn(bucket_view=st.booleans())
def test_ddp_zeroing_each_method(dtype, device, ranks, status, data, method, bucket_view):
    """Every way of zeroing, every run, on a two-input composite (``tanh_mlp``)."""
    _zeroing(Trial(get("tanh_mlp"), dtype, device, data, f"ddp_zeroing ({method})", status=status), ranks, method,
             bucket_view)


def _zeroing(t: Trial, pool, method: str, bucket_view: bool) -> None:
    __tracebackhide__ = True
    statement, to_none = ZEROING[method]
    t.forward()
    mine = _weights(t, 2)
    body = ["opt = torch.optim.SGD(ddp.parameters(), lr=0.1)", *_step(t, 0),
            "before = [p.grad for p in ddp.module.parameters()]", statement,
            "zeroed = {n: (p.grad is None, p.grad is not None and bool((p.grad == 0).all()), p.grad is b) "
            "for (n, p), b in zip(ddp.module.named_parameters(), before)}", *_step(t, 1)]
    answers = _run(t, pool, _script(t, mine, body, bucket_view), result="grads, zeroed")
    for r, (_, zeroed) in enumerate(answers):
        for n, (is_none, zeros, same) in zeroed.items():
            if to_none and not is_none:
                t.fail(f"rank {r}: after {method}, {n}.grad is not None (the call promises set_to_none)")
            if not to_none and not zeros:
                t.fail(f"rank {r}: after {method}, {n}.grad is not a tensor of exact zeros")
            if not to_none and not same:
                t.fail(f"rank {r}: after {method}, {n}.grad is a new tensor (zeroing must work in place)")
    _check_average(t, [grads for grads, _ in answers], _exact_sum(t, [per_rank[1:] for per_rank in mine]),
                   "the vᵀJ after zeroing")
