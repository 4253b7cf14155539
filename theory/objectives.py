"""The linear SSL loss family, its alignment matrices, and its exact optimum (docs/theory.md §1.3).

Both the SimSiam-style CL loss (Eq. 2) and the MIM alignment surrogate (Eq. 4) have the form

.. math::

    L(W) = -E[a^\\top W^\\top W b] + \\tfrac12 \\lVert W^\\top W \\rVert_F^2
         = -\\langle P, X \\rangle + \\tfrac12 \\lVert P \\rVert_F^2
         = \\tfrac12 \\lVert X - P \\rVert_F^2 - \\tfrac12 \\lVert X \\rVert_F^2,

with ``P = W^T W`` and ``X = 1/2 E[b a^T + a b^T]`` (the middle step uses ``P = P^T``). Over
``W in R^{c x d}`` the minimiser is the PSD rank-``c`` truncation of ``X``: ``P*`` keeps the top
``c`` eigenpairs of ``X`` with positive eigenvalues (Eckart-Young-Mirsky on the PSD cone), and
the optimal loss is ``-1/2 sum_{j<=c} max(lambda_j, 0)^2``.

Alignment matrices, derived exactly from the client's uncentred second moment ``S``:

* CL, similar views ``a = x + xi``, ``b = x + xi'`` (independent zero-mean noise):
  ``E[b a^T] = S``, so ``X = S`` whatever the noise variance.
* CL, dissimilar views ``a = x + xi``, ``b = H x``: ``X = (H S + S H^T)/2``.
* MIM surrogate, ``a = x * m``, ``b = x * (1 - m)``, ``m_j ~ Bernoulli(1 - p)`` i.i.d.:
  ``E[(1 - m_k) m_l] = p (1 - p)`` for ``k != l`` and ``0`` for ``k = l`` (a coordinate is never
  both visible and masked), so ``X = p (1 - p) (S - Diag(S))``: zero diagonal.

The paper's Eq. 17 instead prints ``X = (2p(1-p)/|D|) sum_j diag(x_j) diag(x_j)^T``, a diagonal
matrix; it is implemented separately as :func:`paper_mim_matrix` so that the two can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .representations import Subspace
from .structured import IdentityPlusBlock
from .validation import as_array, as_float, as_int, check_psd, check_symmetric

TIE_RTOL = 1e-10


def check_moment(name: str, S, *, psd: bool = True):
    """Validate a second moment: ``IdentityPlusBlock`` or symmetric (PSD) ``(d, d)``/``(N, d, d)``."""
    if isinstance(S, IdentityPlusBlock):
        if psd:
            # spectrum = eig(B + s I_m) and s (multiplicity d - m): never build d-sized arrays
            inner = np.linalg.eigvalsh(S.block + S.scale[..., None, None] * np.eye(S.m))
            low = np.min(inner)
            if S.d > S.m:
                low = min(low, float(np.min(S.scale)))
            scale = max(1.0, float(np.max(np.abs(inner))), float(np.max(np.abs(S.scale))))
            if low < -1e-10 * scale:
                raise ValueError(f"{name} must be positive semidefinite (smallest eigenvalue {low:.3g})")
        return S
    arr = as_array(name, S)
    if arr.ndim not in (2, 3) or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"{name} must have shape (d, d) or (N, d, d), got {arr.shape}")
    if psd:
        check_psd(name, arr)
    else:
        check_symmetric(name, arr)
    return arr


def _check_p(p) -> float:
    return as_float("p", p, open_unit_interval=True)


# ------------------------------------------------------- alignment matrices
def cl_alignment_matrix(S, H=None, noise: float = 1.0):
    """``X`` for SimSiam-style CL (Eq. 2): ``S`` (similar views) or ``(H S + S H^T)/2``.

    Parameters
    ----------
    S : array ``(d, d)`` / ``(N, d, d)`` or :class:`IdentityPlusBlock`
        Uncentred second moment(s) of the data.
    H : array ``(d, d)`` or :class:`IdentityPlusBlock`, optional
        The dissimilar transform of view ``b``; ``None`` for similar views.
    noise : float
        Variance of the additive Gaussian noise of each view (> 0). It cancels from ``X``
        (``E[xi xi'^T] = 0``); it only shifts the loss by a constant.
    """
    as_float("noise", noise, positive=True)
    S = check_moment("S", S)
    if H is None:
        return S
    if isinstance(S, IdentityPlusBlock) or isinstance(H, IdentityPlusBlock):
        if not (isinstance(S, IdentityPlusBlock) and isinstance(H, IdentityPlusBlock)):
            raise TypeError("S and H must both be IdentityPlusBlock or both be arrays")
        if H.batch_shape:
            raise ValueError("H must be a single (unbatched) IdentityPlusBlock")
        if H.d != S.d:
            raise ValueError(f"H has d={H.d} but S has d={S.d}")
        m = max(H.m, S.m)
        hb = np.zeros((m, m)); hb[: H.m, : H.m] = H.block
        sb = np.zeros(S.batch_shape + (m, m)); sb[..., : S.m, : S.m] = S.block
        s, h = S.scale[..., None, None], float(H.scale)
        prod = h * sb + s * hb + hb @ sb                   # (H S - h s I) on the block
        return IdentityPlusBlock(S.d, h * S.scale, (prod + np.swapaxes(prod, -1, -2)) / 2)
    H = as_array("H", H, shape=(S.shape[-1], S.shape[-1]))
    HS = H @ S
    return (HS + np.swapaxes(HS, -1, -2)) / 2


def mim_alignment_matrix(S, p: float):
    """Exact ``X = p (1-p) (S - Diag S)`` of the MIM surrogate (Eq. 4) over i.i.d. masks.

    ``p`` is the mask ratio (probability that a coordinate is masked), in ``(0, 1)``.
    """
    p = _check_p(p)
    S = check_moment("S", S)
    if isinstance(S, IdentityPlusBlock):
        off = S.block.copy()
        idx = np.arange(S.m)
        off[..., idx, idx] = 0.0
        return IdentityPlusBlock(S.d, np.zeros(S.batch_shape), p * (1 - p) * off)
    idx = np.arange(S.shape[-1])
    X = S.copy()
    X[..., idx, idx] = 0.0
    return p * (1 - p) * X


def paper_mim_matrix(samples, p: float) -> np.ndarray:
    """The paper's Eq. 17 as printed: ``(2p(1-p)/n) sum_j diag(x_j) diag(x_j)^T``, ``(d, d)``.

    This is the paper's *statement*, not a derived quantity; compare it with
    :func:`mim_alignment_matrix` applied to the sample second moment.
    """
    p = _check_p(p)
    x = as_array("samples", samples, ndim=2)
    return np.diag(2 * p * (1 - p) * np.mean(x**2, axis=0))


def paper_mim_expectation(S, p: float):
    """Expectation of the paper's Eq. 17 over samples: ``2p(1-p) Diag(S)`` (dense or structured).

    Like :func:`paper_mim_matrix` this is the paper's statement, not the Eq. 4 expectation.
    """
    p = _check_p(p)
    S = check_moment("S", S)
    if isinstance(S, IdentityPlusBlock):
        idx = np.arange(S.m)
        diag = np.zeros_like(S.block)
        diag[..., idx, idx] = S.block[..., idx, idx]
        return IdentityPlusBlock(S.d, 2 * p * (1 - p) * S.scale, 2 * p * (1 - p) * diag)
    idx = np.arange(S.shape[-1])
    out = np.zeros_like(S)
    out[..., idx, idx] = 2 * p * (1 - p) * S[..., idx, idx]
    return out


# ------------------------------------------------------------ the loss
def alignment_loss(W, X) -> float:
    """``L(W) = -tr(W X W^T) + 1/2 ||W^T W||_F^2`` for dense ``X`` ``(d, d)``, ``W`` ``(c, d)``."""
    W = as_array("W", W, ndim=2)
    X = as_array("X", X, shape=(W.shape[1], W.shape[1]))
    G = W @ W.T                                   # ||W^T W||_F^2 = ||W W^T||_F^2
    return float(-np.sum((W @ X) * W) + 0.5 * np.sum(G * G))


def alignment_loss_grad(W, X) -> np.ndarray:
    """``grad L(W) = 2 W (W^T W - X) = 2 (W W^T) W - 2 W X`` (``X`` symmetric), ``(c, d)``."""
    W = as_array("W", W, ndim=2)
    X = as_array("X", X, shape=(W.shape[1], W.shape[1]))
    return 2 * (W @ W.T) @ W - 2 * W @ X


# ------------------------------------------------------------ the optimum
@dataclass(frozen=True)
class FamilyOptimum:
    """Exact minimiser of the loss family over ``W in R^{c x d}``.

    Attributes
    ----------
    subspace : Subspace
        Row space of an optimal ``W``: the top eigenvectors of ``X`` with positive eigenvalues.
    eigenvalues : array ``(c,)``
        Top ``c`` eigenvalues of ``X``, descending (may include non-positive ones).
    next_eigenvalue : float
        ``lambda_{c+1}`` (``-inf`` when ``c = d``).
    rank : int
        ``rank P* = `` number of positive eigenvalues among the top ``c``.
    rank_deficient : bool
        ``rank < c``: Assumption A.5 (``rank W = c``) cannot hold at the optimum.
    tied : bool
        ``lambda_c == lambda_{c+1}`` (relative ``1e-10``) with ``lambda_c > 0``: the optimal
        subspace is not unique; ``subspace`` is one of the optimal choices.
    loss : float
        ``-1/2 sum_{j<=c} max(lambda_j, 0)^2``.
    """

    subspace: Subspace
    eigenvalues: np.ndarray
    next_eigenvalue: float
    rank: int
    rank_deficient: bool
    tied: bool
    loss: float
    basis_eigenvalues: np.ndarray | None = None   # eigenvalue of each basis column, in order
    tie_vectors: np.ndarray | None = None         # eigenvectors of the tied lambda_c (rows: first m coords)

    def __post_init__(self) -> None:
        if self.basis_eigenvalues is None:
            object.__setattr__(self, "basis_eigenvalues", self.eigenvalues[: self.rank].copy())

    def tie_weight(self, upto: int) -> np.ndarray:
        """``||Pi_T e_k||^2`` for ``k < upto``, ``T`` the eigenspace of a tied ``lambda_c``: how
        much the choice among optimal subspaces can move ``r_k`` (0 where it cannot).

        For structured ``X`` the bulk part of ``T`` lives on coordinates ``>= m`` and is left out.
        """
        out = np.zeros(upto)
        if self.tied and self.tie_vectors is not None and self.tie_vectors.size:
            k = min(upto, self.tie_vectors.shape[0])
            out[:k] = np.sum(self.tie_vectors[:k] ** 2, axis=1)
        return out

    @property
    def c(self) -> int:
        return self.eigenvalues.size

    @property
    def eigengap(self) -> float:
        """``lambda_c - lambda_{c+1}``."""
        return float(self.eigenvalues[-1] - self.next_eigenvalue)

    def gram(self) -> np.ndarray:
        """``P* = W*^T W*`` (dense ``(d, d)``)."""
        b = self.subspace.basis()
        return (b * self.basis_eigenvalues) @ b.T

    def factor(self) -> np.ndarray:
        """One optimal ``W`` ``(c, d)``: ``diag(sqrt(lambda_+)) V^T``, zero rows past the rank."""
        W = np.zeros((self.c, self.subspace.d))
        W[: self.rank] = (self.subspace.basis() * np.sqrt(self.basis_eigenvalues)).T
        return W


def family_optimum(X, c: int) -> FamilyOptimum:
    """Minimise ``-<P, X> + 1/2 ||P||_F^2`` over ``P = W^T W``, ``rank W <= c`` (module docstring).

    ``X`` is a symmetric ``(d, d)`` array or an unbatched :class:`IdentityPlusBlock`.
    """
    if isinstance(X, IdentityPlusBlock):
        if X.batch_shape:
            raise ValueError("family_optimum takes one X; index the stack or use family_optima")
        d = X.d
        c = as_int("c", c, minimum=1, maximum=d)
        vals, vecs = X.eigh_block()
        vals, vecs = vals[::-1], vecs[:, ::-1]
        s = float(X.scale)
        n_bulk = d - X.m
        # merge the block spectrum with the bulk eigenvalue s (multiplicity d - m)
        merged = np.concatenate([vals, np.full(min(n_bulk, c + 1), s)])
        order = np.argsort(-merged, kind="stable")
        top = merged[order[: c + 1]] if c < d else np.concatenate([merged[order[:c]], [-np.inf]])
        chosen = order[:c]
        block_idx = np.sort(chosen[chosen < X.m])
        n_bulk_chosen = int(np.sum(chosen >= X.m))
        eig, nxt = top[:c], float(top[c])
        pos = eig > TIE_RTOL * max(1.0, abs(eig[0]))
        block_keep = [j for j in block_idx if vals[j] > TIE_RTOL * max(1.0, abs(eig[0]))]
        bulk = np.arange(X.m, X.m + (n_bulk_chosen if s > TIE_RTOL * max(1.0, abs(eig[0])) else 0))
        sub = Subspace(d, vecs[:, block_keep], bulk)
        aligned = np.concatenate([vals[block_keep], np.full(bulk.size, s)])
        tie_vecs = vecs[:, np.abs(vals - eig[-1]) <= TIE_RTOL * max(1.0, abs(eig[0]))]
    else:
        X = as_array("X", X, ndim=2)
        check_symmetric("X", X)
        d = X.shape[0]
        c = as_int("c", c, minimum=1, maximum=d)
        vals, vecs = np.linalg.eigh(X)
        vals, vecs = vals[::-1], vecs[:, ::-1]
        eig, nxt = vals[:c], float(vals[c]) if c < d else -np.inf
        pos = eig > TIE_RTOL * max(1.0, abs(eig[0]))
        sub = Subspace(d, vecs[:, :c][:, pos])
        aligned = eig[pos]
        tie_vecs = vecs[:, np.abs(vals - eig[-1]) <= TIE_RTOL * max(1.0, abs(eig[0]))]
    rank = int(pos.sum())
    scale = max(1.0, abs(float(eig[0])))
    tied = bool(c < d and eig[-1] > 0 and abs(eig[-1] - nxt) <= TIE_RTOL * scale)
    loss = float(-0.5 * np.sum(np.clip(eig, 0.0, None) ** 2))
    return FamilyOptimum(sub, np.asarray(eig, dtype=float), nxt, rank, rank < c, tied, loss,
                         np.asarray(aligned, dtype=float), tie_vecs if tied else None)


def family_optima(X, c: int) -> list[FamilyOptimum]:
    """:func:`family_optimum` for each matrix of a stack ``(N, d, d)`` or batched structure."""
    if isinstance(X, IdentityPlusBlock):
        return [family_optimum(X[i], c) for i in range(len(X))]
    X = as_array("X", X, ndim=3)
    return [family_optimum(x, c) for x in X]
