"""Downstream linear probes on a learned representation (docs/theory.md §4, robustness measures).

For a labelled Gaussian mixture (:class:`theory.mixtures.GaussianMixture`, class weights ``pi``)
and a representation with orthonormal basis ``U`` (features ``z = U^T x``), the best affine
least-squares predictor of the one-hot label ``y`` has the exact population risk

.. math::

    R = \\operatorname{tr} E[y y^\\top] - \\operatorname{tr}\\big(E[y \\tilde z^\\top]
        E[\\tilde z \\tilde z^\\top]^{-1} E[\\tilde z y^\\top]\\big),\\quad \\tilde z = (z, 1),

with ``E[y y^T] = diag(pi)``, ``E[z y^T]_{:,c} = pi_c U^T mu_c``, ``E[z z^T] = U^T S U``. Its
classifier ``argmax_c (B^T z~)_c`` has an exact population accuracy: within class ``c`` the score
differences are jointly Gaussian, so ``P(correct | c)`` is a multivariate normal orthant
probability, integrated by scipy's randomised quasi-Monte Carlo (Genz) to an absolute error of
about ``1e-5`` per class, with a fixed integration seed (deterministic).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import multivariate_normal

from .mixtures import GaussianMixture
from .representations import Subspace
from .validation import as_array


def _weights(mixture: GaussianMixture, weights) -> np.ndarray:
    w = as_array("weights", weights, shape=(mixture.n_components,))
    if np.any(w < 0) or abs(w.sum() - 1) > 1e-9:
        raise ValueError("weights must be a probability vector over the mixture components")
    return w


def least_squares_probe(subspace: Subspace, mixture: GaussianMixture, weights) -> tuple[np.ndarray, float]:
    """Population least-squares probe: coefficients ``B`` ``(k + 1, K)`` and its risk ``R``."""
    if subspace.d != mixture.dim:
        raise ValueError(f"subspace has d={subspace.d}, mixture d={mixture.dim}")
    pi = _weights(mixture, weights)
    U = subspace.basis()
    k = U.shape[1]
    mz = mixture.means @ U                                        # (K, k) class means of z
    Szz = np.einsum("c,cab->ab", pi, U.T @ mixture.covariances @ U + mz[:, :, None] * mz[:, None, :])
    Ezz = np.zeros((k + 1, k + 1))
    Ezz[:k, :k] = Szz
    Ezz[:k, k] = Ezz[k, :k] = pi @ mz
    Ezz[k, k] = 1.0
    Ezy = np.vstack([(mz * pi[:, None]).T, pi[None, :]])          # (k + 1, K)
    B = np.linalg.lstsq(Ezz, Ezy, rcond=None)[0]
    risk = float(np.sum(pi) - np.sum(Ezy * B))
    return B, risk


def probe_accuracy(subspace: Subspace, mixture: GaussianMixture, weights, B=None) -> float:
    """Exact population accuracy of ``argmax_c (B^T (U^T x, 1))_c`` (default: the least-squares
    probe), by Gaussian orthant probabilities per class."""
    pi = _weights(mixture, weights)
    if B is None:
        B, _ = least_squares_probe(subspace, mixture, pi)
    U = subspace.basis()
    K = mixture.n_components
    A = U @ B[:-1]                                                # scores s = A^T x + b0
    b0 = B[-1]
    acc = 0.0
    for c in range(K):
        if pi[c] == 0:
            continue
        others = [j for j in range(K) if j != c]
        D = np.zeros((K - 1, K))
        D[np.arange(K - 1), c] = 1.0
        D[np.arange(K - 1), others] = -1.0                        # s_c - s_j
        mean = D @ (A.T @ mixture.means[c] + b0)
        cov = D @ A.T @ mixture.covariances[c] @ A @ D.T
        if K == 2:
            sd = np.sqrt(max(cov[0, 0], 0.0))
            from scipy.stats import norm
            p = float(norm.cdf(mean[0] / sd)) if sd > 0 else float(mean[0] > 0)
        else:
            cov = cov + 1e-10 * np.eye(K - 1) * max(1.0, np.trace(cov))
            mvn = multivariate_normal(mean=-mean, cov=cov, allow_singular=True, maxpts=20_000 * (K - 1),
                                      abseps=1e-5, releps=0.0)
            p = float(mvn.cdf(np.zeros(K - 1), rng=np.random.default_rng(0)))
        acc += pi[c] * p
    return float(acc)


def sample_probe_accuracy(z_train, y_train, z_test, y_test, n_classes: int | None = None) -> float:
    """Sample route: fit affine least squares to one-hot labels, report test accuracy."""
    zt, ze = as_array("z_train", z_train, ndim=2), as_array("z_test", z_test, ndim=2)
    yt, ye = np.asarray(y_train), np.asarray(y_test)
    if yt.shape != (zt.shape[0],) or ye.shape != (ze.shape[0],):
        raise ValueError("labels must have one entry per feature row")
    K = int(max(yt.max(), ye.max()) + 1) if n_classes is None else n_classes
    Y = np.eye(K)[yt]
    Zt = np.hstack([zt, np.ones((zt.shape[0], 1))])
    B = np.linalg.lstsq(Zt, Y, rcond=None)[0]
    pred = np.argmax(np.hstack([ze, np.ones((ze.shape[0], 1))]) @ B, axis=1)
    return float(np.mean(pred == ye))
