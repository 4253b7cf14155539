"""Spectral-gap bounds for multi-round decentralised learning (docs/theory.md §4), with proofs sketched.

Definitions: ``rho = slem(W)`` (second largest eigenvalue modulus, :func:`theory.topology.slem`);
the spectral gap is ``1 - rho``. ``pi`` is the stationary law of ``W``.

1. **Consensus contraction** (:func:`consensus_bound`). For a *reversible* row-stochastic ``W``
   (``pi_i W_ij = pi_j W_ji``; every rule in :mod:`theory.topology` is), ``S = D^{1/2} W D^{-1/2}``
   (``D = diag(pi)``) is symmetric with top eigenvector ``sqrt(pi)``, and
   ``W^t - 1 pi^T = D^{-1/2}(S^t - sqrt(pi) sqrt(pi)^T) D^{1/2}``, hence

   .. math::  \\lVert W^t - 1\\pi^\\top \\rVert_2 \\le \\sqrt{\\pi_{max}/\\pi_{min}}\\; \\rho^t .

   For doubly stochastic ``W`` (``pi`` uniform) the factor is 1. For the paper's uniform rule
   ``pi_i ∝ |A_i|``: gossip converges to the ``pi``-weighted mixture, not to the FL average.
2. **Davis-Kahan** in the Yu-Wang-Samworth form (:func:`davis_kahan_bound`): for symmetric
   ``X`` and ``X_hat = X + E``, the top-``c`` eigenspaces satisfy
   ``||sin Theta||_F <= 2 min(sqrt(c) ||E||_2, ||E||_F) / (lambda_c(X) - lambda_{c+1}(X))``.
3. **RV perturbation** (:func:`rv_perturbation_bound`): ``|r_hat_k - r_k| = |e_k^T (P_hat - P) e_k|
   <= ||P_hat - P||_2 = ||sin Theta||_2 <= ||sin Theta||_F``.
4. **Composition for t-round DecL** (:func:`decl_rv_bound`): client ``i``'s target after ``t``
   rounds is ``(W^t X)_i``; with ``X_inf = sum_j pi_j X_j`` and ``H = max_j ||X_j - X_inf||_2``,
   ``||(W^t X)_i - X_inf||_2 <= ||(W^t - 1 pi^T)_{i,:}||_1 H <= sqrt(N) sqrt(pi_max/pi_min) rho^t H``
   (rows of ``W^t - 1 pi^T`` sum to 0), and by 2-3,
   ``max_k |r_k^{(i,t)} - r_k^{inf}| <= 2 sqrt(c) sqrt(N) sqrt(pi_max/pi_min) rho^t H / gap(X_inf)``;
   sensitivities differ by at most twice that.
5. **Fixed-step DGD** (:func:`dgd_consensus_bound`), ``X^{k+1} = W X^k - eta grad F(X^k)`` with
   symmetric doubly stochastic ``W``: at a fixed point ``X*``, ``C = (I - J) X*`` satisfies
   ``C = (W - J) C - eta (I - J) G`` (``G = grad F(X*)``), so
   ``||C||_F <= eta ||(I - J) G||_F / (1 - rho)`` — the ``eta G / (1 - rho)`` consensus error of
   Yuan, Ling and Yin (2016) with the gradient at the fixed point. For quadratic losses the fixed
   point solves a linear system (:func:`dgd_fixed_point`), the oracle.
6. **FedAvg client drift** (:func:`fedavg_fixed_point`): for quadratics ``f_i(x) = 1/2 x^T Q_i x
   - b_i^T x`` and ``E`` local gradient steps of size ``eta`` with full participation and weights
   ``s``, one round maps ``x -> M x + m``, ``M = sum_i s_i (I - eta Q_i)^E``,
   ``m = sum_i s_i (I - (I - eta Q_i)^E) Q_i^{-1} b_i``; the fixed point ``(I - M)^{-1} m`` differs
   from the optimum ``(sum_i s_i Q_i)^{-1} sum_i s_i b_i`` (the drift) unless ``E = 1`` or the
   clients agree.

References
----------
.. [1] Y. Yu, T. Wang, R. J. Samworth, "A useful variant of the Davis-Kahan theorem for
   statisticians", Biometrika 102(2), 2015.
.. [2] K. Yuan, Q. Ling, W. Yin, "On the convergence of decentralized gradient descent",
   SIAM J. Optim. 26(3), 2016.
"""

from __future__ import annotations

import numpy as np

from . import topology
from .validation import as_array, as_float, as_int, check_symmetric


def _reversible_pi(W: np.ndarray) -> np.ndarray:
    pi = topology.stationary_distribution(W)
    flow = pi[:, None] * W
    if np.max(np.abs(flow - flow.T)) > 1e-10:
        raise ValueError("the bound needs a reversible W (pi_i W_ij = pi_j W_ji); this W is not")
    return pi


