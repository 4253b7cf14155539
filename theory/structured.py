"""Scaled identity plus a leading block: second moments that never materialise ``d x d``.

The paper's data model (docs/theory.md §1.2) puts all structure on the first ``2N`` coordinates; the
remaining ``d - 2N`` coordinates carry isotropic noise only. Its second moments are therefore

.. math::

    S = s\\, I_d + E_m B E_m^\\top, \\qquad E_m = [I_m; 0] \\in \\mathbb{R}^{d \\times m},

with ``B`` a symmetric ``(m, m)`` block. :class:`IdentityPlusBlock` stores ``(s, B)`` — for a
stack of ``N`` clients ``s`` has shape ``(N,)`` and ``B`` shape ``(N, m, m)`` — so that matvecs,
traces, Frobenius norms, mixing across clients and the full spectrum cost ``O(N m^2 + d)``
memory instead of ``O(N d^2)``; ``d = 10^6`` is routine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .validation import as_array, as_int, check_symmetric


@dataclass(frozen=True)
class IdentityPlusBlock:
    """``S = scale * I_d + pad(block)``, optionally batched over leading axes.

    Parameters
    ----------
    d : int
        Ambient dimension.
    scale : float or array, shape ``batch``
        Coefficient of the identity, one per batch element.
    block : array, shape ``batch + (m, m)``
        Symmetric block acting on the first ``m <= d`` coordinates.
    """

    d: int
    scale: np.ndarray
    block: np.ndarray

    def __post_init__(self) -> None:
        d = as_int("d", self.d, minimum=1)
        block = as_array("block", self.block)
        if block.ndim < 2 or block.shape[-1] != block.shape[-2]:
            raise ValueError(f"block must have shape (..., m, m), got {block.shape}")
        if block.shape[-1] > d:
            raise ValueError(f"block size m={block.shape[-1]} must not exceed d={d}")
        check_symmetric("block", block)
        scale = as_array("scale", self.scale)
        try:
            scale = np.broadcast_to(scale, block.shape[:-2]).copy()
        except ValueError as exc:
            raise ValueError(
                f"scale must broadcast to the batch shape {block.shape[:-2]}, got {scale.shape}"
            ) from exc
        object.__setattr__(self, "d", d)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "block", block)

    # ------------------------------------------------------------------ shape
    @property
    def m(self) -> int:
        """Size of the structured block."""
        return self.block.shape[-1]

    @property
    def batch_shape(self) -> tuple:
        return self.block.shape[:-2]

    def __len__(self) -> int:
        if not self.batch_shape:
            raise TypeError("an unbatched IdentityPlusBlock has no length")
        return self.batch_shape[0]

    def __getitem__(self, index) -> "IdentityPlusBlock":
        if not self.batch_shape:
            raise TypeError("an unbatched IdentityPlusBlock cannot be indexed")
        return IdentityPlusBlock(self.d, self.scale[index], self.block[index])

    # ----------------------------------------------------------- conversions
    def to_dense(self) -> np.ndarray:
        """The full matrix, shape ``batch + (d, d)`` (use only for small d)."""
        out = np.zeros(self.batch_shape + (self.d, self.d))
        out[..., : self.m, : self.m] = self.block
        idx = np.arange(self.d)
        out[..., idx, idx] += self.scale[..., None]
        return out

    def diagonal(self) -> np.ndarray:
        """Diagonal entries, shape ``batch + (d,)``."""
        out = np.repeat(self.scale[..., None], self.d, axis=-1)
        out[..., : self.m] += np.diagonal(self.block, axis1=-2, axis2=-1)
        return out

    def as_linear_operator(self) -> LinearOperator:
        """A :class:`scipy.sparse.linalg.LinearOperator` (unbatched only), e.g. for ``eigsh``."""
        if self.batch_shape:
            raise ValueError("as_linear_operator needs an unbatched IdentityPlusBlock")
        return LinearOperator(
            (self.d, self.d), matvec=self.matvec, matmat=self.matvec, rmatvec=self.matvec,
            dtype=np.float64,
        )

    # ------------------------------------------------------------- algebra
    def matvec(self, v: np.ndarray) -> np.ndarray:
        """``S v`` for ``v`` of shape ``(d,)`` or ``(d, k)``; result ``batch + v.shape``."""
        v = np.asarray(v, dtype=np.float64)
        if v.shape[0] != self.d or v.ndim > 2:
            raise ValueError(f"v must have shape (d,) or (d, k) with d={self.d}, got {v.shape}")
        extra = (1,) * (v.ndim)
        out = self.scale.reshape(self.batch_shape + extra) * v
        if v.ndim == 1:
            out[..., : self.m] += self.block @ v[: self.m]
        else:
            out[..., : self.m, :] += self.block @ v[: self.m]
        return out

    def trace(self) -> np.ndarray:
        """``tr S``, shape ``batch``."""
        return self.scale * self.d + np.trace(self.block, axis1=-2, axis2=-1)

    def frobenius_sq(self) -> np.ndarray:
        """``||S||_F^2``, shape ``batch``: ``||B + s I_m||_F^2 + s^2 (d - m)``."""
        inner = self.block + self.scale[..., None, None] * np.eye(self.m)
        return np.sum(inner**2, axis=(-2, -1)) + self.scale**2 * (self.d - self.m)

    def mix(self, weights: np.ndarray) -> "IdentityPlusBlock":
        """Combine a stack of ``N`` matrices with weights ``(M, N)``: ``S'_i = sum_j w_ij S_j``.

        One ``einsum`` over all clients (no loop); e.g. ``weights`` a mixing matrix.
        """
        if len(self.batch_shape) != 1:
            raise ValueError(f"mix needs a stack with one batch axis, got {self.batch_shape}")
        w = as_array("weights", weights, ndim=2)
        if w.shape[1] != self.batch_shape[0]:
            raise ValueError(
                f"weights must have shape (M, {self.batch_shape[0]}), got {w.shape}"
            )
        return IdentityPlusBlock(
            self.d, w @ self.scale, np.einsum("ij,jab->iab", w, self.block)
        )

    def mean(self) -> "IdentityPlusBlock":
        """Uniform average over the (single) batch axis."""
        n = self.batch_shape[0] if self.batch_shape else 1
        return self.mix(np.full((1, n), 1.0 / n))[0]

    def __sub__(self, other: "IdentityPlusBlock") -> "IdentityPlusBlock":
        if not isinstance(other, IdentityPlusBlock) or other.d != self.d:
            raise TypeError("can only subtract an IdentityPlusBlock of the same d")
        m = max(self.m, other.m)
        return IdentityPlusBlock(self.d, self.scale - other.scale,
                                 _pad(self.block, m) - _pad(other.block, m))

    # ------------------------------------------------------------- spectrum
    def eigh_block(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenpairs of the leading ``m x m`` part ``B + s I_m`` (ascending).

        The full spectrum of ``S`` is these ``m`` values plus ``s`` with multiplicity
        ``d - m`` (eigenvectors ``e_{m+1}, ..., e_d``).
        """
        inner = self.block + self.scale[..., None, None] * np.eye(self.m)
        return np.linalg.eigh(inner)

    def eigvalsh(self) -> np.ndarray:
        """All ``d`` eigenvalues in ascending order, shape ``batch + (d,)``."""
        vals = np.linalg.eigvalsh(self.block + self.scale[..., None, None] * np.eye(self.m))
        bulk = np.repeat(self.scale[..., None], self.d - self.m, axis=-1)
        return np.sort(np.concatenate([vals, bulk], axis=-1), axis=-1)


def _pad(block: np.ndarray, m: int) -> np.ndarray:
    out = np.zeros(block.shape[:-2] + (m, m))
    out[..., : block.shape[-1], : block.shape[-1]] = block
    return out
