"""Fastest mixing Markov chain by an interior-point method on the edge weights (docs/theory.md §4).

The Boyd–Diaconis–Xiao problem [1]_ (eq. (3) there, edge-weight form)

.. math::

    \\min_{w,\\,s}\\ s \\quad\\text{s.t.}\\quad X = sI - D \\succeq 0,\\quad Y = sI + D \\succeq 0,
    \\quad w \\ge 0,\\quad \\textstyle 1 - \\sum_{e \\ni i} w_e \\ge 0,
    \\qquad D = I - \\tfrac1N 11^\\top - \\sum_e w_e a_e a_e^\\top,

``a_e = e_i - e_j``, is an LMI in ``x = (w, s)`` over ``S^N_+ × S^N_+ × R^|E|_+ × R^N_+``. It is
solved by a primal-dual interior-point method (Nesterov–Todd direction, Mehrotra's
predictor–corrector, SDPT3's step rule; Todd, Toh and Tütüncü [2]_) whose cost is the graph's:
the Schur matrix's edge block is ``(B^T W^{-1} B)∘(B^T W^{-1} B)`` for each SDP block's scaling
``W``, gathered in ``O(|E|^2)`` from ``W^{-1}`` and factored once per iteration, so an iteration
costs ``O(N^3 + |E|^3)`` where the generic SDP (:func:`theory.topology.fastest_mixing_matrix`
with ``method="sdp"``) works on ``N^2``-sized matrix variables. About 20–40 iterations reach a
certified gap of ``1e-9`` from N = 10 to N = 1000.

Every solution carries a certificate: the dual iterate ``(Z1, Z2, ν)``, normalised so that
``tr Z1 + tr Z2 = 1`` and with ``ν`` raised until each edge's dual constraint
``a_e^T (Z2 - Z1) a_e + ν_i + ν_j ≥ 0`` holds (:func:`dual_bound`), is dual feasible, so its value
``tr((Z1 - Z2)(I - 11^T/N)) - 1^T ν`` is a lower bound on the optimal SLEM; ``gap`` is the primal
``s`` (an upper bound, attained by the returned weights) minus that bound.

References
----------
.. [1] S. Boyd, P. Diaconis, L. Xiao, "Fastest mixing Markov chain on a graph",
   SIAM Review 46(4), 2004.
.. [2] M. J. Todd, K. C. Toh, R. H. Tütüncü, "On the Nesterov–Todd direction in semidefinite
   programming", SIAM J. Optim. 8(3), 1998.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse
from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["solve_fmmc", "dual_bound", "memory_bytes"]

_PARALLEL_SCHUR = 2000   # Schur matrices at least this large are factored on several threads


def memory_bytes(n: int, m: int) -> float:
    """Peak bytes of :func:`solve_fmmc` on ``n`` nodes and ``m`` edges, roughly: the Schur
    matrix, its factor and one edge form (``(m+1)^2`` each) and a few dozen ``n x n`` arrays."""
    return 8.0 * (3 * (m + 1) ** 2 + 40 * n * n)


def _edge_form(P: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``a_e^T P a_f`` for all edge pairs ``(e, f)``, ``a_e = e_i - e_j``: shape ``(|E|, |E|)``
    (``B^T P B`` by contiguous gathers, never a dense incidence product)."""
    PB = np.take(P, i, axis=1)
    PB -= np.take(P, j, axis=1)
    out = np.take(PB, i, axis=0)
    out -= np.take(PB, j, axis=0)
    return out


