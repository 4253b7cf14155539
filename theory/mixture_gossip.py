"""Client moments of a Dirichlet-split Gaussian mixture after ``t`` gossip rounds, each client's
representation, and spectral-gap bounds on its distance to the stationary one (issue 18).

Setting. Client ``i`` holds second moments ``S_i`` and same-class positive-pair moments ``M_i``
(:func:`theory.mixture_robustness.client_moments`). ``t`` rounds of gossip with a row-stochastic
mixing matrix ``W`` give client ``i`` the moments ``(W^t S)_i = sum_j (W^t)_ij S_j`` (and the same
for ``M``), so its objective is the ``(W^t)_i``-weighted mixture (multi-step DecL, docs/theory.md
§4). As ``t -> inf`` every client reaches the stationary moments ``S_inf = sum_j pi_j S_j``,
``pi`` the stationary law of ``W``.

**Gossip factor.** With ``K = W^t - 1 pi^T`` and ``D_j = X_j - X_inf`` (``X`` any moment),
``(W^t X)_i - X_inf = sum_j K_ij D_j`` because the rows of ``K`` sum to 0, so

.. math:: \\lVert (W^t X)_i - X_\\infty \\rVert \\le \\lVert K_{i,:} \\rVert_1 \\max_j \\lVert D_j \\rVert
          \\le \\sqrt{N}\\, \\sqrt{\\pi_{max}/\\pi_{min}}\\; \\rho^t \\max_j \\lVert D_j \\rVert

in any norm (the second step is :func:`theory.bounds.consensus_bound` for reversible ``W``,
``rho = slem(W)``, and ``||K_i||_1 <= sqrt(N) ||K_i||_2 <= sqrt(N) ||K||_2``). :func:`gossip_factor`
returns ``kappa_t = sqrt(N) sqrt(pi_max/pi_min) rho^t``; the bounds below use it, never the row.

**Alignment family** (``X = S`` for ``cl-similar``, ``X = p(1-p)(S - Diag S)`` for
``mim-surrogate``; the representation is the top-``c`` eigenspace of ``X``). With
``E_i = (W^t X)_i - X_inf``, Yu-Wang-Samworth's Davis-Kahan variant gives

.. math:: \\lVert \\sin\\Theta_i \\rVert_F \\le \\frac{2 \\min(\\sqrt{c}\\,\\kappa_t H_2,\\; \\kappa_t H_F)}{\\lambda_c(X_\\infty) - \\lambda_{c+1}(X_\\infty)},

``H_2 = max_j ||D_j||_2``, ``H_F = max_j ||D_j||_F``. Assumption: a positive eigengap of ``X_inf`` (``cl-dissimilar``, ``(HS + SH)/2`` with a fixed
diagonal ``H``, is linear in ``S`` too and has the same bound).

**Spectral contrastive** (HaoChen et al. 2021; :mod:`theory.spectral_contrastive`): the
representation is ``span(S^{-1/2} u_j)``, ``u_j`` the top-``c`` eigenvectors of the whitened
``T = S^{-1/2} M S^{-1/2}``. Both ``S`` and ``M`` move: ``||Delta S_i||_2 <= e_S = kappa_t H_S``,
``||Delta M_i||_2 <= e_M = kappa_t H_M``. With ``mu = lambda_min(S_inf) > e_S`` (so every client's
``S`` stays positive definite; Weyl), ``A = S^{-1/2}``, ``||A|| = mu^{-1/2}``,
``||A_i|| <= (mu - e_S)^{-1/2}`` and, from ``A_i - A = A_i (S^{1/2} - S_i^{1/2}) A`` and
``||S^{1/2} - S_i^{1/2}|| <= ||S - S_i|| / (sqrt(mu) + sqrt(mu - e_S))`` (positive definite
square roots),

.. math:: \\lVert A_i - A \\rVert \\le d_A = \\frac{e_S}{\\sqrt{\\mu(\\mu - e_S)}\\,(\\sqrt{\\mu} + \\sqrt{\\mu - e_S})},

and ``T_i - T = (A_i - A) M_i A_i + A (M_i - M) A_i + A M (A_i - A)`` gives

.. math:: \\lVert T_i - T \\rVert_2 \\le e_T = d_A (\\lVert M \\rVert + e_M) \\lVert A_i \\rVert
          + \\lVert A \\rVert e_M \\lVert A_i \\rVert + \\lVert A \\rVert \\lVert M \\rVert d_A ,

so the whitened eigenspaces satisfy ``||sin Theta_i||_F <= 2 sqrt(c) e_T / (lambda_c(T) -
lambda_{c+1}(T))`` (the generalised eigenproblem ``M u = lambda S u`` with both sides perturbed).
Assumptions (checked at run time with :func:`theory.assumptions.positive_definite` and
:func:`theory.assumptions.eigengap`): ``S_inf`` positive definite with ``lambda_min(S_inf) > e_S``, and a positive
eigengap of ``T``; where the first fails the bound is ``inf`` (and says so). The bound is on the
whitened eigenspaces ``u``, the coordinates in which the spectral optimum is an eigenproblem;
the observed distance of the representations ``span(S^{-1/2} u)`` is reported beside it.

**MIM reconstruction** (Eq. 3 over all coordinates, :mod:`theory.mim`): the encoder is
``V_c^T C^{-1/2}``, ``V_c`` the top-``c`` right singular vectors of ``G = R C^{-1/2}`` with the
mask moments ``C = q^2 S + pq Diag S`` and ``R = pq (S - Diag S)`` (``q = 1 - p``), both linear in
``S``, so ``||Delta C_i|| <= e_C = q kappa_t H_S`` and ``||Delta R_i|| <= e_R = 2pq kappa_t H_S``
(``||Diag X|| <= ||X||``). With ``d_A`` as above for ``C`` (``mu_C = lambda_min(C_inf) > e_C``),
``||G_i - G|| <= e_G = e_R (mu_C - e_C)^{-1/2} + ||R_inf|| d_A``, and the singular-subspace
(Wedin-type) bound of Yu, Wang and Samworth (2015, Thm 3) gives

.. math:: \\lVert \\sin\\Theta(V_{c,i}, V_c) \\rVert_F \\le \\frac{2 (2\\sigma_1 + e_G) \\sqrt{c}\\, e_G}{\\sigma_c^2 - \\sigma_{c+1}^2}

with ``sigma_j`` the singular values of ``G_inf``. Assumptions: ``mu_C > e_C`` and
``sigma_c > sigma_{c+1}``; the bound is on the whitened right singular subspaces, the observed
distance of the encoders' row spaces is reported beside it.

Everything is vectorised across clients (one batched ``eigh``).

**Structured route.** When every client's moments are ``s I + pad(B_i)`` with one shared bulk
``s`` (:class:`theory.structured.IdentityPlusBlock`: isotropic mixture components whose means
and extra covariance live on the first ``m`` coordinates, :func:`structured_client_moments`),
every matrix above (gossiped moments, their differences, inverse square roots, ``T``, ``C``,
``R``, ``G``) is block-diagonal with the same multiple of the identity on the last ``d - m``
coordinates. Replacing that identity by a single coordinate (:func:`compress`) keeps every
eigenvalue that matters (the bulk value enters the spectrum once instead of ``d - m`` times),
every operator and Frobenius norm of a difference (the bulk cancels), and the top-``c``
subspaces, so the bounds and the observed distances are those of an ``(m + 1)``-dimensional
problem: ``d = 10^6`` costs what ``d = m + 1`` does. Where a client's own top-``c`` subspace is
not unique (its ``c``-th eigenvalue is the bulk one, repeated ``d - m`` times in dense form:
the dense route's ``client_eigengap`` is 0 there; the compressed one cannot see the repeat)
the two routes may pick different, equally valid eigenvectors; the bounds hold for any choice. ``tests/test_mixture_gossip.py`` checks the route against the dense one;
``benchmarks/bench_mixture_gossip.py`` prints the ratio.
"""

