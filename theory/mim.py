"""Exact linear MIM reconstruction (Eq. 3) with a rank-``c`` encoder-decoder (docs/theory.md §4).

With ``M = diag(m)``, ``m_j ~ Bernoulli(q)`` i.i.d., ``q = 1 - p`` (``p`` the mask ratio), and
``A = W_d W_e`` of rank ``<= c``, the mask moments are

.. math::

    C = E[M x x^\\top M] = q^2 S + p q \\operatorname{Diag}(S), \\qquad
    R = E[(I - M) x x^\\top M] = p q\\, (S - \\operatorname{Diag}(S)).

* ``loss="all"`` (Eq. 3 as written: squared error over all ``d`` coordinates):
  ``L(A) = tr(A C A^T) - 2 tr(A R^T) + p tr S = ||A C^{1/2} - R C^{-1/2}||_F^2 - ||R C^{-1/2}||_F^2 + p tr S``.
  Reduced-rank regression: with ``R C^{-1/2} = U Sigma V^T``, ``A* = U_c Sigma_c V_c^T C^{-1/2}``,
  encoder ``W_e = V_c^T C^{-1/2}``, decoder ``W_d = U_c Sigma_c``, ``L* = p tr S - sum_{j<=c} sigma_j^2``.
* ``loss="masked"`` (MAE practice: only masked coordinates scored):
  ``L(A) = p sum_k a_k^T D_k C D_k a_k - 2 tr(A R^T) + p tr S`` with ``a_k`` row ``k`` of ``A``,
  ``D_k = I - e_k e_k^T``. The row-dependent metrics ``D_k C D_k`` leave no closed form under the
  rank constraint. It is solved by variable projection: for a fixed encoder the optimal decoder
  is exact (row ``k`` solves ``p W_e D_k C D_k W_e^T w_k = W_e r_k``), and the reduced loss is
  minimised over the encoder by L-BFGS with the exact gradient ``W_d^T dL/dA`` (row ``k`` of
  ``dL/dA`` is ``2p D_k C D_k a_k - 2 r_k``), from several starts. It reaches stationary points
  (gradient below ``1e-6``, reported as ``converged``) but is not certified global; the result
  says so. (Plain alternating least squares was tried first: it stalls in flat valleys.)

For :class:`~theory.structured.IdentityPlusBlock` moments (``S = s I + pad(B)``) the problem
reduces exactly to the leading block: ``R`` vanishes outside it and ``C`` is ``q s I`` there, so
optimal rows and columns of ``A`` outside the block are zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .objectives import TIE_RTOL, check_moment
from .representations import Subspace
from .structured import IdentityPlusBlock
from .validation import as_array, as_float, as_int

LOSSES = ("all", "masked")


def mask_moments(S, p: float):
    """``(C, R)`` of the module docstring; dense arrays or ``IdentityPlusBlock`` (``R`` block only)."""
    p = as_float("p", p, open_unit_interval=True)
    q = 1 - p
    S = check_moment("S", S)
    if isinstance(S, IdentityPlusBlock):
        idx = np.arange(S.m)
        diag = np.zeros_like(S.block)
        diag[..., idx, idx] = S.block[..., idx, idx]
        C = IdentityPlusBlock(S.d, q * S.scale, q**2 * S.block + p * q * diag)
        R = IdentityPlusBlock(S.d, np.zeros(S.batch_shape), p * q * (S.block - diag))
        return C, R
    idx = np.arange(S.shape[-1])
    diag = np.zeros_like(S)
    diag[..., idx, idx] = S[..., idx, idx]
    return q**2 * S + p * q * diag, p * q * (S - diag)


def _masked_quadratic(A: np.ndarray, C: np.ndarray) -> float:
    """``sum_k a_k^T D_k C D_k a_k = sum_k [a_k^T C a_k - 2 a_kk (C a_k)_k + a_kk^2 C_kk]``."""
    AC = A @ C
    dA = np.diagonal(A)
    return float(np.sum(AC * A) - 2 * np.sum(dA * np.diagonal(AC)) + np.sum(dA**2 * np.diagonal(C)))


def mim_reconstruction_loss(A, S, p: float, loss: str = "all") -> float:
    """Exact ``E_x E_m`` of the Eq. 3 loss for a dense ``A`` ``(d, d)`` (e.g. ``W_d @ W_e``)."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    S = check_moment("S", S)
    if isinstance(S, IdentityPlusBlock):
        S = S.to_dense()
    if S.ndim != 2:
        raise ValueError(f"S must be a single (d, d) moment, got shape {S.shape}")
    A = as_array("A", A, shape=S.shape)
    p = as_float("p", p, open_unit_interval=True)
    C, R = mask_moments(S, p)
    quad = float(np.sum((A @ C) * A)) if loss == "all" else p * _masked_quadratic(A, C)
    return quad - 2 * float(np.sum(A * R)) + p * float(np.trace(S))


