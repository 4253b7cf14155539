"""Worker processes that end with their parent, and interrupts that end a run promptly.

:func:`forked_map` runs ``fn(i)`` over forked workers (``fn`` need not be picklable). Each
worker asks the kernel to end it when its parent dies (``PR_SET_PDEATHSIG``), ignores Ctrl-C
(the parent decides), and computes with one BLAS thread. When the consumer stops early — an
exception, Ctrl-C, a timeout — queued work is cancelled and the running workers are ended
at once, never run to completion.

:func:`interrupt_handler` (the CLI runs under it) makes the first Ctrl-C raise
``KeyboardInterrupt`` in the main process and records it (:func:`interrupt_requested`), so a
check that raises ``KeyboardInterrupt`` by itself is told apart from the user's; the second
Ctrl-C restores the default action and ends the process at once, even inside C code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed

_INTERRUPTED = threading.Event()


def interrupt_requested() -> bool:
    """Whether the user pressed Ctrl-C (or sent SIGINT) since :func:`interrupt_handler` began."""
    return _INTERRUPTED.is_set()


def _on_sigint(signum, frame):
    _INTERRUPTED.set()
    signal.signal(signal.SIGINT, signal.SIG_DFL)      # a second Ctrl-C ends the process at once
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_handler():
    """While active: the first Ctrl-C raises ``KeyboardInterrupt`` in the main process, flagged;
    the second takes the default action (the process ends with SIGINT; its workers end with
    it). The previous handler comes back on exit."""
    _INTERRUPTED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def die_with_parent() -> None:
    """Worker initialiser: end this worker when its parent dies (Linux
    ``prctl(PR_SET_PDEATHSIG, SIGTERM)``), leave Ctrl-C to the parent, and use one BLAS thread
    (the workers are the parallelism: BLAS threads of several workers competing for the same
    cores made a warm-up up to 13x slower)."""
    import ctypes

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # 1: PR_SET_PDEATHSIG
        except OSError:   # pragma: no cover  (no glibc: workers end when the queue closes)
            pass
        if os.getppid() == 1:      # the parent died before prctl took effect
            os._exit(1)


def end_pool(pool: ProcessPoolExecutor, grace: float = 2.0) -> None:
    """Cancel ``pool``'s queued work and end its running workers now (SIGTERM, then SIGKILL
    after ``grace`` seconds)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(grace)
        if p.is_alive():
            p.kill()
            p.join(grace)


_FORKED = None      # the function of the running forked_map, set before its workers fork


def _call_forked(i: int):
    return _FORKED(i)


def forked_map(fn, n: int, jobs: int):
    """Yield ``(i, future of fn(i))`` for ``i < n``, in completion order, over ``jobs`` forked
    workers; ``fn`` need not be picklable (the workers inherit it), only its results are.
    Closing the generator early (an exception in the consumer, Ctrl-C) ends the workers."""
    import multiprocessing as mp

    global _FORKED
    _FORKED = fn
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, n)), mp_context=mp.get_context("fork"),
                               initializer=die_with_parent)
    try:
        futures = {pool.submit(_call_forked, i): i for i in range(n)}
        for fut in as_completed(futures):
            yield futures[fut], fut
    except BaseException:
        end_pool(pool)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        _FORKED = None
