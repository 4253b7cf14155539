"""Client splits of a labelled data set and measures of their heterogeneity (docs/theory.md §4).

Every split returns a :class:`ClientSplit` holding both views of the same partition:

* ``weights`` ``(N, K)``: each client's *population* class weights ``pi_i`` (rows sum to 1),
  the input of exact moments (:meth:`theory.mixtures.GaussianMixture.client_second_moments`);
* ``indices``: the realised index sets into ``labels`` and their ``counts`` ``(N, K)``.

Conventions
-----------
``iid``            every client gets the global class proportions; samples dealt at random
                   into ``N`` parts whose sizes differ by at most one. Nothing is lost.
``dirichlet-class`` (Hsu, Qi and Brown 2019) for each class ``c``, ``p_c ~ Dir(alpha 1_N)``
                   splits that class's samples over clients; client sizes vary. Every sample is
                   assigned (cut points are ``floor(cumsum(p_c) n_c)``).
``dirichlet-client`` each client draws ``pi_i ~ Dir(alpha 1_K)`` and asks for
                   ``floor(pi_ic * n // N)`` samples of class ``c``; where a class is
                   oversubscribed every demand on it is scaled down pro rata before flooring.
                   Samples nobody asked for stay unassigned (``split.unassigned``).
``balanced``       the paper's released-code variant: the per-class Dirichlet mass matrix is
                   rebalanced to equal client sizes by alternating row/column normalisation
                   with *simultaneous* updates (both factors from the same iterate, each
                   applied as a square root so the joint step is a geometric mean), then
                   floored; flooring leaves at most ``N - 1`` samples per class unassigned.

Heterogeneity decreases as ``alpha`` grows: ``alpha -> infinity`` recovers the IID weights,
``alpha -> 0`` gives one-class clients (``dirichlet-client``) or one-client classes
(``dirichlet-class``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .structured import IdentityPlusBlock
from .validation import as_array, as_float, as_int

SPLIT_METHODS = ("iid", "dirichlet-class", "dirichlet-client", "balanced")


@dataclass(frozen=True)
class ClientSplit:
    """A partition of a labelled data set over clients (see module docstring)."""

    method: str
    weights: np.ndarray          # (N, K) population class weights, rows sum to 1
    sizes: np.ndarray            # (N,) population share of the data of each client
    counts: np.ndarray           # (N, K) realised class counts
    indices: tuple               # N int arrays into labels
    n_samples: int

    @property
    def n_clients(self) -> int:
        return self.weights.shape[0]

    @property
    def unassigned(self) -> int:
        """Samples left out by flooring (0 for ``iid`` and ``dirichlet-class``)."""
        return self.n_samples - int(self.counts.sum())


def _labels(labels, n_classes) -> tuple[np.ndarray, int]:
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"labels must be a non-empty 1-D integer array, got {arr.dtype} {arr.shape}")
    if arr.min() < 0:
        raise ValueError(f"labels must be >= 0, got minimum {arr.min()}")
    k = int(arr.max()) + 1 if n_classes is None else as_int("n_classes", n_classes, minimum=1)
    if arr.max() >= k:
        raise ValueError(f"labels must lie in 0..{k - 1} (n_classes={k}), got {arr.max()}")
    return arr, k


def _assign(labels, counts, k, rng) -> tuple:
    """Deal each class's shuffled samples to clients in order, ``counts[i, c]`` each."""
    parts = [[] for _ in range(counts.shape[0])]
    for c in range(k):
        pool = rng.permutation(np.flatnonzero(labels == c))
        cuts = np.cumsum(counts[:, c])[:-1]
        for i, chunk in enumerate(np.split(pool[: counts[:, c].sum()], cuts)):
            parts[i].append(chunk)
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) for p in parts)