from __future__ import annotations

import numpy as np

from . import topology
from .assumptions import eigengap, positive_definite
from .bounds import _reversible_pi
from .structured import IdentityPlusBlock
from .validation import as_array, as_float, as_int

OBJECTIVES = ("cl-similar", "cl-dissimilar", "mim-surrogate", "spectral", "mim-reconstruction")


def compress(X) -> np.ndarray:
    """``s I_d + pad(B)`` (batched, shared bulk ``s``) -> the ``(m + 1)``-dimensional
    ``blockdiag(s I_m + B, s)`` (dense arrays pass through); see the module docstring."""
    if not isinstance(X, IdentityPlusBlock):
        return X
    s = np.asarray(X.scale, dtype=np.float64)
    if s.size and np.ptp(s) > 0:
        raise ValueError("the structured route needs one bulk scale shared by every client")
    m = X.m
    if m >= X.d:
        return X.to_dense()
    out = np.zeros(X.batch_shape + (m + 1, m + 1))
    out[..., :m, :m] = X.block + s.reshape(s.shape + (1, 1)) * np.eye(m)
    out[..., m, m] = s
    return out


def structured_client_moments(means, weights, d: int, noise: float = 1.0
                              ) -> tuple[IdentityPlusBlock, IdentityPlusBlock]:
    """Client moments of an isotropic mixture whose component means ``(K, m)`` live on the first
    ``m`` coordinates of ``R^d``: ``S_i = noise I + pad(sum_c w_ic mu_c mu_c^T)`` and the same-class
    positive pairs ``M_i = pad(sum_c w_ic mu_c mu_c^T)``, as :class:`IdentityPlusBlock` stacks
    (the structured counterpart of :func:`theory.mixture_robustness.client_moments`)."""
    mu = as_array("means", means, ndim=2)
    w = as_array("weights", weights, ndim=2)
    if w.shape[1] != mu.shape[0]:
        raise ValueError(f"weights must have {mu.shape[0]} columns (one per component), got {w.shape}")
    d = as_int("d", d, minimum=mu.shape[1])
    noise = as_float("noise", noise, positive=True)
    B = np.einsum("nk,ka,kb->nab", w, mu, mu)
    n = w.shape[0]
    return IdentityPlusBlock(d, np.full(n, noise), B), IdentityPlusBlock(d, np.zeros(n), B)