def _quad_diag(P: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``a_e^T P a_e`` for every edge."""
    return P[i, i] - P[i, j] - P[j, i] + P[j, j]


def _laplacian(n: int, i: np.ndarray, j: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_e w_e a_e a_e^T`` as a dense ``(n, n)`` array."""
    L = np.zeros((n, n))
    np.add.at(L, (i, j), -w)
    np.add.at(L, (j, i), -w)
    L[np.diag_indices(n)] = np.bincount(i, w, n) + np.bincount(j, w, n)
    return L


def dual_bound(n: int, i: np.ndarray, j: np.ndarray, Z1: np.ndarray, Z2: np.ndarray,
               nu: np.ndarray) -> tuple[float, np.ndarray]:
    """A dual feasible point of the BDX problem from ``(Z1, Z2, ν)`` with ``Z1, Z2 ⪰ 0``, and its
    value, a lower bound on the optimal SLEM (weak duality).

    The dual is ``max tr((Z1 - Z2)(I - 11^T/N)) - 1^T ν`` over ``Z1, Z2 ⪰ 0``,
    ``tr Z1 + tr Z2 = 1``, ``ν ≥ 0``, ``a_e^T (Z2 - Z1) a_e + ν_i + ν_j ≥ 0`` for every edge.
    The point is normalised to the trace constraint and ``ν`` raised edge by edge until the last
    constraint holds. Returns ``(value, nu)``."""
    Z1, Z2 = (Z1 + Z1.T) / 2, (Z2 + Z2.T) / 2
    scale = np.trace(Z1) + np.trace(Z2)
    Z1, Z2, nu = Z1 / scale, Z2 / scale, np.maximum(np.asarray(nu, dtype=float) / scale, 0.0)
    q = _quad_diag(Z2 - Z1, i, j)
    for e in np.flatnonzero(q + nu[i] + nu[j] < 0):   # few edges; each raise only helps others
        short = -(q[e] + nu[i[e]] + nu[j[e]])
        if short > 0:
            nu[i[e]] += short
    Zd = Z1 - Z2
    return float(np.trace(Zd) - Zd.sum() / n - nu.sum()), nu


def _regularised_cholesky(build):
    """Cholesky factor of the unit-diagonal Schur matrix ``M, sc = build()``, factored in
    place; near the optimum round-off can make it indefinite, and then ``M`` is rebuilt with a
    ridge of ``1e-14 .. 1e-8`` (relative to the unit diagonal) until it factors. Returns
    ``(factor, sc)``, or ``(None, None)`` when even the largest ridge fails."""
    for ridge in (0.0, 1e-14, 1e-12, 1e-10, 1e-8):
        M, sc = build()
        M[np.diag_indices_from(M)] += ridge
        try:
            return scipy.linalg.cho_factor(M, overwrite_a=True, check_finite=False), sc
        except np.linalg.LinAlgError:
            del M
    return None, None


def _max_step_scaled(lam: np.ndarray, dT: np.ndarray) -> float:
    """Largest ``α`` with ``diag(lam) + α dT ⪰ 0`` (``lam > 0``): one over the largest of
    ``-λ(Λ^{-1/2} dT Λ^{-1/2})``, infinite when none is negative."""
    r = 1.0 / np.sqrt(lam)
    M = dT * r[:, None] * r[None, :]
    lo = scipy.linalg.eigh((M + M.T) / 2, eigvals_only=True, subset_by_index=[0, 0],
                           check_finite=False)[0]
    return 1.0 / -lo if lo < 0 else np.inf


def _max_step_vec(x: np.ndarray, dx: np.ndarray) -> float:
    """Largest ``α`` with ``x + α dx >= 0`` (``x > 0``)."""
    neg = dx < 0
    return float(np.min(-x[neg] / dx[neg])) if neg.any() else np.inf


class _NTBlock:
    """Nesterov–Todd scaling of one SDP block ``(S, Z)``: ``G`` with ``G^{-1} S G^{-T} =
    G^T Z G = Λ`` (Todd, Toh, Tütüncü 1998: ``L_Z^T L_S = U Λ V^T``, ``G = L_S V Λ^{-1/2}``), so
    ``W = G G^T`` satisfies ``W Z W = S``; the singular values keep the small ``λ`` accurate."""

    def __init__(self, S: np.ndarray, Z: np.ndarray):
        LS, LZ = np.linalg.cholesky(S), np.linalg.cholesky(Z)
        _, lam, Vt = scipy.linalg.svd(LZ.T @ LS, lapack_driver="gesdd", check_finite=False)
        self.lam = lam
        iLS = scipy.linalg.solve_triangular(LS, np.eye(len(lam)), lower=True, check_finite=False)
        self.Ginv = np.sqrt(lam)[:, None] * (Vt @ iLS)          # G^{-1} = Λ^{1/2} V^T L_S^{-1}
        self.Winv = self.Ginv.T @ self.Ginv                       # W^{-1} = G^{-T} G^{-1}

    def scale_S(self, dS):
        """``G^{-1} dS G^{-T}``."""
        return self.Ginv @ dS @ self.Ginv.T

    def rhs_matrix(self, sig_mu: float, corr: np.ndarray | None) -> np.ndarray:
        """``Rc = (2σμI - 2Λ² - corr) ⊘ (λ_a + λ_b)``, the scaled ``ΔS~ + ΔZ~``."""
        R = -np.diag(2 * self.lam ** 2) + np.diag(np.full(self.lam.size, 2 * sig_mu))
        if corr is not None:
            R = R - corr
        return R / (self.lam[:, None] + self.lam[None, :])


def solve_fmmc(n: int, i: np.ndarray, j: np.ndarray, *, tol: float = 1e-9,
               max_iter: int = 100, progress=None) -> tuple[np.ndarray, float, dict]:
    """Fastest mixing edge weights on the graph with edges ``(i[e], j[e])`` on nodes ``0..n-1``;
    see :func:`_solve`. The ``N``-sized linear algebra runs on one BLAS thread (faster there on
    small machines); a large Schur matrix is factored on as many threads as the caller's BLAS
    has (one inside ``dssl check``, whose numbers must not depend on threads)."""
    i, j = np.asarray(i), np.asarray(j)
    if i.ndim != 1 or i.shape != j.shape or i.size == 0 or not (np.issubdtype(i.dtype, np.integer)
                                                                 and np.issubdtype(j.dtype, np.integer)):
        raise ValueError(f"i and j must be equal-length non-empty 1-D integer arrays (the edges), "
                         f"got shapes {i.shape} and {j.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)
    if lo.min() < 0 or hi.max() >= n or np.any(lo == hi):
        raise ValueError(f"edges must join two different nodes in 0..{n - 1}")
    if np.unique(lo * n + hi).size != lo.size:
        raise ValueError("edges must not repeat")
    if not (tol > 0) or not (max_iter >= 1):
        raise ValueError(f"tol must be > 0 and max_iter >= 1, got {tol!r}, {max_iter!r}")
    order = np.lexsort((hi, lo))                   # sorted edges: the gathers stay contiguous
    threads = max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)
    with threadpool_limits(1, user_api="blas"):
        w, s, info = _solve(n, lo[order], hi[order], tol=tol, max_iter=max_iter, progress=progress,
                            threads=threads)
    out = np.empty_like(w)
    out[order] = w
    return out, s, info


def _solve(n: int, i: np.ndarray, j: np.ndarray, *, tol: float, max_iter: int,
           progress, threads: int) -> tuple[np.ndarray, float, dict]:
    """The BDX problem of the module docstring by a primal-dual interior-point method.

    The problem is the LMI ``F(x) = F_0 + sum_k x_k F_k ⪰ 0`` in ``x = (w, s)`` over the cone
    ``S^n_+ × S^n_+ × R^|E|_+ × R^n_+`` (blocks ``X``, ``Y``, ``w``, the loads), with dual
    variables ``(Z1, Z2, λ, ν)``. Each iteration takes the Nesterov–Todd direction with
    Mehrotra's predictor–corrector (as in SDPT3: Todd, Toh, Tütüncü 1998): the Schur matrix
    ``M_kl = sum_blocks tr(F_k W^{-1} F_l W^{-1})`` has the edge block
    ``(B^T W_X^{-1} B)∘(B^T W_X^{-1} B) + (same for Y) + diag(λ/w) + |B|^T diag(ν/load) |B|``,
    formed by gathers in ``O(|E|^2)`` and factored once per iteration. The primal iterate stays
    strictly feasible (``S`` is affine in ``x``); the dual residual shrinks by ``1 - α_d``.

    ``tol`` bounds the certified gap: the primal ``s`` minus :func:`dual_bound` of the dual
    iterate. Returns ``(w, s, info)``; ``info`` has ``dual_bound``, ``gap``, ``iterations``,
    ``status`` (``"optimal"`` when the gap is at most ``tol``, else ``"inaccurate"``, the best
    certified point being returned) and ``dual``, the certificate ``(Z1, Z2, ν)``.
    ``progress(k, s, gap)`` is called per iteration."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    m = i.size
    I = np.eye(n)
    D0 = I - np.full((n, n), 1.0 / n)
    deg = np.bincount(np.concatenate([i, j]), minlength=n).astype(float)
    C = scipy.sparse.csr_matrix((np.ones(2 * m), (np.concatenate([i, j]), np.tile(np.arange(m), 2))),
                                shape=(n, m))
    theta = 2 * n + m + n
    # |B|^T diag(v) |B|: an entry (e, f, k) for each pair of edges e, f at node k
    ends = np.concatenate([i, j])
    by_node = np.tile(np.arange(m), 2)[np.argsort(ends, kind="stable")]
    starts = np.searchsorted(np.sort(ends), np.arange(n + 1))
    pairs = [(np.repeat(inc, inc.size), np.tile(inc, inc.size), np.full(inc.size ** 2, k))
             for k in range(n) for inc in (by_node[starts[k]:starts[k + 1]],)]
    load_e, load_f, load_k = (np.concatenate(p) for p in zip(*pairs))
    c = np.zeros(m + 1)
    c[m] = 1.0

    def primal(w, s):
        L = _laplacian(n, i, j, w)
        return s * I - D0 + L, s * I + D0 - L, 1.0 - C @ w

    def lift(dw, ds):
        dL = _laplacian(n, i, j, dw)
        return ds * I + dL, ds * I - dL, -(C @ dw)

    def adjoint(K1, K2, kl, kn):
        """``<F_k, K>`` summed over the blocks, ``k`` = edges then ``s``."""
        out = np.empty(m + 1)
        out[:m] = _quad_diag(K1, i, j) - _quad_diag(K2, i, j) + kl - C.T @ kn
        out[m] = np.trace(K1) + np.trace(K2)
        return out

    # primal start: small uniform weights, s above the spectral radius of D;
    # dual start: the central point for mu = 1
    w = np.full(m, 0.5 / (deg.max() + 1.0))
    s = float(np.max(np.abs(np.linalg.eigvalsh(D0 - _laplacian(n, i, j, w))))) + 1.0
    X, Y, ld = primal(w, s)
    Z1, Z2 = np.linalg.inv(X), np.linalg.inv(Y)
    Z1, Z2 = (Z1 + Z1.T) / 2, (Z2 + Z2.T) / 2
    lam, nu = 1.0 / w, 1.0 / ld
    best = (w.copy(), s, -np.inf, None)
    status, k = "inaccurate", 0
    for k in range(1, max_iter + 1):
        try:
            bx, by = _NTBlock(X, Z1), _NTBlock(Y, Z2)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            break
        mu = (np.sum(bx.lam ** 2) + np.sum(by.lam ** 2) + w @ lam + ld @ nu) / theta
        W2x, W2y = bx.Winv @ bx.Winv, by.Winv @ by.Winv

        def schur():
            """The Jacobi-scaled Schur matrix ``M`` (unit diagonal) and the scaling."""
            M = np.empty((m + 1, m + 1))
            E = _edge_form(bx.Winv, i, j)
            np.multiply(E, E, out=M[:m, :m])
            E = _edge_form(by.Winv, i, j)
            E *= E
            M[:m, :m] += E
            del E
            np.add.at(M, (load_e, load_f), (nu / ld)[load_k])  # |B|^T diag(nu/load) |B|
            M[np.arange(m), np.arange(m)] += lam / w
            M[:m, m] = M[m, :m] = _quad_diag(W2x, i, j) - _quad_diag(W2y, i, j)
            M[m, m] = np.trace(W2x) + np.trace(W2y)
            sc = 1.0 / np.sqrt(np.diag(M))         # Jacobi scaling: lam/w spans many decades
            for r0 in range(0, m + 1, 256):        # in row blocks: no (m+1)^2 temporary
                M[r0:r0 + 256] *= np.outer(sc[r0:r0 + 256], sc)
            return M, sc

        with threadpool_limits(threads if m >= _PARALLEL_SCHUR else 1, user_api="blas"):
            fac, sc = _regularised_cholesky(schur)
        if fac is None:
            break

        def direction(sig_mu, corr):
            """The NT direction for ``σμ`` and Mehrotra's second-order term ``corr`` (``None``:
            the predictor, whose right-hand side is ``-c``: ``Z + G^{-T}(-Λ)G^{-1} = 0``)."""
            if corr is None:
                Rx, Ry = -np.diag(bx.lam), -np.diag(by.lam)
                kl, kn = np.zeros(m), np.zeros(n)
                rhs = -c
            else:
                Rx, Ry = bx.rhs_matrix(sig_mu, corr[0]), by.rhs_matrix(sig_mu, corr[1])
                kl, kn = (sig_mu - corr[2]) / w, (sig_mu - corr[3]) / ld
                rhs = adjoint(Z1 + bx.Ginv.T @ Rx @ bx.Ginv, Z2 + by.Ginv.T @ Ry @ by.Ginv, kl, kn) - c
            dx = sc * scipy.linalg.cho_solve(fac, rhs * sc, check_finite=False)
            dw, ds = dx[:m], dx[m]
            dX, dY, dld = lift(dw, ds)
            sX, sY = bx.scale_S(dX), by.scale_S(dY)            # scaled primal directions
            zX, zY = Rx - sX, Ry - sY                          # scaled dual directions
            dlam = kl - lam - lam * dw / w
            dnu = kn - nu - nu * dld / ld
            ap = min(_max_step_scaled(bx.lam, sX), _max_step_scaled(by.lam, sY),
                     _max_step_vec(w, dw), _max_step_vec(ld, dld))
            ad = min(_max_step_scaled(bx.lam, zX), _max_step_scaled(by.lam, zY),
                     _max_step_vec(lam, dlam), _max_step_vec(nu, dnu))
            return (dw, ds, dX, dY, dld, dlam, dnu, sX, sY, zX, zY), ap, ad

        aff, ap, ad = direction(0.0, None)                     # predictor
        ap, ad = min(1.0, ap), min(1.0, ad)
        dw, ds, dX, dY, dld, dlam, dnu, sX, sY, zX, zY = aff

        def scaled_dot(lam_b, sB, zB):                         # <Λ + ap sB, Λ + ad zB>
            return (lam_b @ lam_b + ap * lam_b @ np.diag(sB) + ad * lam_b @ np.diag(zB)
                    + ap * ad * np.vdot(sB, zB))

        mu_aff = (scaled_dot(bx.lam, sX, zX) + scaled_dot(by.lam, sY, zY)
                  + (w + ap * dw) @ (lam + ad * dlam) + (ld + ap * dld) @ (nu + ad * dnu)) / theta
        sigma = min(1.0, max(0.0, mu_aff / mu) ** 3)
        corr = (sX @ zX + zX @ sX, sY @ zY + zY @ sY, dw * dlam, dld * dnu)
        d, ap, ad = direction(sigma * mu, corr)                # corrector
        gamma = 0.9 + 0.09 * min(1.0, ap, ad)                 # SDPT3's step-length rule
        ap, ad = min(1.0, gamma * ap), min(1.0, gamma * ad)
        dw, ds, dX, dY, dld, dlam, dnu, sX, sY, zX, zY = d
        dZ1 = bx.Ginv.T @ zX @ bx.Ginv
        dZ2 = by.Ginv.T @ zY @ by.Ginv
        dZ1, dZ2 = (dZ1 + dZ1.T) / 2, (dZ2 + dZ2.T) / 2
        w, s = w + ap * dw, s + ap * ds
        Z1, Z2, lam, nu = Z1 + ad * dZ1, Z2 + ad * dZ2, lam + ad * dlam, nu + ad * dnu
        X, Y, ld = primal(w, s)
        bound, nu_fixed = dual_bound(n, i, j, Z1, Z2, nu)
        if s < best[1]:
            best = (w.copy(), s, best[2], best[3])
        if bound > best[2]:
            scale = np.trace(Z1) + np.trace(Z2)
            best = (best[0], best[1], bound, ((Z1 + Z1.T) / (2 * scale), (Z2 + Z2.T) / (2 * scale), nu_fixed))
        if progress is not None:
            progress(k, s, s - bound)
        if best[1] - best[2] <= tol:
            status = "optimal"
            break
    w, s, bound, dual = best
    return w, float(s), {"dual_bound": float(bound), "gap": float(s - bound), "iterations": k,
                         "status": status, "dual": dual}