@dataclass(frozen=True)
class MimOptimum:
    """Optimum of the linear MIM reconstruction loss.

    ``encoder`` ``(c, n)`` and ``decoder`` ``(n, c)`` act on the first ``n`` coordinates
    (``n = d`` for dense moments, the block size for structured ones); ``subspace`` is the
    encoder's row space in ``R^d``; ``method`` says whether it is a closed form or iterative.
    ``tied`` is ``None`` for the masked loss: there a coordinate never predicts itself, so the
    diagonal of ``A`` is not identified and optima of different rank can reach the same loss
    (the representation is then not unique).
    """

    subspace: Subspace
    encoder: np.ndarray
    decoder: np.ndarray
    loss: float
    singular_values: np.ndarray
    rank: int
    rank_deficient: bool
    tied: bool | None
    method: str
    converged: bool
    n_iter: int


def _inv_sqrt(C: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(C)
    if vals.min() <= 0:
        raise ValueError("the mask moment C = E[M x x^T M] must be positive definite "
                         "(every coordinate of x needs E[x_k^2] > 0)")
    return (vecs / np.sqrt(vals)) @ vecs.T


def _closed_form(C, R, c):
    Cm = _inv_sqrt(C)
    U, sig, Vt = np.linalg.svd(R @ Cm)
    enc = Vt[:c] @ Cm
    dec = U[:, :c] * sig[:c]
    return enc, dec, sig


def _masked_grad_A(A: np.ndarray, C: np.ndarray, R: np.ndarray, p: float) -> np.ndarray:
    """``dL/dA`` of the masked loss: row ``k`` is ``2p D_k C D_k a_k - 2 r_k``."""
    V = A @ C - np.diagonal(A)[:, None] * C
    idx = np.arange(A.shape[0])
    V[idx, idx] = 0.0
    return 2 * p * V - 2 * R


def _optimal_decoder(enc: np.ndarray, C: np.ndarray, R: np.ndarray, p: float) -> np.ndarray:
    """Exact decoder for a fixed encoder: ``w_k = (p Q_k)^+ W_e r_k``, ``Q_k = W_e D_k C D_k W_e^T``."""
    Q = enc @ C @ enc.T
    g = enc @ C                                             # columns g_k = W_e C e_k
    Qk = (Q[None] - np.einsum("ak,bk->kab", enc, g) - np.einsum("ak,bk->kab", g, enc)
          + np.diagonal(C)[:, None, None] * np.einsum("ak,bk->kab", enc, enc))
    return np.einsum("kab,kb->ka", np.linalg.pinv(p * Qk, hermitian=True), (enc @ R.T).T)


def _varpro_masked(C, R, p, enc0, n_starts, rng, max_iter):
    """Variable projection: minimise ``f(W_e) = min_{W_d} L`` by L-BFGS; the gradient is
    ``W_d^T dL/dA`` at the optimal decoder (envelope theorem). Best of ``n_starts`` starts
    (the closed-form ``"all"`` encoder first, then seeded random ones)."""
    from scipy.optimize import minimize

    c, n = enc0.shape

    def fun(w):
        enc = w.reshape(c, n)
        dec = _optimal_decoder(enc, C, R, p)
        A = dec @ enc
        val = p * _masked_quadratic(A, C) - 2 * float(np.sum(A * R))
        return val, (dec.T @ _masked_grad_A(A, C, R, p)).ravel()

    best = None
    starts = [enc0] + [rng.standard_normal((c, n)) * np.linalg.norm(enc0) / np.sqrt(c * n)
                       for _ in range(n_starts - 1)]
    for start in starts:
        res = minimize(fun, start.ravel(), jac=True, method="L-BFGS-B",
                       options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 30})
        if best is None or res.fun < best.fun:
            best = res
    enc = best.x.reshape(c, n)
    dec = _optimal_decoder(enc, C, R, p)
    gnorm = float(np.max(np.abs(best.jac)))
    scale = max(1.0, float(np.max(np.abs(R))))
    return enc, dec, gnorm <= 1e-6 * scale, int(best.nit)


