"""The paper's assumptions (and our bounds' ones) as checks that return a measured result.

Each function validates its arguments (misuse raises ``TypeError``/``ValueError``) and returns an
:class:`AssumptionResult`: whether the assumption holds, the measured value that decided it, and
a message. None of them raises because an assumption *fails*; that is a result.

=====  =======================================================================================
A.1    the graph is connected and undirected, and DecL needs ``2 <= |A_i| <= N``
A.3    consensus weights: ``w_ij > 0`` only if ``j in A_i``, rows sum to 1
A.5    non-degenerate embedding: ``rank W = c`` at the optimum, i.e. ``X`` has ``c`` positive
       eigenvalues (see :func:`theory.objectives.family_optimum`)
A.7    independent sampling: no serial correlation along the sample axis (a lag-1 z-test;
       only dependence of that kind is checkable from data)
A.9    dissimilar transform: ``tr(P H_sym P) > 0``, ``P`` the projector on ``span{e_1..e_c}``
gap    an eigengap ``lambda_c - lambda_{c+1} > threshold`` (Davis-Kahan style bounds)
pd     positive definite with room: ``lambda_min(S) > margin`` (a perturbation of norm
       ``margin`` keeps it positive definite; theory.mixture_gossip)
=====  =======================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.stats import norm

from . import topology
from .validation import as_array, as_float, as_int, check_symmetric


@dataclass(frozen=True)
class AssumptionResult:
    name: str
    holds: bool
    value: float
    message: str

    def __bool__(self) -> bool:
        return self.holds


def graph_assumption(G: nx.Graph) -> AssumptionResult:
    """A.1: connected undirected graph with ``2 <= |A_i| <= N`` for every client."""
    if not isinstance(G, nx.Graph) or G.is_directed():
        raise TypeError(f"G must be an undirected networkx.Graph, got {type(G).__name__}")
    n = G.number_of_nodes()
    if n == 0:
        raise ValueError("G must have at least one node")
    connected = nx.is_connected(G)
    amin = min(d for _, d in G.degree) + 1
    ok = connected and amin >= 2 and n >= 2
    msg = ("connected, min |A_i| = %d" % amin) if ok else (
        "not connected" if not connected else f"min |A_i| = {amin} < 2")
    return AssumptionResult("A.1", ok, float(amin), msg)


def consensus_assumption(W, G: nx.Graph, *, atol: float = 1e-9) -> AssumptionResult:
    """A.3: ``W`` nonnegative, row-stochastic, ``w_ij > 0`` only on closed neighbourhoods."""
    W = as_array("W", W, ndim=2)
    n = topology.check_graph(G)
    if W.shape != (n, n):
        raise ValueError(f"W must be ({n}, {n}) for this graph, got {W.shape}")
    allowed = nx.to_numpy_array(G, nodelist=range(n)) + np.eye(n) > 0
    off = float(np.max(np.abs(W[~allowed]), initial=0.0))
    row = float(np.max(np.abs(W.sum(axis=1) - 1)))
    neg = float(max(0.0, -W.min()))
    worst = max(off, row, neg)
    ok = worst <= atol
    msg = "row-stochastic on closed neighbourhoods" if ok else (
        f"off-graph weight {off:.3g}, row-sum error {row:.3g}, negative weight {neg:.3g}")
    return AssumptionResult("A.3", ok, worst, msg)


def nondegenerate_embedding(X, c: int) -> AssumptionResult:
    """A.5: the optimum has ``rank W = c``, i.e. ``lambda_c(X) > 0``; value is ``lambda_c``."""
    X = as_array("X", X, ndim=2)
    check_symmetric("X", X)
    c = as_int("c", c, minimum=1, maximum=X.shape[0])
    lam = np.linalg.eigvalsh(X)[::-1]
    ok = bool(lam[c - 1] > 1e-10 * max(1.0, abs(lam[0])))
    n_pos = int(np.sum(lam > 1e-10 * max(1.0, abs(lam[0]))))
    return AssumptionResult("A.5", ok, float(lam[c - 1]),
                            f"lambda_c = {lam[c - 1]:.4g}; X has {n_pos} positive eigenvalues, c = {c}")


def independent_sampling(samples, *, z_max: float = 4.0) -> AssumptionResult:
    """A.7 (checkable part): no lag-1 serial correlation of any coordinate along axis 0.

    Under independence each coordinate's lag-1 autocorrelation is about ``N(0, 1/n)``; the
    value is the largest ``|z| = sqrt(n) |rho_1|`` over coordinates, compared with a
    Bonferroni-adjusted threshold ``z_max`` (default 4).
    """
    x = as_array("samples", samples, ndim=2)
    n = x.shape[0]
    if n < 10:
        raise ValueError(f"samples needs at least 10 rows, got {n}")
    xc = x - x.mean(axis=0)
    var = np.sum(xc**2, axis=0)
    rho = np.sum(xc[1:] * xc[:-1], axis=0) / np.where(var > 0, var, 1.0)
    z = float(np.max(np.sqrt(n) * np.abs(rho)))
    p = min(1.0, 2 * norm.sf(z) * x.shape[1])
    return AssumptionResult("A.7", z < z_max, z, f"max lag-1 |z| = {z:.2f} (Bonferroni p = {p:.3g})")


def dissimilar_transform(H, c: int) -> AssumptionResult:
    """A.9: ``tr(P H_sym P) = sum_{k < c} H_kk > 0`` with ``P`` the projector on the first ``c``
    coordinates; value is that trace."""
    H = as_array("H", H, ndim=2)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be square, got {H.shape}")
    c = as_int("c", c, minimum=1, maximum=H.shape[0])
    t = float(np.trace(H[:c, :c]))
    return AssumptionResult("A.9", t > 0, t, f"tr(P H_sym P) = {t:.4g}")


def eigengap(X, c: int, threshold: float = 0.0) -> AssumptionResult:
    """``lambda_c(X) - lambda_{c+1}(X) > threshold`` (needed by Davis-Kahan bounds)."""
    X = as_array("X", X, ndim=2)
    check_symmetric("X", X)
    c = as_int("c", c, minimum=1, maximum=X.shape[0] - 1)
    thr = as_float("threshold", threshold, nonnegative=True)
    lam = np.linalg.eigvalsh(X)[::-1]
    gap = float(lam[c - 1] - lam[c])
    return AssumptionResult("eigengap", gap > thr, gap, f"lambda_c - lambda_c+1 = {gap:.4g}")


def positive_definite(S, margin: float = 0.0) -> AssumptionResult:
    """``lambda_min(S) > margin``: ``S`` stays positive definite under any symmetric perturbation
    of spectral norm ``<= margin`` (Weyl); the whitened bounds of :mod:`theory.mixture_gossip`."""
    S = as_array("S", S, ndim=2)
    check_symmetric("S", S)
    m = as_float("margin", margin, nonnegative=True)
    mu = float(np.linalg.eigvalsh(S)[0])
    return AssumptionResult("positive definite", mu > m, mu,
                            f"lambda_min = {mu:.4g} {'>' if mu > m else '<='} margin {m:.4g}")