def _population(mass: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Client weights ``(N, K)`` and sizes ``(N,)`` from a class-by-client mass ``(K, N)``."""
    tot = mass.sum(axis=0)
    if np.any(tot <= 0):
        raise ValueError(
            f"alpha={alpha} is so small that a client received zero mass in floating point; "
            "use a larger alpha or fewer clients"
        )
    return (mass / tot).T, tot / tot.sum()


def split_clients(labels, n_clients: int, method: str = "iid", *, alpha: float | None = None,
                  n_classes: int | None = None, rng: np.random.Generator | int | None = None,
                  max_iter: int = 10_000, tol: float = 1e-12) -> ClientSplit:
    """Split ``labels`` over ``n_clients`` by ``method`` (one of :data:`SPLIT_METHODS`).

    Parameters
    ----------
    labels : int array, shape ``(n,)``
        Class of each sample, in ``0..K-1``.
    n_clients : int
    method : str
        ``"iid"``, ``"dirichlet-class"``, ``"dirichlet-client"`` or ``"balanced"``.
    alpha : float
        Dirichlet concentration (> 0); required except for ``"iid"``.
    n_classes : int, optional
        ``K``; default ``max(labels) + 1``.
    rng : Generator, int or None
    max_iter, tol : balancing iterations and relative tolerance (``"balanced"`` only).
    """
    labels, k = _labels(labels, n_classes)
    n = labels.size
    n_cl = as_int("n_clients", n_clients, minimum=1)
    if n_cl > n:
        raise ValueError(f"n_clients = {n_cl} exceeds the {n} samples: some clients would hold "
                         "no data; use at most as many clients as samples")
    if method not in SPLIT_METHODS:
        raise ValueError(f"method must be one of {SPLIT_METHODS}, got {method!r}")
    rng = np.random.default_rng(rng)
    class_n = np.bincount(labels, minlength=k).astype(np.float64)

    if method == "iid":
        parts = np.array_split(rng.permutation(n), n_cl)
        indices = tuple(np.sort(p).astype(np.int64) for p in parts)
        counts = np.stack([np.bincount(labels[p], minlength=k) for p in indices])
        weights = np.tile(class_n / n, (n_cl, 1))
        return ClientSplit(method, weights, np.full(n_cl, 1.0 / n_cl), counts, indices, n)

    if alpha is None:
        raise ValueError(f"alpha is required for method {method!r}")
    alpha = as_float("alpha", alpha, positive=True)

    if method == "dirichlet-client":
        pi = rng.dirichlet(np.full(k, alpha), size=n_cl)          # (N, K)
        demand = pi * (n // n_cl)
        over = demand.sum(axis=0) / np.maximum(class_n, 1e-300)
        demand = demand / np.maximum(over, 1.0)
        counts = np.floor(demand + 1e-9).astype(np.int64)
        return ClientSplit(method, pi, np.full(n_cl, 1.0 / n_cl), counts,
                           _assign(labels, counts, k, rng), n)

    p = rng.dirichlet(np.full(n_cl, alpha), size=k)               # (K, N)
    mass = p * class_n[:, None]
    if method == "dirichlet-class":
        cuts = np.floor(np.cumsum(p, axis=1) * class_n[:, None] + 1e-9).astype(np.int64)
        cuts[:, -1] = class_n.astype(np.int64)
        counts = np.diff(np.concatenate([np.zeros((k, 1), np.int64), cuts], axis=1), axis=1).T
        weights, sizes = _population(mass, alpha)
        return ClientSplit(method, weights, sizes, counts, _assign(labels, counts, k, rng), n)

    # balanced: simultaneous row/column scaling towards row sums n_c and column sums n/N
    present = class_n > 0
    row_t, col_t = class_n[present], np.full(n_cl, n / n_cl)
    m = mass[present]
    for _ in range(as_int("max_iter", max_iter, minimum=1)):
        rs, cs = m.sum(axis=1), m.sum(axis=0)
        if np.any(cs <= 0):
            break
        err = max(np.max(np.abs(rs / row_t - 1)), np.max(np.abs(cs / col_t - 1)))
        if err < tol:
            break
        m = m * np.sqrt(row_t / rs)[:, None] * np.sqrt(col_t / cs)[None, :]
    else:
        raise ValueError(
            f"balancing did not converge in max_iter={max_iter} iterations (alpha={alpha}); "
            "raise max_iter or alpha"
        )
    if np.any(m.sum(axis=0) <= 0):
        raise ValueError(f"alpha={alpha} left a client with zero mass; balancing impossible")
    mass = np.zeros_like(mass)
    mass[present] = m
    counts = np.floor(mass + 1e-9).astype(np.int64).T
    weights, sizes = _population(mass, alpha)
    return ClientSplit(method, weights, sizes, counts, _assign(labels, counts, k, rng), n)


def label_heterogeneity(weights, sizes=None) -> float:
    """Mean total variation of client label histograms from the global one.

    .. math::  h = \\frac{1}{N}\\sum_i \\tfrac12 \\lVert \\pi_i - \\bar\\pi \\rVert_1,
               \\quad \\bar\\pi = \\sum_i s_i \\pi_i

    ``sizes`` ``s`` default to uniform. In ``[0, 1)``; 0 for IID; decreases as alpha grows.
    """
    w = as_array("weights", weights, ndim=2)
    s = np.full(w.shape[0], 1.0 / w.shape[0]) if sizes is None else as_array(
        "sizes", sizes, shape=(w.shape[0],))
    glob = s @ w / s.sum()
    return float(np.mean(0.5 * np.abs(w - glob).sum(axis=1)))


def moment_heterogeneity(second_moments) -> float:
    """``(1/N) sum_i ||S_i - S_bar||_F^2`` with ``S_bar`` the uniform mean of the ``S_i``.

    Accepts a dense stack ``(N, d, d)`` or a batched :class:`IdentityPlusBlock`.
    """
    if isinstance(second_moments, IdentityPlusBlock):
        n = len(second_moments)
        dev = second_moments.mix(np.eye(n) - np.full((n, n), 1.0 / n))   # S_i - S_bar
        return float(np.mean(dev.frobenius_sq()))
    s = as_array("second_moments", second_moments, ndim=3)
    return float(np.mean(np.sum((s - s.mean(axis=0)) ** 2, axis=(1, 2))))