def mim_reconstruction_optimum(S, p: float, c: int, loss: str = "all", *,
                               n_starts: int = 3, rng: np.random.Generator | int | None = 0,
                               max_iter: int = 20_000) -> MimOptimum:
    """Exact (``"all"``) or iterative (``"masked"``) optimum of Eq. 3 with rank ``c``.

    Parameters
    ----------
    S : array ``(d, d)`` or unbatched :class:`IdentityPlusBlock`
    p : float
        Mask ratio in ``(0, 1)``.
    c : int
        Rank of the encoder-decoder, ``1 <= c <= d``.
    loss : ``"all"`` or ``"masked"``
    n_starts, rng, max_iter : ``"masked"`` only: number of L-BFGS starts (the closed-form
        ``"all"`` solution first, then random ones from ``rng``) and iterations per start.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    S = check_moment("S", S)
    p = as_float("p", p, open_unit_interval=True)
    if isinstance(S, IdentityPlusBlock):
        if S.batch_shape:
            raise ValueError("pass one client's moment (index the stack)")
        d, trace = S.d, float(S.trace())
        Cfull, Rfull = mask_moments(S, p)
        n = S.m
        C = Cfull.block + Cfull.scale * np.eye(n)
        R = Rfull.block
    else:
        if S.ndim != 2:
            raise ValueError(f"S must be a single (d, d) moment, got shape {S.shape}")
        d, trace = S.shape[0], float(np.trace(S))
        C, R = mask_moments(S, p)
        n = d
    c = as_int("c", c, minimum=1, maximum=d)
    k = min(c, n)                      # directions outside the block carry nothing
    enc, dec, sig = _closed_form(C, R, k)
    scale = max(1.0, float(sig[0])) if sig.size else 1.0
    if loss == "all":
        method, converged, n_iter = "closed form (reduced-rank regression)", True, 0
        value = p * trace - float(np.sum(sig[:k] ** 2))
    else:
        enc, dec, converged, n_iter = _varpro_masked(
            C, R, p, enc, as_int("n_starts", n_starts, minimum=1), np.random.default_rng(rng),
            as_int("max_iter", max_iter, minimum=1))
        method = ("iterative (variable projection + L-BFGS, best of several starts; "
                  "a stationary point, not certified global)")
        A = dec @ enc
        value = p * _masked_quadratic(A, C) - 2 * float(np.sum(A * R)) + p * trace
    # representation: row space of the encoder restricted to directions the decoder uses
    A = dec @ enc
    u, sv, vt = np.linalg.svd(A)
    rank = int(np.sum(sv > TIE_RTOL * max(1.0, sv[0] if sv.size else 1.0)))
    basis = np.zeros((n, rank)) if rank == 0 else vt[:rank].T
    sub = Subspace(d, basis)
    svals = sig[: c + 1]
    if loss == "all":
        tied = bool(c < len(sig) and sig[c - 1] > 0
                    and abs(sig[c - 1] - sig[c]) <= TIE_RTOL * scale)
    else:
        tied = None   # not determined by a local method; the diagonal of A is unidentified
    return MimOptimum(sub, enc, dec, float(value), np.asarray(svals), rank, rank < c, tied,
                      method, converged, n_iter)