def consensus_bound(W, t: int) -> float:
    """Bound 1: ``sqrt(pi_max / pi_min) * slem(W)^t >= ||W^t - 1 pi^T||_2`` (reversible ``W``)."""
    W = topology.check_mixing_matrix(W)
    t = as_int("t", t, minimum=0)
    pi = _reversible_pi(W)
    return float(np.sqrt(pi.max() / pi.min()) * topology.slem(W) ** t)


def consensus_error(W, t: int) -> float:
    """The observed ``||W^t - 1 pi^T||_2``."""
    W = topology.check_mixing_matrix(W)
    pi = topology.stationary_distribution(W)
    Wt = np.linalg.matrix_power(W, as_int("t", t, minimum=0))
    return float(np.linalg.norm(Wt - np.outer(np.ones(len(W)), pi), 2))


def rounds_to_consensus(W, eps: float) -> int:
    """Smallest ``t`` with the bound ``sqrt(pi_max/pi_min) rho^t <= eps``."""
    W = topology.check_mixing_matrix(W)
    eps = as_float("eps", eps, positive=True)
    pi = _reversible_pi(W)
    rho = topology.slem(W)
    k = np.sqrt(pi.max() / pi.min())
    if k <= eps:
        return 0
    if rho == 0:
        return 1
    return int(np.ceil(np.log(eps / k) / np.log(rho)))


def _top_eig(X: np.ndarray, c: int):
    vals, vecs = np.linalg.eigh(X)
    return vals[::-1], vecs[:, ::-1][:, :c]


def top_eigenspace_rv(X, c: int) -> np.ndarray:
    """Representability vector of the top-``c`` eigenspace of each matrix of ``X`` (``(..., d, d)``
    -> ``(..., d)``); one batched ``eigh``."""
    X = as_array("X", X)
    vecs = np.linalg.eigh(X)[1][..., ::-1][..., :as_int("c", c, minimum=1, maximum=X.shape[-1])]
    return np.sum(vecs**2, axis=-1)


def client_rvs_after_gossip(X, W, t: int, c: int) -> np.ndarray:
    """RVs ``(N, d)`` of every client's top-``c`` eigenspace after ``t`` rounds: of ``(W^t X)_i``."""
    W = topology.check_mixing_matrix(W)
    Xt = np.einsum("ij,jab->iab", np.linalg.matrix_power(W, as_int("t", t, minimum=0)), X)
    return top_eigenspace_rv(Xt, c)


def davis_kahan_bound(X, X_hat, c: int) -> float:
    """Bound 2 on ``||sin Theta(top-c of X_hat, top-c of X)||_F``; ``inf`` if ``X`` has no gap."""
    X = as_array("X", X, ndim=2)
    check_symmetric("X", X)
    X_hat = as_array("X_hat", X_hat, shape=X.shape)
    check_symmetric("X_hat", X_hat)
    c = as_int("c", c, minimum=1, maximum=X.shape[0] - 1)
    lam, _ = _top_eig(X, c)
    gap = lam[c - 1] - lam[c]
    E = X_hat - X
    num = 2 * min(np.sqrt(c) * np.linalg.norm(E, 2), np.linalg.norm(E, "fro"))
    return float(num / gap) if gap > 0 else float("inf")


def sin_theta(X, X_hat, c: int) -> float:
    """Observed ``||sin Theta||_F`` between the top-``c`` eigenspaces of ``X`` and ``X_hat``."""
    _, V = _top_eig(as_array("X", X, ndim=2), c)
    _, U = _top_eig(as_array("X_hat", X_hat, ndim=2), c)
    return float(np.linalg.norm(U - V @ (V.T @ U), "fro"))


def rv_perturbation_bound(X, X_hat, c: int) -> tuple[float, float]:
    """Bound 3: ``(observed max_k |r_hat_k - r_k|, ||P_hat - P||_2)`` for the top-``c`` spaces."""
    _, V = _top_eig(as_array("X", X, ndim=2), c)
    _, U = _top_eig(as_array("X_hat", X_hat, ndim=2), c)
    P, Ph = V @ V.T, U @ U.T
    return float(np.max(np.abs(np.diag(Ph - P)))), float(np.linalg.norm(Ph - P, 2))


