"""A pool of ``torch.distributed`` ranks on this machine: run one job on every rank, get every rank's result.

The ranks are persistent worker processes (the "spawn" start method) joined in one process group
that only ever uses 127.0.0.1.  The rendezvous store is a ``TCPStore`` the pool hosts on a socket it
bound to 127.0.0.1 with port 0 (``init_method="tcp://127.0.0.1:PORT"`` would make rank 0 start a
store listening on every interface); the ranks join with ``init_process_group(backend, store=...)``,
and gloo's own connections are bound to the loopback interface (``GLOO_SOCKET_IFNAME``).  A job is
source text, executed on each rank in a fresh namespace holding ``torch``, ``dist``
(``torch.distributed``), ``rank`` and ``world_size``; the rank answers with the value of an
expression (default ``result``), which must pickle.  The pool knows nothing about any operation.

Every wait has a timeout, and ``run`` raises ``RankFailure`` naming the rank, with its traceback, when
a rank raises, dies or does not answer in time (``RankTimeout``).  A rank that hangs or dies ends the
pool, and so does a raise after which the group is not provably sound (the other ranks must answer
within ``GRACE`` seconds and a check allreduce must then pair up); the next ``run`` starts a fresh
group.  ``close`` (also at interpreter exit, and when the pool is garbage-collected) stops and joins
every process; so does an interruption (KeyboardInterrupt) while waiting for the ranks.
"""
from __future__ import annotations

import os
import socket
import sys
import time
import weakref
from multiprocessing.connection import wait

LOOPBACK = "127.0.0.1"
GRACE = 10.0  # seconds the other ranks get to answer once one has raised
_SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address


class RankFailure(RuntimeError):
    """A rank raised, died or did not answer in time (the message says when the pool was shut down)."""

    def __init__(self, rank: int, message: str, detail: str = ""):
        self.rank, self.message, self.detail = rank, message, detail
        super().__init__(f"rank {rank}: {message}" + (f"\n{detail}" if detail else ""))


class RankTimeout(RankFailure):
    """A rank did not answer within the timeout."""


def unavailable(backend: str = "gloo") -> str | None:
    """Why this torch cannot run a pool on ``backend`` (None: it can)."""
    import torch.distributed as dist
    if not dist.is_available():
        return "torch.distributed is not available in this torch build (torch.distributed.is_available() is False)"
    check = getattr(dist, f"is_{backend}_available", None)
    if check is None or not check():
        return f"torch.distributed has no {backend} backend in this torch build"
    return None


def loopback_store(timeout: float):
    """A ``TCPStore`` server listening on 127.0.0.1 only, at a port the system chose free (port 0)."""
    from datetime import timedelta

    import torch.distributed as dist
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((LOOPBACK, 0))
        port = sock.getsockname()[1]
        fd = sock.detach()  # the store owns the bound socket from here on (and closes it)
    finally:
        sock.close()
    return dist.TCPStore(LOOPBACK, port, None, True, timedelta(seconds=timeout), wait_for_workers=False,
                         master_listen_fd=fd)


