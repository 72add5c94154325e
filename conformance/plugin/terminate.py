"""SIGTERM ends a kit run as Ctrl-C does: ``timeout 600 pytest ...``, a cancelled CI job or ``kill`` stop the
run cleanly, so its summary is printed and its report written for the tests that ran (marked interrupted).

Installed on the controlling process of a kit run only (xdist workers stop with it), in the main thread, and
only where SIGTERM has its default action (a handler or an ignore of someone else's stays); the previous
action is restored when pytest unconfigures.
"""
from __future__ import annotations

import signal
import threading


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is: pytest stops as on Ctrl-C (exit status 2, the tests that ran reported)."""


def _stop(signum, frame):
    raise Terminated("SIGTERM: the run stopped")


def install(config) -> None:
    """SIGTERM raises Terminated until ``config`` is unconfigured (controller, main thread, default action only)."""
    if hasattr(config, "workerinput") or threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return
    signal.signal(signal.SIGTERM, _stop)

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is _stop:
            signal.signal(signal.SIGTERM, previous)
    config.add_cleanup(restore)
