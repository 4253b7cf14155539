"""Verdicts from repeated runs: paired differences over seeds with a 95% interval.

An empirical claim says that some difference ``delta`` (per seed, paired: the same seed gives
both arms the same data split and initialisation) has a sign. Over ``n >= 5`` seeds the mean
and the Student-t 95% interval ``mean +- t_{0.975, n-1} s / sqrt(n)`` decide the evidence:
``passed = True`` when the interval excludes zero in the claimed direction, ``False`` when it
excludes zero in the other direction, ``None`` (inconclusive) otherwise (issue 8's rule).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .registry import Evidence

MIN_SEEDS = 5


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the Student-t interval of the mean of ``values`` (``n >= 2``)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"values must be a 1-D array of at least 2 numbers, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    mean = float(v.mean())
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


def sign_evidence(diffs, *, direction: str, what: str, params: dict | None = None,
                  scale: float = 1.0, unit: str = "", extra: str = "",
                  numbers: dict | None = None) -> Evidence:
    """Evidence that the paired differences ``diffs`` (one per seed) are ``> 0``
    (``direction="positive"``) or ``< 0`` (``"negative"``), by :func:`t_interval`.

    ``what`` names the difference in the summary; ``scale``/``unit`` format it (e.g. 100, "pp").
    """
    if direction not in ("positive", "negative"):
        raise ValueError(f"direction must be 'positive' or 'negative', got {direction!r}")
    d = np.asarray(diffs, dtype=np.float64)
    if d.size < MIN_SEEDS:
        return Evidence("empirical", f"{what}: only {d.size} seeds, at least {MIN_SEEDS} needed",
                        passed=None, params=params or {})
    mean, lo, hi = t_interval(d)
    sign = 1.0 if direction == "positive" else -1.0
    if sign * lo > 0 and sign * hi > 0:
        passed = True
    elif sign * lo < 0 and sign * hi < 0:
        passed = False
    else:
        passed = None
    want = "> 0" if sign > 0 else "< 0"
    tag = {True: "claimed sign", False: "OPPOSITE sign", None: "interval contains 0"}[passed]
    summary = (f"{what} = {scale * mean:+.3g}{unit} [95% CI {scale * lo:+.3g}, {scale * hi:+.3g}] "
               f"over {d.size} seeds (claimed {want}: {tag})" + (f"; {extra}" if extra else ""))
    nums = {"mean": mean, "ci_low": lo, "ci_high": hi, "n_seeds": int(d.size), "diffs": d.tolist(),
            **(numbers or {})}
    counter = None if passed is not False else {"params": params or {}, "numbers": nums}
    return Evidence("empirical", summary, passed=passed, numbers=nums, params=params or {},
                    counterexample=counter)