def gossip_moments(X, W, t: int) -> np.ndarray:
    """``(W^t X)_i`` for every client: ``X`` ``(N, d, d)`` -> ``(N, d, d)`` (one ``einsum``)."""
    X = as_array("X", X, ndim=3)
    W = topology.check_mixing_matrix(W)
    if W.shape != (X.shape[0],) * 2:
        raise ValueError(f"W must be ({X.shape[0]}, {X.shape[0]}) for {X.shape[0]} clients, got {W.shape}")
    return np.einsum("ij,jab->iab", np.linalg.matrix_power(W, as_int("t", t, minimum=0)), X)


def stationary_moments(X, W) -> np.ndarray:
    """``X_inf = sum_j pi_j X_j``, the moments every client reaches as ``t -> inf``."""
    X = as_array("X", X, ndim=3)
    return np.einsum("j,jab->ab", topology.stationary_distribution(topology.check_mixing_matrix(W)), X)


def gossip_factor(W, t: int) -> float:
    """``kappa_t = sqrt(N) sqrt(pi_max/pi_min) slem(W)^t`` (module docstring); reversible ``W``."""
    W = topology.check_mixing_matrix(W)
    pi = _reversible_pi(W)
    return float(np.sqrt(len(pi)) * np.sqrt(pi.max() / pi.min()) * topology.slem(W) ** as_int("t", t, minimum=0))


def target_matrix(S, objective: str, p: float = 0.75) -> np.ndarray:
    """The alignment-family target of ``S`` (batched over leading axes): ``S`` (``cl-similar``),
    ``(HS + SH)/2`` with the fixed ``H`` of :func:`theory.mixture_robustness.dissimilar_diagonal``
    (``cl-dissimilar``), or ``p(1-p)(S - Diag S)`` (``mim-surrogate``, Eq. 4); all linear in ``S``."""
    S = np.asarray(S, dtype=np.float64)
    if objective == "cl-similar":
        return S
    if objective == "cl-dissimilar":
        h = 1.0 + 0.5 * (-1.0) ** np.arange(S.shape[-1])     # dissimilar_diagonal(d)
        return 0.5 * (h[:, None] * S + S * h[None, :])
    if objective == "mim-surrogate":
        return p * (1 - p) * (S - np.einsum("...ii->...i", S)[..., None] * np.eye(S.shape[-1]))
    raise ValueError(f"objective must be 'cl-similar', 'cl-dissimilar' or 'mim-surrogate' here, got {objective!r}")


