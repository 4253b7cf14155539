"""Taylor-remainder slope test for gradients (after pymanopt's ``check_directional_derivative``).

For a correct gradient ``g`` of a smooth ``f``, the remainder
``|f(x + h v) - f(x) - h <g(x), v>|`` is ``O(h^2)``: its log-log slope in ``h`` is 2. A wrong
gradient leaves an ``O(h)`` remainder (slope 1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def taylor_remainder_slope(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray],
                           x: np.ndarray, direction: np.ndarray | None = None, *,
                           hs: np.ndarray | None = None,
                           rng: np.random.Generator | int | None = 0) -> float:
    """Least-squares slope of ``log remainder`` against ``log h`` over ``hs``.

    ``hs`` defaults to ``logspace(-1, -4, 7)`` (the direction is normalised); steps whose
    remainder is within ``1e4`` ulps of ``f(x)`` are dropped (round-off, not Taylor).
    """
    x = np.asarray(x, dtype=np.float64)
    v = np.random.default_rng(rng).standard_normal(x.shape) if direction is None else direction
    v = v / np.linalg.norm(v)
    hs = np.logspace(-1, -4, 7) if hs is None else np.asarray(hs, dtype=np.float64)
    fx, gv = f(x), float(np.sum(grad(x) * v))
    rem = np.array([abs(f(x + h * v) - fx - h * gv) for h in hs])
    # keep only remainders well above float64 round-off of f
    usable = rem > 1e4 * np.finfo(float).eps * max(1.0, abs(fx))
    if usable.sum() < 3:
        raise ValueError("remainders are at round-off level for these step sizes; pass larger hs")
    return float(np.polyfit(np.log(hs[usable]), np.log(rem[usable]), 1)[0])