def decl_rv_bound(X, W, t: int, c: int) -> dict:
    """Bound 4 for every client after ``t`` rounds; also returns the observed deviations.

    ``X``: client matrices ``(N, d, d)``; ``W``: reversible mixing matrix. Returns a dict with
    ``bound`` (the spectral-gap bound on ``max_{i,k} |r_k^{(i,t)} - r_k^inf|``), ``observed``
    (that maximum, computed), ``rho``, ``heterogeneity`` ``H`` and ``gap``.
    """
    X = as_array("X", X, ndim=3)
    W = topology.check_mixing_matrix(W)
    n = X.shape[0]
    if W.shape != (n, n):
        raise ValueError(f"W must be ({n}, {n}), got {W.shape}")
    c = as_int("c", c, minimum=1, maximum=X.shape[1] - 1)
    t = as_int("t", t, minimum=0)
    pi = _reversible_pi(W)
    Xinf = np.einsum("j,jab->ab", pi, X)
    H = max(float(np.linalg.norm(Xj - Xinf, 2)) for Xj in X)
    lam, _ = _top_eig(Xinf, c)
    gap = float(lam[c - 1] - lam[c])
    rho = topology.slem(W)
    bound = 2 * np.sqrt(c) * np.sqrt(n) * np.sqrt(pi.max() / pi.min()) * rho**t * H / gap if gap > 0 else np.inf
    observed = float(np.max(np.abs(client_rvs_after_gossip(X, W, t, c) - top_eigenspace_rv(Xinf, c))))
    return {"bound": float(bound), "observed": observed, "rho": rho, "heterogeneity": H, "gap": gap,
            "t": t, "n_clients": n, "c": c}


# ---------------------------------------------------------------- DGD, FedAvg
def _quadratics(Q, B):
    Q = as_array("Q", Q, ndim=3)
    B = as_array("B", B)
    if B.ndim == 2:
        B = B[:, :, None]
    if B.ndim != 3 or B.shape[:2] != Q.shape[:2] or Q.shape[1] != Q.shape[2]:
        raise ValueError(f"Q must be (N, p, p) and B (N, p) or (N, p, k), got {Q.shape}, {B.shape}")
    check_symmetric("Q", Q)
    return Q, B


def dgd_fixed_point(Q, B, W, eta: float) -> np.ndarray:
    """Exact fixed point of ``X <- W X - eta (Q X - B)`` (client ``i``: ``Q_i x_i - b_i``).

    Solves ``((I - W) (x) I_p + eta blockdiag(Q_i)) vec X = eta vec B``; returns ``(N, p, k)``.
    """
    Q, B = _quadratics(Q, B)
    W = topology.check_mixing_matrix(W)
    eta = as_float("eta", eta, positive=True)
    n, p, k = B.shape
    M = np.kron(np.eye(n) - W, np.eye(p))
    for i in range(n):
        M[i * p:(i + 1) * p, i * p:(i + 1) * p] += eta * Q[i]
    return np.linalg.solve(M, eta * B.reshape(n * p, k)).reshape(n, p, k)


def dgd_consensus_bound(Q, B, W, eta: float, X=None) -> tuple[float, float]:
    """Bound 5 at the fixed point: ``(observed ||(I - J) X*||_F, eta ||(I - J) G||_F / (1 - rho))``.

    ``W`` must be symmetric doubly stochastic. ``X`` defaults to :func:`dgd_fixed_point`.
    """
    Q, B = _quadratics(Q, B)
    W = topology.check_mixing_matrix(W)
    if np.max(np.abs(W - W.T)) > 1e-12:
        raise ValueError("bound 5 needs a symmetric doubly stochastic W (e.g. metropolis, fmmc)")
    X = dgd_fixed_point(Q, B, W, eta) if X is None else as_array("X", X, shape=B.shape)
    G = np.einsum("nab,nbk->nak", Q, X) - B
    dev = lambda A: A - A.mean(axis=0, keepdims=True)
    rho = topology.slem(W)
    return float(np.linalg.norm(dev(X))), float(eta * np.linalg.norm(dev(G)) / (1 - rho))


def fedavg_fixed_point(Q, B, eta: float, local_steps: int, weights=None) -> np.ndarray:
    """Bound 6's exact FedAvg fixed point for quadratics, ``(p, k)``."""
    Q, B = _quadratics(Q, B)
    eta = as_float("eta", eta, positive=True)
    E = as_int("local_steps", local_steps, minimum=1)
    n, p, k = B.shape
    s = np.full(n, 1.0 / n) if weights is None else as_array("weights", weights, shape=(n,))
    s = s / s.sum()
    I = np.eye(p)
    Ms = np.stack([np.linalg.matrix_power(I - eta * Q[i], E) for i in range(n)])
    M = np.einsum("n,nab->ab", s, Ms)
    m = np.einsum("n,nab,nbk->ak", s, I[None] - Ms, np.linalg.solve(Q, B))
    return np.linalg.solve(I - M, m)


def global_optimum(Q, B, weights=None) -> np.ndarray:
    """``(sum_i s_i Q_i)^{-1} sum_i s_i b_i``, the minimiser of the weighted sum of quadratics."""
    Q, B = _quadratics(Q, B)
    n = Q.shape[0]
    s = np.full(n, 1.0 / n) if weights is None else as_array("weights", weights, shape=(n,))
    s = s / s.sum()
    return np.linalg.solve(np.einsum("n,nab->ab", s, Q), np.einsum("n,nak->ak", s, B))