def _top(X: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    vals, vecs = np.linalg.eigh(X)
    return vals[..., ::-1], vecs[..., ::-1][..., :c]


def _sin_theta(U: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``||sin Theta||_F`` between orthonormal bases ``U`` ``(..., d, c)`` and ``V`` ``(d, c)``."""
    R = U - V @ (np.swapaxes(V, -1, -2) @ U)
    return np.sqrt(np.sum(R * R, axis=(-2, -1)))


def _inv_sqrt(S: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(S)
    return (vecs / np.sqrt(vals)[..., None, :]) @ np.swapaxes(vecs, -1, -2)


def _orth(B: np.ndarray) -> np.ndarray:
    return np.linalg.qr(B)[0]


def alignment_bound(S, W, t: int, c: int, objective: str = "cl-similar", p: float = 0.75) -> dict:
    """Observed ``||sin Theta_i||_F`` of every client's top-``c`` eigenspace after ``t`` rounds
    against the stationary one, and the Davis-Kahan bound (module docstring). Returns arrays
    ``observed`` ``(N,)`` and the scalars ``bound``, ``kappa``, ``eigengap``, ``H2``, ``HF``."""
    S = as_array("S", compress(S), ndim=3)
    c = as_int("c", c, minimum=1, maximum=S.shape[1] - 1)
    X = target_matrix(S, objective, p)
    Xt, Xinf = target_matrix(gossip_moments(S, W, t), objective, p), target_matrix(stationary_moments(S, W), objective, p)
    lam, V = _top(Xinf, c)
    lam_t, U = _top(Xt, c)
    D = X - Xinf
    H2 = float(np.max(np.linalg.norm(D, 2, axis=(1, 2))))
    HF = float(np.max(np.linalg.norm(D, "fro", axis=(1, 2))))
    gap_ok = eigengap(Xinf, c)                            # theory.assumptions: a positive eigengap
    gap = gap_ok.value
    kappa = gossip_factor(W, t)
    bound = 2 * min(np.sqrt(c) * kappa * H2, kappa * HF) / gap if gap_ok else np.inf
    return {"observed": _sin_theta(U, V), "bound": float(bound), "kappa": kappa, "eigengap": gap,
            "assumption": None if gap_ok else gap_ok.message,
            "client_eigengap": lam_t[:, c - 1] - lam_t[:, c],
            "H2": H2, "HF": HF, "t": int(t), "c": c, "objective": objective}


def spectral_bound(S, M, W, t: int, c: int) -> dict:
    """Observed whitened ``||sin Theta_i||_F`` (top-``c`` eigenvectors of ``S^{-1/2} M S^{-1/2}``)
    of every client after ``t`` rounds against the stationary one, the bound of the module
    docstring, and the observed distance of the representations ``span(S^{-1/2} u)``
    (``observed_representation``). ``bound`` is ``inf`` where ``lambda_min(S_inf) <= e_S``
    (``assumption`` says which assumption failed, or ``None``)."""
    S = as_array("S", compress(S), ndim=3)
    M = as_array("M", compress(M), shape=S.shape)
    c = as_int("c", c, minimum=1, maximum=S.shape[1] - 1)
    St, Mt = gossip_moments(S, W, t), gossip_moments(M, W, t)
    Sinf, Minf = stationary_moments(S, W), stationary_moments(M, W)
    mu = float(np.linalg.eigvalsh(Sinf)[0])
    if mu <= 0:
        raise ValueError(f"S_inf must be positive definite, its smallest eigenvalue is {mu:.3g}")
    A, At = _inv_sqrt(Sinf), _inv_sqrt(St)
    T, Tt = A @ Minf @ A, At @ Mt @ At
    lam, V = _top(T, c)
    lam_t, U = _top(Tt, c)
    kappa = gossip_factor(W, t)
    HS = float(np.max(np.linalg.norm(S - Sinf, 2, axis=(1, 2))))
    HM = float(np.max(np.linalg.norm(M - Minf, 2, axis=(1, 2))))
    eS, eM = kappa * HS, kappa * HM
    pd, gap_ok = positive_definite(Sinf, eS), eigengap(T, c)     # theory.assumptions
    gap = gap_ok.value
    assumption = None
    if not pd:
        assumption, bound = f"S_inf: {pd.message} (e_S)", np.inf
    elif not gap_ok:
        assumption, bound = f"whitened T: {gap_ok.message}", np.inf
    else:
        mu_i = mu - eS
        dA = eS / (np.sqrt(mu * mu_i) * (np.sqrt(mu) + np.sqrt(mu_i)))
        nA, nAi, nM = mu ** -0.5, mu_i ** -0.5, float(np.linalg.norm(Minf, 2))
        eT = dA * (nM + eM) * nAi + nA * eM * nAi + nA * nM * dA
        bound = 2 * np.sqrt(c) * eT / gap
    rep, rep_t = _orth(A @ V), _orth(At @ U)
    return {"observed": _sin_theta(U, V), "observed_representation": _sin_theta(rep_t, rep),
            "bound": float(bound), "kappa": kappa, "eigengap": gap, "mu": mu, "HS": HS, "HM": HM,
            "client_eigengap": lam_t[:, c - 1] - lam_t[:, c],
            "assumption": assumption, "t": int(t), "c": c, "objective": "spectral"}


def _d_inv_sqrt(e: float, mu: float) -> float:
    """``d_A``: a bound on ``||X_i^{-1/2} - X^{-1/2}||`` when ``||X_i - X|| <= e < mu = lambda_min(X)``."""
    mu_i = mu - e
    return e / (np.sqrt(mu * mu_i) * (np.sqrt(mu) + np.sqrt(mu_i)))


def mim_reconstruction_bound(S, W, t: int, c: int, p: float = 0.75) -> dict:
    """Observed whitened ``||sin Theta_i||_F`` (top-``c`` right singular vectors of
    ``R C^{-1/2}``) of every client after ``t`` rounds against the stationary one, the
    Wedin-type bound of the module docstring, and the observed distance of the encoders' row
    spaces ``span(C^{-1/2} V_c)`` (``observed_representation``)."""
    from .mim import mask_moments

    S = as_array("S", compress(S), ndim=3)
    c = as_int("c", c, minimum=1, maximum=S.shape[1] - 1)
    q = 1 - p
    Ct, Rt = mask_moments(gossip_moments(S, W, t), p)
    Cinf, Rinf = mask_moments(stationary_moments(S, W), p)
    mu = float(np.linalg.eigvalsh(Cinf)[0])
    if mu <= 0:
        raise ValueError(f"C_inf must be positive definite, its smallest eigenvalue is {mu:.3g}")
    A, At = _inv_sqrt(Cinf), _inv_sqrt(Ct)
    _, sig, Vt = np.linalg.svd(Rinf @ A)
    _, sig_t, Vti = np.linalg.svd(Rt @ At)
    V, Vi = Vt[:c].T, np.swapaxes(Vti[:, :c], -1, -2)
    kappa = gossip_factor(W, t)
    Sinf = stationary_moments(S, W)
    HS = float(np.max(np.linalg.norm(S - Sinf, 2, axis=(1, 2))))
    eC, eR = q * kappa * HS, 2 * p * q * kappa * HS
    G = Rinf @ A
    pd, gap_ok = positive_definite(Cinf, eC), eigengap(G.T @ G, c)    # theory.assumptions
    gap = float(sig[c - 1] ** 2 - sig[c] ** 2)
    assumption = None
    if not pd:
        assumption, bound = f"C_inf: {pd.message} (e_C)", np.inf
    elif not gap_ok or gap <= 0:
        assumption, bound = f"G^T G: {gap_ok.message}", np.inf
    else:
        eG = eR / np.sqrt(mu - eC) + float(np.linalg.norm(Rinf, 2)) * _d_inv_sqrt(eC, mu)
        bound = 2 * (2 * sig[0] + eG) * np.sqrt(c) * eG / gap
    enc, enc_t = _orth(A @ V), _orth(At @ Vi)
    return {"observed": _sin_theta(Vi, V), "observed_representation": _sin_theta(enc_t, enc),
            "bound": float(bound), "kappa": kappa, "eigengap": gap, "mu": mu, "HS": HS,
            "client_eigengap": sig_t[:, c - 1] ** 2 - sig_t[:, c] ** 2,
            "assumption": assumption, "t": int(t), "c": c, "objective": "mim-reconstruction"}
