"""Monte Carlo comparison of exact expectations with sample averages, with standard errors.

Every closed-form moment in :mod:`theory` is checked against sampling through
:func:`moment_zscores`: the largest standardised deviation ``|mean_hat - exact| / se`` over all
entries. Under the null (the closed form is right) each entry is asymptotically ``N(0, 1)``;
a threshold of 6 keeps the family-wise false alarm rate below ``1e-6`` for ``d^2 <= 10^3``.
"""

from __future__ import annotations

import numpy as np


def zscores(values: np.ndarray, exact: np.ndarray, *, floor: float = 1e-12) -> np.ndarray:
    """Standardised deviations of the sample mean of ``values`` (axis 0) from ``exact``.

    ``se = std / sqrt(n)``; entries whose sample is constant use ``floor`` as ``se`` (an exact
    match then gives z = 0, any mismatch a huge z).
    """
    n = values.shape[0]
    se = values.std(axis=0, ddof=1) / np.sqrt(n)
    return np.abs(values.mean(axis=0) - exact) / np.maximum(se, floor)


def moment_zscores(samples: np.ndarray, mean: np.ndarray, second_moment: np.ndarray
                   ) -> tuple[float, float]:
    """Max z-scores of the first and uncentred second sample moments against exact values.

    Parameters
    ----------
    samples : array ``(n, d)``
    mean : array ``(d,)``
    second_moment : array ``(d, d)``, the exact ``E[x x^T]``

    Returns
    -------
    (z_mean, z_second) : the largest ``|z|`` over entries of each moment.
    """
    x = np.asarray(samples, dtype=np.float64)
    z1 = zscores(x, mean)
    z2 = zscores(x[:, :, None] * x[:, None, :], second_moment)
    return float(z1.max()), float(z2.max())
