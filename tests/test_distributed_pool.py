"""The rank pool behind ``cases/test_distributed.py``, and that the DDP property can fail.

The pool must run a job on every rank and return each rank's result, talk over 127.0.0.1 only, name
a rank that raises (with its traceback) or hangs (within the timeout) instead of hanging itself, and
leave no process behind when closed, timed out or interrupted.  The property, given a DDP whose
communication hook averages wrongly, must fail in the kit's format.
"""
import functools
import multiprocessing
import os
import signal
import socket
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from _cases import load_cases

from conformance.catalogue import get
from conformance.ranks import pool as distributed
from conformance.run.failure import ConformanceFailure
from conformance.run.trial import Trial

pytestmark = pytest.mark.skipif(distributed.unavailable("gloo") is not None,
                                reason=str(distributed.unavailable("gloo")))
ALLREDUCE = ("import os\nt = torch.tensor([float(rank + 1)]); dist.all_reduce(t)\n"
             "result = (rank, world_size, t.item(), os.getpid())")


@pytest.fixture(scope="session")
def pool():
    yield distributed.shared(2, "gloo")
    distributed.close_shared()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _assert_stopped(pids: list[int]) -> None:
    __tracebackhide__ = True
    assert not {p.pid for p in multiprocessing.active_children()} & set(pids)
    assert not [pid for pid in pids if _alive(pid)], "a rank process is still alive"


def test_job_runs_on_every_rank_and_returns_each_result(pool):
    got = pool.run(ALLREDUCE)
    assert [g[:3] for g in got] == [(0, 2, 3.0), (1, 2, 3.0)]
    assert [g[3] for g in got] == pool.pids and os.getpid() not in pool.pids
    assert set(pool.pids) <= {p.pid for p in multiprocessing.active_children()}


def _tcp_sockets(pid: int) -> list[tuple[tuple[str, int], str, str]]:
    """((local address, port), remote address, state) of each TCP socket process ``pid`` holds (Linux /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])

    def address(field: str) -> str:
        raw = bytes.fromhex(field.split(":")[0])
        words = b"".join(struct.pack("<I", int.from_bytes(raw[i:i + 4], "big")) for i in range(0, len(raw), 4))
        return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words)

    out = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                out.append(((address(fields[1]), int(fields[1].split(":")[1], 16)), address(fields[2]), fields[3]))
    return out


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux's /proc/<pid>/net/tcp")
def test_ranks_talk_over_loopback_only(pool):
    """Every TCP socket of the ranks, and the store's listening socket, is on 127.0.0.1."""
    pool.run("result = None")
    loopback = {"127.0.0.1", "::ffff:127.0.0.1"}
    for pid in pool.pids:
        sockets = _tcp_sockets(pid)
        assert sockets, f"rank process {pid} holds no TCP socket"
        for (local, _), remote, state in sockets:
            assert local in loopback and (state == "0A" or remote in loopback), (pid, local, remote)  # 0A: listening
    store = [local for (local, port), _, state in _tcp_sockets(os.getpid()) if state == "0A" and port == pool.port]
    assert store == ["127.0.0.1"]


def test_rank_that_raises_is_named_with_its_traceback(pool):
    """The other rank answered and the group still pairs collectives: the pool is kept."""
    pool.start()
    pids = pool.pids
    with pytest.raises(distributed.RankFailure) as info:
        pool.run("x = 1\nif rank == 1:\n    raise ValueError('rank one refuses')\nresult = x")
    assert info.value.rank == 1 and "ValueError: rank one refuses" in str(info.value)
    assert 'File "<rank 1 job>", line 3' in info.value.detail
    assert pool.pids == pids and [g[2] for g in pool.run(ALLREDUCE)] == [3.0, 3.0]


# -- the property can fail -----------------------------------------------------------------------
@functools.cache
def _property():
    """``cases/test_distributed.py`` as a module (the cases directory is not a package)."""
    return load_cases("test_distributed.py")


X, Y = [0.5, -1.25, 2.0, 3.0, -0.75, 1.5], [1.0, 0.25, -2.0, 0.5, 3.5, -1.0]
WEIGHTS = [[[np.array([1.0, -2.0, 0.5, 0.0, 1.5, 3.0])]], [[np.array([0.25, 1.0, -1.0, 2.0, 0.5, -0.5])]]]
HOOKS = {  # a DDP communication hook as each rank defines it, and the failure it must cause
    "sum-not-average": ("def hook(state, bucket):\n"
                        "    fut = dist.all_reduce(bucket.buffer(), async_op=True).get_future()\n"
                        "    return fut.then(lambda f: f.value()[0])\n"
                        "ddp.register_comm_hook(None, hook)", "deviates from the exact sum over the ranks"),
    "rank1-one-ulp-up": ("def hook(state, bucket):\n"
                         "    fut = dist.all_reduce(bucket.buffer().div_(world_size), async_op=True).get_future()\n"
                         "    up = lambda g: torch.nextafter(g, torch.full_like(g, float('inf'))) if rank == 1 else g\n"
                         "    return fut.then(lambda f: up(f.value()[0]))\n"
                         "ddp.register_comm_hook(None, hook)", "differs from rank 0's: DDP must leave every rank"),
}
TORCH_HOOK = ("from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook\n"
              "ddp.register_comm_hook(None, allreduce_hook)")


def _mul(device) -> Trial:
    return Trial(get("mul"), torch.float64, device, None, "ddp_average", values={"x": np.array(X), "y": np.array(Y)})


@pytest.mark.parametrize("bucket_view", [False, True], ids=["copy", "bucket-view"])
def test_property_passes_with_torchs_own_allreduce_hook(pool, cpu, bucket_view):
    """The control for the faults below: a hook that averages correctly passes."""
    _property().ddp_average(_mul(cpu), pool, bucket_view, values=WEIGHTS, hook=TORCH_HOOK)


@pytest.mark.parametrize("fault", HOOKS)
def test_wrong_averaging_fails_the_property(pool, cpu, fault):
    hook, message = HOOKS[fault]
    with pytest.raises(ConformanceFailure, match=message) as info:
        _property().ddp_average(_mul(cpu), pool, False, values=WEIGHTS, hook=hook)
    repro = info.value.__notes__[0]
    assert "# DDP: each of 2 ranks" in repro and "#   ddp.register_comm_hook(None, hook)" in repro
    assert "ddp_r0_x = torch.tensor(" in repro and "ddp_r1_y = torch.tensor(" in repro


# -- stopping ------------------------------------------------------------------------------------
def test_close_stops_and_joins_every_rank(pool):
    pool.start()
    pids = pool.pids
    pool.close()
    assert not pool.running and pool.stopped == {pid: 0 for pid in pids}  # each left its loop and the group
    _assert_stopped(pids)


def test_rank_that_hangs_times_out_and_the_pool_stops(pool):
    pool.start()
    pids, began = pool.pids, time.monotonic()
    with pytest.raises(distributed.RankTimeout, match=r"rank 1: did not run the job within 2 s") as info:
        pool.run("import time\nif rank == 1:\n    time.sleep(120)\nresult = rank", timeout=2)
    assert info.value.rank == 1 and time.monotonic() - began < 2 + 15  # + stopping the ranks
    assert not pool.running
    _assert_stopped(pids)


def test_interrupt_while_waiting_stops_every_rank():
    """Ctrl-C (KeyboardInterrupt) while the pool waits for its ranks: no rank is left behind."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    fresh = distributed.RankPool(2, "gloo", start_timeout=60)
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            fresh.start()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fresh.running and fresh.starts == 1 and len(fresh.stopped) == 2
    _assert_stopped(list(fresh.stopped))
