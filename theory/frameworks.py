"""Local, federated and decentralised targets for objectives linear in a client matrix.

Every loss of the family in :mod:`theory.objectives` is ``-<P, X_j> + 1/2 ||P||_F^2`` for client
``j``; a weighted sum ``sum_j a_j L_j`` with ``sum_j a_j = 1`` is the same family with target
``sum_j a_j X_j``. So each framework is one matrix product over the stacked client matrices:

* local: ``X_i``;
* FL (FedAvg objective): ``X_FL = sum_i s_i X_i`` (``s`` uniform, or the client sizes);
* DecL, client ``i``'s objective after one mixing step (Eq. 1 inner sum, Assumption A.3):
  ``X_i^Dec = sum_j w_ij X_j``, i.e. ``W X`` over the client axis;
* DecL global objective (Eq. 1): ``(1/N) sum_i sum_j w_ij L_j = sum_j pi_j L_j`` with
  ``pi = (1/N) 1^T W``, the column means of ``W`` (uniform only when ``W`` is doubly
  stochastic; for the paper's ``w_ij = 1/|A_i|``, ``pi_j = (1/N) sum_{i in A_j} 1/|A_i|``);
* multi-step DecL: ``t`` gossip rounds give ``W^t X``; ``t -> infinity`` gives
  ``1 pi_stat^T X`` with ``pi_stat`` the stationary law of ``W`` (FL when ``W`` is doubly
  stochastic).

Stacks are dense ``(N, d, d)`` arrays or batched :class:`~theory.structured.IdentityPlusBlock`.
"""

from __future__ import annotations

import numpy as np

from .objectives import FamilyOptimum, family_optima, family_optimum
from .representations import Subspace
from .structured import IdentityPlusBlock
from .validation import as_array, as_int


def _n_clients(X) -> int:
    if isinstance(X, IdentityPlusBlock):
        if len(X.batch_shape) != 1:
            raise ValueError(f"X must be a stack of client matrices, got batch {X.batch_shape}")
        return X.batch_shape[0]
    arr = np.asarray(X)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"X must have shape (N, d, d), got {arr.shape}")
    return arr.shape[0]


def combine(X, weights):
    """``sum_j a_ij X_j`` for weights ``(M, N)`` (or ``(N,)`` -> one matrix). One matmul."""
    n = _n_clients(X)
    w = as_array("weights", weights)
    single = w.ndim == 1
    w = np.atleast_2d(w)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape ({n},) or (M, {n}), got {np.shape(weights)}")
    if isinstance(X, IdentityPlusBlock):
        out = X.mix(w)
        return out[0] if single else out
    out = np.einsum("ij,jab->iab", w, as_array("X", X))
    return out[0] if single else out


def _check_stochastic(W, n: int) -> np.ndarray:
    W = as_array("W", W, shape=(n, n))
    if np.min(W) < -1e-12 or np.max(np.abs(W.sum(axis=1) - 1)) > 1e-9:
        raise ValueError("W must be nonnegative and row-stochastic (Assumption A.3)")
    return W


def fl_target(X, sizes=None):
    """``X_FL = sum_i s_i X_i`` with ``s`` uniform or proportional to ``sizes`` ``(N,)``."""
    n = _n_clients(X)
    if sizes is None:
        s = np.full(n, 1.0 / n)
    else:
        s = as_array("sizes", sizes, shape=(n,))
        if np.any(s < 0) or s.sum() <= 0:
            raise ValueError("sizes must be nonnegative with a positive sum")
        s = s / s.sum()
    return combine(X, s)


def decl_targets(X, W, t: int = 1):
    """Per-client DecL targets after ``t`` mixing rounds: ``(W^t X)_i``, a stack like ``X``."""
    n = _n_clients(X)
    W = _check_stochastic(W, n)
    t = as_int("t", t, minimum=0)
    return combine(X, np.linalg.matrix_power(W, t))


def decl_global_weights(W) -> np.ndarray:
    """``pi = (1/N) 1^T W``: the client weights of the DecL global objective (Eq. 1)."""
    W = as_array("W", W, ndim=2)
    W = _check_stochastic(W, W.shape[0])
    return W.mean(axis=0)


def decl_global_target(X, W):
    """Target of the DecL global objective (Eq. 1): ``sum_j pi_j X_j``, ``pi = (1/N) 1^T W``."""
    return combine(X, decl_global_weights(W))


def gram_average_subspace(optima: list[FamilyOptimum], c: int) -> Subspace:
    """The "final average" of local models, rotation-invariantly: the top-``c`` eigenspace of
    the averaged Gram matrices ``(1/N) sum_i P_i*``.

    Works on the joint support of the optima (the structured block plus any bulk directions),
    so it never materialises ``d x d`` for structured optima.
    """
    if not optima:
        raise ValueError("optima must be a non-empty list")
    d = optima[0].subspace.d
    size = max(max(o.subspace.m, int(o.subspace.bulk.max()) + 1 if o.subspace.bulk.size else 0)
               for o in optima)
    P = np.zeros((size, size))
    for o in optima:
        sub = o.subspace
        basis = sub._support_rows(np.arange(size))          # (size, rank) on the support
        P += (basis * o.basis_eigenvalues) @ basis.T
    P /= len(optima)
    vals, vecs = np.linalg.eigh(P)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    k = int(np.sum(vals[:c] > 1e-12 * max(1.0, vals[0])))
    return Subspace(d, vecs[:, :k])


def framework_optima(X, c: int, *, W=None, t: int = 1, sizes=None) -> dict:
    """Optima of the local, FL, DecL-global and per-client DecL objectives in one call.

    Returns a dict with ``"local"`` (list), ``"fl"``, and, when ``W`` is given,
    ``"decl_global"`` and ``"decl_clients"`` (list, after ``t`` rounds).
    """
    out = {"local": family_optima(X, c), "fl": family_optimum(fl_target(X, sizes), c)}
    if W is not None:
        out["decl_global"] = family_optimum(decl_global_target(X, W), c)
        out["decl_clients"] = family_optima(decl_targets(X, W, t), c)
    return out


def mim_main_block(w) -> np.ndarray:
    """``B_kl = sum_{j not in {k, l}} w_j`` (``k != l``), ``B_kk = 0``: the main ``[N]`` block of
    the MIM surrogate's mixed population target ``sum_j w_j X_j^M`` divided by ``p(1-p) tau^2 (E q)^2``
    (docs/theory.md §6, fix.thm4.2). Equivalently ``B = f 1^T + 1 f^T - 2 diag(f)`` with
    ``f = (sum w)/2 - w``."""
    w = as_array("w", w, ndim=1)
    if w.size < 2 or np.any(w < 0):
        raise ValueError(f"w must hold at least 2 non-negative client weights, got {w!r}")
    B = w.sum() - w[:, None] - w[None, :]
    np.fill_diagonal(B, 0.0)
    return B


def mim_limit_representability(w) -> np.ndarray:
    """``v_k^2`` for the Perron vector ``v`` of :func:`mim_main_block` over the coordinates the
    block reaches (0 elsewhere): the representability of the main coordinates that the MIM
    surrogate's optimum reaches in population and as ``d -> infinity`` (its only positive
    eigenvalue on ``[N]``; fix.thm4.2, fix.thm4.6)."""
    B = mim_main_block(w)
    keep = np.flatnonzero(np.abs(B).sum(axis=1) > 0)
    out = np.zeros(B.shape[0])
    if keep.size:
        vecs = np.linalg.eigh(B[np.ix_(keep, keep)])[1]
        out[keep] = vecs[:, -1] ** 2
    return out
