"""Learned representations as subspaces, and the metrics on them (docs/theory.md §1.4).

A :class:`Subspace` of ``R^d`` is stored compactly: an orthonormal ``(m, k)`` block supported
on the first ``m`` coordinates, plus ``bulk`` standard basis vectors ``e_j`` with ``j >= m``.
A dense subspace is the case ``m = d`` with no bulk; the structured moments of the paper's model
(:class:`theory.structured.IdentityPlusBlock`) give ``m = 2N`` and, where the bulk eigenvalue
enters the top ``c``, bulk directions (then the subspace is not unique: see ``tied``).

Subspaces are compared through projectors and principal angles, never through raw factors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .validation import as_array, as_int


@dataclass(frozen=True)
class Subspace:
    """``span([pad(block), e_bulk])`` in ``R^d``.

    Parameters
    ----------
    d : int
    block : array ``(m, k)`` with orthonormal columns
    bulk : int array of coordinates ``>= m`` (default none)
    """

    d: int
    block: np.ndarray
    bulk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        d = as_int("d", self.d, minimum=1)
        block = as_array("block", self.block, ndim=2)
        bulk = np.asarray(self.bulk, dtype=np.int64).reshape(-1)
        m, k = block.shape
        if m > d:
            raise ValueError(f"block has {m} rows but d = {d}")
        if k and np.max(np.abs(block.T @ block - np.eye(k))) > 1e-8:
            raise ValueError("block must have orthonormal columns")
        if bulk.size and (bulk.min() < m or bulk.max() >= d or np.unique(bulk).size != bulk.size):
            raise ValueError(f"bulk must be distinct coordinates in {m}..{d - 1}")
        object.__setattr__(self, "d", d)
        object.__setattr__(self, "block", block)
        object.__setattr__(self, "bulk", bulk)

    @classmethod
    def from_basis(cls, basis) -> "Subspace":
        """Orthonormalise the columns of a dense ``(d, k)`` matrix (must have full column rank)."""
        b = as_array("basis", basis, ndim=2)
        q, r = np.linalg.qr(b)
        diag = np.abs(np.diag(r))
        if b.shape[1] and diag.min() <= 1e-12 * max(1.0, diag.max()):
            raise ValueError("basis must have full column rank")
        return cls(b.shape[0], q)

    @property
    def dim(self) -> int:
        return self.block.shape[1] + self.bulk.size

    @property
    def m(self) -> int:
        return self.block.shape[0]

    def basis(self) -> np.ndarray:
        """Dense orthonormal basis ``(d, dim)`` (materialises ``d x dim``)."""
        out = np.zeros((self.d, self.dim))
        out[: self.m, : self.block.shape[1]] = self.block
        out[self.bulk, self.block.shape[1] + np.arange(self.bulk.size)] = 1.0
        return out

    def projector(self) -> np.ndarray:
        """Dense orthogonal projector ``(d, d)``."""
        b = self.basis()
        return b @ b.T

    def representability(self, upto: int | None = None) -> np.ndarray:
        """Definition 4.1: ``r_k = ||Pi e_k||^2 = sum_j (e_k^T v_j)^2``, shape ``(d,)``.

        ``upto`` returns only ``r_0..r_{upto-1}`` (no ``d``-sized array for huge ``d``).
        """
        n = self.d if upto is None else as_int("upto", upto, minimum=0, maximum=self.d)
        r = np.zeros(n)
        k = min(n, self.m)
        r[:k] = np.sum(self.block[:k] ** 2, axis=1)
        r[self.bulk[self.bulk < n]] = 1.0
        return r

    def _support_rows(self, support: np.ndarray) -> np.ndarray:
        """Rows of the dense basis on the coordinates ``support`` (sorted), ``(len, dim)``."""
        out = np.zeros((support.size, self.dim))
        inblock = support < self.m
        out[inblock, : self.block.shape[1]] = self.block[support[inblock]]
        pos = np.searchsorted(support, self.bulk)
        out[pos, self.block.shape[1] + np.arange(self.bulk.size)] = 1.0
        return out

    def overlap(self, other: "Subspace") -> np.ndarray:
        """``U^T V`` for orthonormal bases ``U`` of self and ``V`` of other, ``(dim, dim')``."""
        if other.d != self.d:
            raise ValueError(f"subspaces live in different spaces: d={self.d} vs d={other.d}")
        support = np.union1d(np.arange(max(self.m, other.m)), np.union1d(self.bulk, other.bulk))
        return self._support_rows(support).T @ other._support_rows(support)


def principal_angles(a: Subspace, b: Subspace) -> np.ndarray:
    """Principal angles ``theta_1 <= ... <= theta_k`` (radians), ``k = min(dim a, dim b)``."""
    s = np.linalg.svd(a.overlap(b), compute_uv=False)
    return np.arccos(np.clip(s, -1.0, 1.0))


def _residual(a: Subspace, b: Subspace) -> np.ndarray:
    """``(I - P_a) V_b`` on the joint support, computed without cancellation."""
    if a.d != b.d:
        raise ValueError(f"subspaces live in different spaces: d={a.d} vs d={b.d}")
    support = np.union1d(np.arange(max(a.m, b.m)), np.union1d(a.bulk, b.bulk))
    U, V = a._support_rows(support), b._support_rows(support)
    return V - U @ (U.T @ V)


def sin_theta_distance(a: Subspace, b: Subspace, ord: str = "fro") -> float:
    """``||sin Theta(a, b)||`` (``ord="fro"`` or ``2``) for subspaces of equal dimension.

    Computed as ``||(I - P_a) V_b||`` (exact to round-off, unlike ``sqrt(k - ||U^T V||^2)``).
    """
    if a.dim != b.dim:
        raise ValueError(f"sin Theta needs equal dimensions, got {a.dim} and {b.dim}")
    if ord not in ("fro", 2):
        raise ValueError(f"ord must be 'fro' or 2, got {ord!r}")
    res = _residual(a, b)
    if res.size == 0:
        return 0.0
    return float(np.linalg.norm(res, "fro" if ord == "fro" else 2))


def projector_distance(a: Subspace, b: Subspace, ord: str = "fro") -> float:
    """``||P_a - P_b||`` (``"fro"`` or ``2``).

    Frobenius: ``sqrt(||(I - P_a) V_b||_F^2 + ||(I - P_b) U_a||_F^2)``; for equal dimensions
    this is ``sqrt(2) ||sin Theta||_F``, and the spectral norm is ``||sin Theta||_2``.
    """
    if ord == "fro":
        return float(np.sqrt(np.sum(_residual(a, b) ** 2) + np.sum(_residual(b, a) ** 2)))
    if ord == 2:
        if a.dim != b.dim:
            return 1.0
        return sin_theta_distance(a, b, 2)
    raise ValueError(f"ord must be 'fro' or 2, got {ord!r}")


def sensitivity(r, c: int) -> float:
    """``s = max_{k < c} r_k - min_{k < c} r_k`` over the first ``c`` coordinates (docs/theory.md §1.4)."""
    r = as_array("r", r, ndim=1)
    c = as_int("c", c, minimum=1, maximum=r.size)
    head = r[:c]
    return float(head.max() - head.min())
