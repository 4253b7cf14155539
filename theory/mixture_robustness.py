"""Robustness of linear SSL representations on Gaussian mixtures split by Dirichlet (docs/theory.md §4).

For a mixture (:class:`theory.mixtures.GaussianMixture`) and client class weights ``pi``
``(N, K)`` (a :class:`theory.splits.ClientSplit`), every client's moments are exact:
``S_i = sum_c pi_ic (Sigma_c + mu_c mu_c^T)``. Objectives:

* ``mim-reconstruction`` — Eq. 3 over all coordinates (closed form);
* ``mim-masked`` — Eq. 3 scored on masked coordinates only (MAE practice; iterative, see
  :func:`theory.mim.mim_reconstruction_optimum`); per-sample, so its FL objective is pooled too;
* ``mim-surrogate`` — Eq. 4, ``X = p(1-p)(S - Diag S)``;
* ``cl-similar`` — ``X = S``; ``cl-dissimilar`` — ``X = (HS + SH)/2``, ``H = diag(h)`` fixed;
* ``spectral`` — spectral contrastive with same-class positive pairs,
  ``M_i = sum_c pi_ic mu_c mu_c^T``; its FL objective is the mean of local losses (not linear in
  the moments), solved by :func:`theory.spectral_contrastive.fl_spectral_optimum`.

Frameworks: ``local`` (each client; metrics averaged), ``fl`` (size-weighted), ``decl`` (the
Eq. 1 global objective with a mixing matrix). The reference is the centralised optimum on the
pooled moments (what an IID split gives every client). Metrics: projector distance to the
reference, RV sensitivity on ``[c]``, and the exact population accuracy of the least-squares
linear probe on the pooled mixture (:mod:`theory.probes`).
"""

from __future__ import annotations

import numpy as np

from .frameworks import combine, decl_global_weights
from .mim import mim_reconstruction_optimum
from .mixtures import GaussianMixture
from .objectives import cl_alignment_matrix, family_optimum, mim_alignment_matrix
from .probes import probe_accuracy
from .representations import Subspace, projector_distance, sensitivity
from .spectral_contrastive import fl_spectral_optimum, spectral_contrastive_optimum
from .validation import as_array, as_float, as_int

OBJECTIVES = ("mim-reconstruction", "mim-masked", "mim-surrogate", "cl-similar", "cl-dissimilar",
              "spectral")
FRAMEWORKS = ("local", "fl", "decl")


def dissimilar_diagonal(d: int) -> np.ndarray:
    """The fixed dissimilar transform ``H = diag(h)``, ``h_k = 1 + (-1)^k / 2``."""
    return np.diag(1.0 + 0.5 * (-1.0) ** np.arange(d))


def _subspace(S: np.ndarray, M: np.ndarray, objective: str, c: int, p: float) -> Subspace:
    if objective == "mim-reconstruction":
        return mim_reconstruction_optimum(S, p, c).subspace
    if objective == "mim-masked":
        return mim_reconstruction_optimum(S, p, c, "masked").subspace
    if objective == "mim-surrogate":
        return family_optimum(mim_alignment_matrix(S, p), c).subspace
    if objective == "cl-similar":
        return family_optimum(cl_alignment_matrix(S), c).subspace
    if objective == "cl-dissimilar":
        return family_optimum(cl_alignment_matrix(S, dissimilar_diagonal(S.shape[0])), c).subspace
    if objective == "spectral":
        return spectral_contrastive_optimum(S, M, c).subspace
    raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")


def client_moments(mixture: GaussianMixture, weights) -> tuple[np.ndarray, np.ndarray]:
    """``S`` ``(N, d, d)`` and same-class positive-pair moments ``M`` ``(N, d, d)``."""
    w = as_array("weights", weights, ndim=2)
    S = mixture.client_second_moments(w)
    M = np.einsum("nk,ka,kb->nab", w, mixture.means, mixture.means)
    return S, M


def evaluate(mixture: GaussianMixture, weights, sizes, objective: str, framework: str, *,
             c: int, p: float = 0.75, W=None, S=None, M=None, probe: bool = True) -> dict:
    """Metrics of one objective and framework (module docstring) against the pooled optimum.

    ``S``/``M`` may be given (e.g. finite-sample moments); by default they are exact.
    ``probe=False`` skips the (slower) exact probe accuracy and leaves its keys out.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    c = as_int("c", c, minimum=1, maximum=mixture.dim)
    p = as_float("p", p, open_unit_interval=True)
    w = as_array("weights", weights, ndim=2)
    s = as_array("sizes", sizes, shape=(w.shape[0],))
    s = s / s.sum()
    if S is None or M is None:
        S, M = client_moments(mixture, w)
    Sbar, Mbar = combine(S, s), combine(M, s)
    ref = _subspace(Sbar, Mbar, objective, c, p)
    glob = s @ w                                   # pooled class weights
    acc_ref = probe_accuracy(ref, mixture, glob) if probe else None
    if framework == "local":
        subs = [_subspace(S[i], M[i], objective, c, p) for i in range(len(S))]
    elif framework == "fl":
        if objective == "spectral":                # mean of local losses, not pooled moments
            subs = [fl_spectral_optimum(S, M, c, sizes=s).subspace]
        else:
            subs = [ref]                           # FL = pooled: the objective is linear in S
    else:
        if W is None:
            raise ValueError("framework 'decl' needs the mixing matrix W")
        pi = decl_global_weights(W)
        if objective == "spectral":
            subs = [fl_spectral_optimum(S, M, c, sizes=pi).subspace]
        else:
            subs = [_subspace(combine(S, pi), combine(M, pi), objective, c, p)]
    dist = [projector_distance(sub, ref) for sub in subs]
    sens = [sensitivity(sub.representability(upto=c), c) for sub in subs]
    out = {"distance": float(np.mean(dist)), "sensitivity": float(np.mean(sens)),
           "sensitivity_reference": sensitivity(ref.representability(upto=c), c)}
    if probe:
        acc = [probe_accuracy(sub, mixture, glob) if sub.dim else float(np.max(glob)) for sub in subs]
        out.update({"probe_accuracy": float(np.mean(acc)), "probe_accuracy_reference": float(acc_ref),
                    "probe_gap": float(acc_ref - np.mean(acc))})
    return out