def loopback_interface() -> str | None:
    """The name of the network interface holding 127.0.0.1 (``lo`` on Linux), for ``GLOO_SOCKET_IFNAME``."""
    names = [name for _, name in socket.if_nameindex()]
    try:
        import fcntl
        import struct
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for name in names:
                try:
                    raw = fcntl.ioctl(s.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
                except OSError:
                    continue
                if socket.inet_ntoa(raw[20:24]) == LOOPBACK:
                    return name
    except ImportError:  # not a POSIX system
        pass
    return next((n for n in ("lo", "lo0") if n in names), None)


def _serve(rank: int, world_size: int, backend: str, port: int, ifname: str | None, timeout: float, conn) -> None:
    """A rank's main loop: join the group, then run jobs from ``conn`` until told to stop (None) or orphaned."""
    import linecache
    import signal
    import traceback
    from datetime import timedelta

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which ends the pool
    if ifname:
        os.environ["GLOO_SOCKET_IFNAME"] = ifname  # gloo's pair sockets on the loopback interface only
    try:
        import torch
        import torch.distributed as dist
        torch.set_num_threads(1)
        store = dist.TCPStore(LOOPBACK, port, None, False, timedelta(seconds=timeout))
        dist.init_process_group(backend, store=store, rank=rank, world_size=world_size,
                                timeout=timedelta(seconds=timeout))
        conn.send(("ready", os.getpid()))
    except BaseException:  # noqa: BLE001 - whatever failed is the parent's error message
        conn.send(("error", traceback.format_exc()))
        return
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):  # the parent is gone
                break
            if job is None:
                break
            script, result = job
            filename = f"<rank {rank} job>"
            linecache.cache[filename] = (len(script), None, script.splitlines(True), filename)  # tracebacks show lines
            ns = {"__name__": "__rank__", "torch": torch, "dist": dist, "rank": rank, "world_size": world_size}
            try:
                exec(compile(script, filename, "exec"), ns)  # noqa: S102 - the job is source text by design
                conn.send(("ok", eval(result, ns)))  # noqa: S307
            except BaseException:  # noqa: BLE001 - reported to the parent with its traceback
                conn.send(("error", traceback.format_exc()))
            finally:
                ns.clear()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # left the group cleanly; skip the slow finalization of a process that imported torch


def _shutdown(procs: list, conns: list, held: list, graceful: bool) -> dict[int, int | None]:
    """Stop every rank: ask politely (graceful), then SIGTERM, then SIGKILL; join each; close the pipes
    and drop what was ``held`` for the ranks (the store).

    Returns each rank's exit code by pid."""
    if graceful:
        for conn in conns:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 10
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
    for signal_it in ("terminate", "kill"):
        alive = [p for p in procs if p.is_alive()]
        for p in alive:
            getattr(p, signal_it)()
        for p in alive:
            p.join(5)
    codes = {p.pid: p.exitcode for p in procs if p.pid is not None}
    for p in procs:
        if p.exitcode is not None:
            p.close()
    for conn in conns:
        conn.close()
    procs.clear()
    conns.clear()
    held.clear()
    return codes


