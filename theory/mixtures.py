"""Gaussian mixtures with exact per-client moments (docs/theory.md §4, "Gaussian non-IID mixtures").

A mixture has ``K`` components ``N(mu_c, Sigma_c)``. A client with class weights ``pi_i``
(a row of a split's weight matrix, :mod:`theory.splits`) has

.. math::

    E_i[x] = \\sum_c \\pi_{ic} \\mu_c, \\qquad
    S_i = E_i[x x^\\top] = \\sum_c \\pi_{ic} (\\Sigma_c + \\mu_c \\mu_c^\\top).

All clients are computed in one ``einsum``.
"""

from __future__ import annotations

import numpy as np

from .validation import as_array, as_float, as_int, check_psd


class GaussianMixture:
    """``K`` Gaussian components in ``R^d``.

    Parameters
    ----------
    means : array, shape ``(K, d)``
    covariances : array, shape ``(K, d, d)`` (full), ``(K, d)`` (diagonal) or ``(K,)``
        (isotropic variances). Must be positive semidefinite.
    """

    def __init__(self, means, covariances) -> None:
        self.means = as_array("means", means, ndim=2)
        k, d = self.means.shape
        if k < 1 or d < 1:
            raise ValueError(f"means must have shape (K, d) with K, d >= 1, got {self.means.shape}")
        cov = as_array("covariances", covariances)
        if cov.shape == (k,):
            if np.any(cov < 0):
                raise ValueError("covariances given as variances (K,) must be >= 0")
            cov = cov[:, None, None] * np.eye(d)
        elif cov.shape == (k, d):
            if np.any(cov < 0):
                raise ValueError("covariances given as diagonals (K, d) must be >= 0")
            cov = cov[:, :, None] * np.eye(d)
        elif cov.shape != (k, d, d):
            raise ValueError(
                f"covariances must have shape ({k}, {d}, {d}), ({k}, {d}) or ({k},), got {cov.shape}"
            )
        check_psd("covariances", cov)
        self.covariances = cov
        self._chol = None

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @classmethod
    def random(cls, n_components: int, d: int, *, separation: float = 3.0,
               noise: float = 1.0, rng: np.random.Generator | int | None = None
               ) -> "GaussianMixture":
        """Means ``separation * g / sqrt(d)`` with ``g ~ N(0, I)`` (so ``||mu_c|| ~ separation``)
        and random covariances ``noise * (A A^T / d + I) / 2``."""
        k = as_int("n_components", n_components, minimum=1)
        d = as_int("d", d, minimum=1)
        sep = as_float("separation", separation, nonnegative=True)
        noise = as_float("noise", noise, positive=True)
        rng = np.random.default_rng(rng)
        means = sep * rng.standard_normal((k, d)) / np.sqrt(d)
        a = rng.standard_normal((k, d, d))
        cov = noise * (a @ np.swapaxes(a, -1, -2) / d + np.eye(d)) / 2
        return cls(means, cov)

    def _weights(self, weights) -> tuple[np.ndarray, bool]:
        w = as_array("weights", weights)
        single = w.ndim == 1
        w = np.atleast_2d(w)
        if w.ndim != 2 or w.shape[1] != self.n_components:
            raise ValueError(
                f"weights must have shape ({self.n_components},) or (N, {self.n_components}), "
                f"got {np.shape(weights)}"
            )
        if np.any(w < 0) or np.any(np.abs(w.sum(axis=1) - 1.0) > 1e-9):
            raise ValueError("weights must be nonnegative with rows summing to 1")
        return w, single

    def client_means(self, weights) -> np.ndarray:
        """``E_i[x] = sum_c pi_ic mu_c``; weights ``(N, K)`` -> ``(N, d)`` (or ``(K,)`` -> ``(d,)``)."""
        w, single = self._weights(weights)
        out = w @ self.means
        return out[0] if single else out

    def client_second_moments(self, weights) -> np.ndarray:
        """``S_i = sum_c pi_ic (Sigma_c + mu_c mu_c^T)``; ``(N, K)`` -> ``(N, d, d)``."""
        w, single = self._weights(weights)
        comp = self.covariances + self.means[:, :, None] * self.means[:, None, :]
        out = np.einsum("nk,kab->nab", w, comp)
        return out[0] if single else out

    def sample_labels(self, labels, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """One sample per label: ``x_j ~ N(mu_{labels_j}, Sigma_{labels_j})``, shape ``(n, d)``."""
        labels = np.asarray(labels)
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_components):
            raise ValueError(f"labels must lie in 0..{self.n_components - 1}")
        rng = np.random.default_rng(rng)
        if self._chol is None:
            # eigen-factor (robust for singular PSD covariances): Sigma = L L^T
            vals, vecs = np.linalg.eigh(self.covariances)
            self._chol = vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]
        z = rng.standard_normal((labels.size, self.dim))
        x = self.means[labels]
        for c in np.unique(labels):                 # one matmul per component, not (n, d, d)
            rows = labels == c
            x[rows] += z[rows] @ self._chol[c].T
        return x

    def sample(self, n: int, weights, rng: np.random.Generator | int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` i.i.d. draws from the mixture with weights ``(K,)``: ``(x (n, d), labels (n,))``."""
        n = as_int("n", n, minimum=1)
        w, single = self._weights(weights)
        if not single:
            raise ValueError("sample takes one weight vector of shape (K,)")
        rng = np.random.default_rng(rng)
        labels = rng.choice(self.n_components, size=n, p=w[0])
        return self.sample_labels(labels, rng), labels
