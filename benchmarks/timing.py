"""Shared timer of the benchmark scripts (imported as ``timing``: the scripts run from
``benchmarks/``, which Python puts first on ``sys.path``)."""

from __future__ import annotations

import time


def best_of(fn, repeat: int = 3):
    """``(best wall time in seconds over repeat calls, the last result)``."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