class RankPool:
    """``world_size`` ranks in one ``backend`` process group on 127.0.0.1, started on first use.

    ``timeout`` (seconds) bounds each job and the group's own collectives; ``start_timeout`` bounds
    starting the processes and joining the group (importing torch in a fresh process is slow on a
    busy machine).  Jobs must leave the ranks' global state (modules, torch settings) as they found it.
    """

    def __init__(self, world_size: int = 2, backend: str = "gloo", timeout: float = 60.0,
                 start_timeout: float = 180.0):
        self.world_size, self.backend, self.timeout, self.start_timeout = world_size, backend, timeout, start_timeout
        self._procs: list = []
        self._conns: list = []
        self._held: list = []  # the rendezvous store, alive while the ranks are
        self.starts = 0  # process groups started so far
        self.stopped: dict[int, int | None] = {}  # pid -> exit code of the ranks last stopped (0: left cleanly)
        self._finalizer = weakref.finalize(self, _shutdown, self._procs, self._conns, self._held, False)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    @property
    def port(self) -> int | None:
        """The rendezvous store's port on 127.0.0.1 (None while stopped)."""
        return self._held[0].port if self._held else None

    @property
    def running(self) -> bool:
        return bool(self._procs) and all(p.is_alive() for p in self._procs)

    def start(self) -> None:
        """Start the ranks and wait until all of them joined the group (no-op when running)."""
        if self.running:
            return
        self.close()
        import torch.multiprocessing as tmp
        ctx = tmp.get_context("spawn")
        self.starts += 1
        try:
            store, ifname = loopback_store(self.start_timeout), loopback_interface()
            self._held.append(store)
            for rank in range(self.world_size):
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=_serve, name=f"conformance-rank-{rank}", daemon=True,
                                   args=(rank, self.world_size, self.backend, store.port, ifname, self.timeout, child))
                self._procs.append(proc)
                self._conns.append(parent)
                proc.start()
                child.close()
        except BaseException:
            self._abort()
            raise
        self._collect("join the process group", self.start_timeout, keep=False)

    def run(self, script: str, result: str = "result", timeout: float | None = None) -> list:
        """Run ``script`` on every rank; the value of ``result`` on each rank, in rank order.

        A rank that raises: ``RankFailure`` with its traceback.  The group is kept only if every other
        rank answered within ``GRACE`` seconds and a check allreduce then succeeds; a rank that hangs or
        dies ends the pool (``RankTimeout`` / ``RankFailure``).
        """
        self.start()
        try:
            for conn in self._conns:
                conn.send((script, result))
        except (OSError, ValueError) as exc:
            self._abort()
            raise RankFailure(-1, f"could not send the job: {exc}") from None
        return self._collect("run the job", self.timeout if timeout is None else timeout, keep=True)

    def _collect(self, what: str, timeout: float, keep: bool) -> list:
        """Each rank's answer; on a failure (or an interruption) the pool is shut down first, unless ``keep``
        and the group is sound (see ``run``)."""
        answers: dict[int, object] = {}
        errors: dict[int, str] = {}
        deadline = time.monotonic() + timeout
        try:
            while len(answers) + len(errors) < self.world_size:
                pending = {self._conns[r]: r for r in range(self.world_size) if r not in answers and r not in errors}
                pending.update({self._procs[r].sentinel: r for r in pending.values()})
                ready = wait(list(pending), timeout=max(0.0, deadline - time.monotonic()))
                if not ready and errors:
                    break
                if not ready:
                    late = sorted(set(pending.values()))
                    self._abort()
                    raise RankTimeout(late[0], f"did not {what} within {timeout:g} s (ranks not answering: "
                                      f"{', '.join(map(str, late))}); the pool was shut down")
                for obj in ready:
                    rank = pending[obj]
                    if rank not in answers and rank not in errors:
                        kind, value = self._receive(rank, what)
                        (errors if kind == "error" else answers)[rank] = value
                        if kind == "error":
                            deadline = min(deadline, time.monotonic() + GRACE)
            if errors:
                rank = min(errors)
                sound = keep and len(answers) + len(errors) == self.world_size and self._sound()
                if not sound:
                    self._abort()
                raise RankFailure(rank, f"raised while trying to {what}: {errors[rank].strip().splitlines()[-1]}"
                                  + ("" if sound else "; the pool was shut down"), errors[rank].rstrip())
        except RankFailure:
            raise
        except BaseException:  # KeyboardInterrupt included: never leave ranks behind
            self._abort()
            raise
        return [answers[r] for r in range(self.world_size)]

    def _receive(self, rank: int, what: str) -> tuple[str, object]:
        conn = self._conns[rank]
        try:
            if not conn.poll():  # only the sentinel: the process ended without answering
                raise EOFError
            return conn.recv()
        except EOFError:
            self._procs[rank].join(5)
            code = self._procs[rank].exitcode
            self._abort()
            raise RankFailure(rank, f"exited (exit code {code}) while trying to {what}; "
                              "the pool was shut down") from None

    def _sound(self) -> bool:
        """Whether the group still pairs collectives correctly (after a job that raised on some rank)."""
        try:
            sums = self.run("t = torch.ones(1); dist.all_reduce(t); result = t.item()", timeout=GRACE)
        except RankFailure:
            return False
        return sums == [float(self.world_size)] * self.world_size

    def _abort(self) -> None:
        self.stopped = _shutdown(self._procs, self._conns, self._held, graceful=False) or self.stopped

    def close(self) -> None:
        """Stop and join every rank (idempotent)."""
        self.stopped = _shutdown(self._procs, self._conns, self._held, graceful=True) or self.stopped

    def __enter__(self) -> "RankPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_SHARED: dict[tuple, RankPool] = {}


def shared(world_size: int = 2, backend: str = "gloo") -> RankPool:
    """This process's pool for (world_size, backend), shared by every test module that uses one.

    Started on its first job; stopped by ``close_shared`` (a session fixture's finalizer) or at exit.
    """
    if (world_size, backend) not in _SHARED:
        _SHARED[world_size, backend] = RankPool(world_size, backend)
    return _SHARED[world_size, backend]


def close_shared() -> None:
    """Stop every shared pool (idempotent; a later job starts it again)."""
    for pool in _SHARED.values():
        pool.close()
