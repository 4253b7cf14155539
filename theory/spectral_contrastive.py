"""Linear spectral contrastive learning (HaoChen et al. 2021) and its federated objective.

With ``f(x) = W x`` and ``P = W^T W``,

.. math::

    L(W) = -2 E[f(x)^\\top f(x^+)] + E_{x,x'}[(f(x)^\\top f(x'))^2]
         = -2 \\operatorname{tr}(P M) + \\operatorname{tr}(P S P S),

``M = E[x x^{+T}]`` (positive pairs, symmetric), ``S = E[x x^T]`` (positive definite). With
``Q = S^{1/2} P S^{1/2}`` and ``M~ = S^{-1/2} M S^{-1/2}`` the loss is
``||Q - M~||_F^2 - ||M~||_F^2``: the optimum keeps the top ``c`` positive eigenpairs
``(lambda_j, u_j)`` of ``M~``, ``P* = S^{-1/2} U diag(lambda_+) U^T S^{-1/2}``, the representation
is ``span(S^{-1/2} u_j)``, and ``L* = -sum_{j<=c} max(lambda_j, 0)^2``.

Federated learning minimises the *mean of local losses*. The ``M`` term is linear and averages
exactly; the quadratic term does not. With weights ``s_i`` (sum 1), ``S_bar = sum_i s_i S_i``
and ``Delta_i = S_i - S_bar``:

.. math::

    \\sum_i s_i L_i(P) - L_{pooled}(P) = \\sum_i s_i \\operatorname{tr}(P \\Delta_i P \\Delta_i)
    = \\sum_i s_i \\lVert P^{1/2} \\Delta_i P^{1/2} \\rVert_F^2 \\;\\ge 0,

(the cross terms ``2 sum_i s_i tr(P S_bar P Delta_i)`` vanish because ``sum_i s_i Delta_i = 0``).
So the FL objective upper-bounds the pooled one, with equality iff every
``P^{1/2} Delta_i P^{1/2} = 0``. The FL problem has no eigen-closed form; it is solved by a
convex relaxation (PSD ``P``, rank dropped; cvxpy) and by L-BFGS on the factorised loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .objectives import check_moment, family_optimum
from .representations import Subspace
from .solvers import solve_problem
from .structured import IdentityPlusBlock
from .validation import as_array, as_int


def _pd_inv_sqrt(S: np.ndarray, name: str = "S") -> np.ndarray:
    vals, vecs = np.linalg.eigh(S)
    if vals.min() <= 1e-12 * max(1.0, vals.max()):
        raise ValueError(f"{name} must be positive definite (smallest eigenvalue {vals.min():.3g})")
    return (vecs / np.sqrt(vals)) @ vecs.T


def spectral_contrastive_loss(W, S, M) -> float:
    """``-2 tr(W M W^T) + ||W S W^T||_F^2`` (``= -2 tr(PM) + tr(PSPS)``), ``W`` ``(c, d)``."""
    W = as_array("W", W, ndim=2)
    d = W.shape[1]
    S = as_array("S", S, shape=(d, d))
    M = as_array("M", M, shape=(d, d))
    F = W @ S @ W.T
    return float(-2 * np.sum((W @ M) * W) + np.sum(F * F))


def spectral_contrastive_grad(W, S, M) -> np.ndarray:
    """``grad L(W) = -4 W M + 4 (W S W^T) W S`` (``S``, ``M`` symmetric), ``(c, d)``."""
    W = as_array("W", W, ndim=2)
    return -4 * W @ M + 4 * (W @ S @ W.T) @ W @ S


@dataclass(frozen=True)
class SpectralOptimum:
    """Optimum of the linear spectral contrastive loss; ``eigenvalues`` are those of ``M~``."""

    subspace: Subspace
    eigenvalues: np.ndarray
    rank: int
    rank_deficient: bool
    tied: bool
    loss: float
    _gram: np.ndarray | None = None

    def gram(self) -> np.ndarray:
        """``P* = W*^T W*`` (dense ``(d, d)``)."""
        if self._gram is None:
            raise ValueError("the Gram matrix is only materialised for dense inputs")
        return self._gram


def spectral_contrastive_optimum(S, M, c: int) -> SpectralOptimum:
    """Closed-form optimum (module docstring) for dense ``(d, d)`` or structured ``S``, ``M``."""
    if isinstance(S, IdentityPlusBlock) or isinstance(M, IdentityPlusBlock):
        if not (isinstance(S, IdentityPlusBlock) and isinstance(M, IdentityPlusBlock)):
            raise TypeError("S and M must both be IdentityPlusBlock or both be arrays")
        if S.batch_shape or M.batch_shape or S.d != M.d:
            raise ValueError("S and M must be single structured matrices of the same d")
        m = max(S.m, M.m)
        Sb = S.scale * np.eye(m); Sb[: S.m, : S.m] += S.block
        Mb = M.scale * np.eye(m); Mb[: M.m, : M.m] += M.block
        if S.scale <= 0:
            raise ValueError("S must be positive definite (bulk eigenvalue <= 0)")
        Sm = _pd_inv_sqrt(Sb)
        ratio = float(M.scale / S.scale)
        Mt = IdentityPlusBlock(S.d, ratio, Sm @ Mb @ Sm - ratio * np.eye(m))
        opt = family_optimum(Mt, c)
        blk = Sm @ np.pad(opt.subspace.block, ((0, m - opt.subspace.m), (0, 0)))
        q = np.linalg.qr(blk)[0] if blk.shape[1] else blk
        sub = Subspace(S.d, q, opt.subspace.bulk)
        gram = None
    else:
        S = check_moment("S", S)
        M = check_moment("M", M, psd=False)
        if S.ndim != 2 or M.shape != S.shape:
            raise ValueError(f"S and M must be (d, d) of the same shape, got {S.shape}, {M.shape}")
        Sm = _pd_inv_sqrt(S)
        opt = family_optimum(Sm @ M @ Sm, c)
        U = opt.subspace.basis()
        lam = opt.basis_eigenvalues
        gram = Sm @ (U * lam) @ U.T @ Sm
        sub = Subspace.from_basis(Sm @ U) if opt.rank else Subspace(S.shape[0], np.zeros((S.shape[0], 0)))
    return SpectralOptimum(sub, opt.eigenvalues, opt.rank, opt.rank_deficient, opt.tied,
                           2 * opt.loss, gram)


def _weights(n: int, sizes) -> np.ndarray:
    if sizes is None:
        return np.full(n, 1.0 / n)
    s = as_array("sizes", sizes, shape=(n,))
    if np.any(s < 0) or s.sum() <= 0:
        raise ValueError("sizes must be nonnegative with a positive sum")
    return s / s.sum()


def _stacks(S, M):
    S = check_moment("S", S)
    M = check_moment("M", M, psd=False)
    if S.ndim != 3 or M.shape != S.shape:
        raise ValueError(f"S and M must be stacks (N, d, d) of the same shape, got {S.shape}, {M.shape}")
    return S, M


def fl_spectral_loss(W, S, M, sizes=None) -> float:
    """Mean of local spectral contrastive losses, ``sum_i s_i L_i(W)``; stacks ``(N, d, d)``."""
    S, M = _stacks(S, M)
    s = _weights(S.shape[0], sizes)
    W = as_array("W", W, ndim=2)
    F = np.einsum("ca,nab,eb->nce", W, S, W)                 # W S_i W^T for all clients
    return float(-2 * np.sum((W @ np.einsum("n,nab->ab", s, M)) * W)
                 + np.einsum("n,nce,nce->", s, F, F))


def fl_minus_pooled(P, S, sizes=None) -> float:
    """Exact gap ``sum_i s_i tr(P Delta_i P Delta_i) >= 0`` between the FL mean of local losses
    and the pooled loss at the same ``P`` (module docstring)."""
    S = check_moment("S", S)
    if S.ndim != 3:
        raise ValueError(f"S must be a stack (N, d, d), got {S.shape}")
    s = _weights(S.shape[0], sizes)
    P = as_array("P", P, shape=S.shape[1:])
    D = S - np.einsum("n,nab->ab", s, S)
    PD = P[None] @ D
    return float(np.einsum("n,nab,nba->", s, PD, PD))


@dataclass(frozen=True)
class FLSpectralResult:
    """FL spectral contrastive: the convex relaxation and the rank-``c`` factorised solution."""

    relaxation_gram: np.ndarray      # PSD P of the relaxation (rank not constrained)
    relaxation_loss: float           # a lower bound on the rank-c FL optimum
    relaxation_rank: int
    solver: str
    factor: np.ndarray               # W (c, d) from L-BFGS on the factorised FL loss
    factor_loss: float
    subspace: Subspace               # row space of W
    certified: bool                  # factor_loss matches the bound: the rank-c optimum is global


def fl_spectral_optimum(S, M, c: int, sizes=None, *, solver: str = "CLARABEL",
                        rng: np.random.Generator | int | None = 0, n_starts: int = 3
                        ) -> FLSpectralResult:
    """Solve ``min_P sum_i s_i L_i(P)`` two ways (module docstring)."""
    import cvxpy as cp
    from scipy.optimize import minimize

    S, M = _stacks(S, M)
    n, d = S.shape[0], S.shape[1]
    c = as_int("c", c, minimum=1, maximum=d)
    s = _weights(n, sizes)
    Mbar = np.einsum("n,nab->ab", s, M)
    vals, vecs = np.linalg.eigh(S)
    roots = vecs * np.sqrt(np.clip(vals, 0, None))[:, None, :]     # S_i = L_i L_i^T
    P = cp.Variable((d, d), PSD=True)
    obj = -2 * cp.trace(P @ Mbar) + sum(s[i] * cp.sum_squares(roots[i].T @ P @ roots[i])
                                        for i in range(n))
    prob = cp.Problem(cp.Minimize(obj))
    solve_problem(prob, solver)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"FL relaxation failed with {solver}: {prob.status}")
    Pv = (P.value + P.value.T) / 2
    pev = np.linalg.eigvalsh(Pv)
    rel_rank = int(np.sum(pev > 1e-6 * max(1.0, pev.max())))

    def fun(w):
        W = w.reshape(c, d)
        F = np.einsum("ca,nab,eb->nce", W, S, W)
        val = -2 * np.sum((W @ Mbar) * W) + np.einsum("n,nce,nce->", s, F, F)
        grad = -4 * W @ Mbar + 4 * np.einsum("n,nce,ea,nab->cb", s, F, W, S)
        return val, grad.ravel()

    rng = np.random.default_rng(rng)
    pv, pvec = np.linalg.eigh(Pv)
    start0 = (pvec[:, ::-1][:, :c] * np.sqrt(np.clip(pv[::-1][:c], 0, None))).T
    best = None
    for k in range(as_int("n_starts", n_starts, minimum=1)):
        w0 = start0 if k == 0 else rng.standard_normal((c, d)) / np.sqrt(d)
        res = minimize(fun, w0.ravel(), jac=True, method="L-BFGS-B",
                       options={"maxiter": 20_000, "ftol": 1e-15, "gtol": 1e-11})
        if best is None or res.fun < best.fun:
            best = res
    W = best.x.reshape(c, d)
    sv = np.linalg.svd(W, compute_uv=False)
    keep = sv > 1e-8 * max(1.0, sv.max())
    sub = Subspace.from_basis(np.linalg.svd(W, full_matrices=False)[2][keep].T)
    tol = 1e-6 * max(1.0, abs(prob.value))
    return FLSpectralResult(Pv, float(prob.value), rel_rank, solver, W, float(best.fun), sub,
                            bool(best.fun <= prob.value + tol))
