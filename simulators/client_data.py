"""Finite-sample client data and the empirical alignment matrices the frameworks train on.

Each client ``i`` holds ``n`` i.i.d. samples; the matrices below are what a client's linear
model sees (Eqs. 2-4 with the expectation over data replaced by the client's sample mean),
stacked ``(N, d, d)`` and computed by BLAS products:

* ``mim-eq17``: the paper's Eq. 17, ``2p(1-p) diag(mean_j x_j^2)``;
* ``mim-surrogate``: Eq. 4 with the mask expectation exact, ``p(1-p)(S_hat - Diag S_hat)``;
* ``cl-similar``: ``1/2 mean_j (b_j a_j^T + a_j b_j^T)`` with sampled views ``a = x + xi``,
  ``b = x + xi'`` (noise variance ``noise``);
* ``cl-dissimilar``: the same with ``b = H x``;
* ``second-moment``: ``S_hat`` (the input of the exact MIM reconstruction optimum).

:func:`sampled_second_moments` draws the client second moments ``S_hat_i`` of ``n`` samples
*exactly in distribution* without materialising the samples (multinomial counts for the
discrete part, Wishart draws by the Bartlett decomposition for the Gaussian part), so
``|D_i| = d^beta`` is affordable for ``beta`` up to 3 and beyond.
"""

from __future__ import annotations

import numpy as np

from theory.paper_model import PaperModel
from theory.validation import as_array, as_float, as_int

EMPIRICAL_TARGETS = ("mim-eq17", "mim-surrogate", "cl-similar", "cl-dissimilar", "second-moment")


def sample_clients(model: PaperModel, n: int, rng: np.random.Generator | int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples for every client: ``x`` ``(N, n, d)``, labels ``(N, n)``."""
    return model.sample_all(as_int("n", n, minimum=1), rng)


def empirical_target(x, kind: str, *, p: float | None = None, H=None, noise: float = 1.0,
                     rng: np.random.Generator | int | None = None) -> np.ndarray:
    """The empirical matrix of ``kind`` (module docstring) for client samples ``x`` ``(N, n, d)``."""
    x = as_array("x", x, ndim=3)
    if kind not in EMPIRICAL_TARGETS:
        raise ValueError(f"kind must be one of {EMPIRICAL_TARGETS}, got {kind!r}")
    n = x.shape[1]
    if kind in ("mim-eq17", "mim-surrogate"):
        if p is None:
            raise ValueError(f"kind {kind!r} needs the mask ratio p")
        p = as_float("p", p, open_unit_interval=True)
    if kind == "mim-eq17":
        diag = 2 * p * (1 - p) * np.mean(x**2, axis=1)              # (N, d)
        out = np.zeros(x.shape[:1] + (x.shape[2], x.shape[2]))
        idx = np.arange(x.shape[2])
        out[:, idx, idx] = diag
        return out
    if kind in ("mim-surrogate", "second-moment"):
        S = np.stack([np.dot(xc.T, xc) for xc in x]) / n          # BLAS syrk: exactly symmetric
        if kind == "second-moment":
            return S
        idx = np.arange(x.shape[2])
        S[:, idx, idx] = 0.0
        return p * (1 - p) * S
    rng = np.random.default_rng(rng)
    sd = np.sqrt(as_float("noise", noise, positive=True))
    a = x + sd * rng.standard_normal(x.shape)
    if kind == "cl-similar":
        b = x + sd * rng.standard_normal(x.shape)
    else:
        if H is None:
            raise ValueError("kind 'cl-dissimilar' needs H (d, d)")
        H = as_array("H", H, shape=(x.shape[2], x.shape[2]))
        b = x @ H.T
    ba = np.matmul(np.swapaxes(b, 1, 2), a) / n
    return (ba + np.swapaxes(ba, 1, 2)) / 2


MAX_SIGNAL_GROUPS = 1 << 14


def _signal_groups(model: PaperModel, i: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct noiseless signals ``v_g`` (restricted to the first ``2N`` coordinates) of
    client ``i`` and their probabilities: each main class with each ``q`` pattern, and the
    rare class. Shapes ``(G, 2N)`` and ``(G,)``."""
    n, m, r = model.n_clients, 2 * model.n_clients, model.rare_fraction
    others = [k for k in range(n) if k != i]
    patterns = ((np.arange(1 << len(others))[:, None] >> np.arange(len(others))) & 1)  # (P, N-1)
    q = model.q_values[patterns]
    pq = np.prod(model.q_probs[patterns], axis=1)
    vs, ps = [], []
    for sign in (1.0, -1.0):
        v = np.zeros((len(q), m))
        v[:, others] = -model.tau * q
        v[:, i] = sign
        vs.append(v)
        ps.append((1 - r) / 2 * pq)
    rare = np.zeros((1, m))
    rare[0, model.rare_classes[i]] = 1.0
    return np.concatenate(vs + [rare]), np.concatenate(ps + [[r]])


def bartlett_wishart(df: int, d: int, rng: np.random.Generator) -> np.ndarray:
    r"""``W ~ W_d(df, I)`` (``df >= d``) by the Bartlett decomposition ``W = A A^T``: ``A`` lower
    triangular, ``A_ii = chi_{df - i}`` (``i = 0 .. d-1``), ``A_ij ~ N(0, 1)`` below the diagonal.

    The same draws from ``rng``, in the same order, and the same bits as
    ``scipy.stats.wishart(df, np.eye(d)).rvs(random_state=rng)`` (a test checks both), without
    the Cholesky factor of the identity and the product by it: a third of the time at
    ``d ~ 900``."""
    if df < d:
        raise ValueError(f"df must be at least d = {d} for the Bartlett decomposition, got {df}")
    below = rng.normal(size=d * (d - 1) // 2)
    diag = rng.chisquare(df - np.arange(d)) ** 0.5
    A = np.zeros((d, d))
    A[np.tril_indices(d, k=-1)] = below
    A[np.diag_indices(d)] = diag
    return np.dot(A, A.T)


def _signal_block(model: PaperModel, n: int, rng: np.random.Generator, i: int) -> np.ndarray:
    """``C = sum_j x_A x_A^T`` over ``n`` samples of client ``i`` on the first ``2N``
    coordinates, exactly in law (see :func:`sampled_second_moments`)."""
    N, mu = model.n_clients, model.mu
    m = 2 * N
    if (1 << (N - 1)) * 2 + 1 > MAX_SIGNAL_GROUPS:
        raise ValueError(f"n_clients = {N} gives 2^{N} + 1 signal groups; at most "
                         f"{MAX_SIGNAL_GROUPS} are supported")
    v, pg = _signal_groups(model, i)
    if n < m + len(pg):
        raise ValueError(f"n = {n} samples is too few for the exact route: need n >= "
                         f"2N + {len(pg)} = {m + len(pg)}")
    counts = rng.multinomial(n, pg / pg.sum())
    nz = counts > 0
    u = np.sqrt(counts[nz])[:, None] * v[nz] + mu * rng.standard_normal((int(nz.sum()), m))
    return u.T @ u + mu**2 * bartlett_wishart(n - int(nz.sum()), m, rng)


def sampled_second_moments(model: PaperModel, n: int,
                           rng: np.random.Generator | int | None = None, *,
                           clients=None) -> np.ndarray:
    r"""Client sample second moments ``S_hat_i = (1/n) sum_j x_ij x_ij^T`` ``(N, d, d)`` of ``n``
    i.i.d. samples per client, drawn exactly in distribution without drawing the samples.

    Write ``x = v + mu xi`` with the signal ``v`` in the first ``m = 2N`` coordinates (block
    ``A``) and only noise in the other ``d - m`` (block ``B``). Per client:

    .. math::
        n_g \sim \mathrm{Mult}(n, p_g), \quad
        C = \sum_g (\sqrt{n_g} v_g + \mu z_g)(\sqrt{n_g} v_g + \mu z_g)^T + \mu^2 W_A,
        \quad W_A \sim \mathcal{W}_m(n - G_+, I),

    (the sample mean and scatter of Gaussian noise are independent within each group ``g``;
    ``G_+`` groups are non-empty) is ``sum_j x_A x_A^T``. With ``C = L L^T`` and ``Z`` an
    ``m x (d - m)`` standard normal matrix, ``sum_j x_A xi_B^T = L Z`` and
    ``sum_j xi_B xi_B^T = Z^T Z + W_B``, ``W_B ~ W_{d-m}(n - m, I)`` (rotate the samples by the
    QR factor of ``X_A``). Wishart draws are :func:`bartlett_wishart` (``scipy.stats.wishart``'s draws).

    ``n`` may be far larger than memory allows samples (e.g. ``d^3``); it must be at least
    ``m + G`` so the Wishart degrees of freedom are at least the dimension. The law is checked
    against :func:`sample_clients` in the tests. ``clients`` (default: all, in order) selects
    the clients drawn, ``(len(clients), d, d)``.
    """
    n = as_int("n", n, minimum=1)
    rng = np.random.default_rng(rng)
    d, N, mu = model.d, model.n_clients, model.mu
    m = 2 * N
    if clients is None:
        clients = range(N)
    clients = [as_int("clients", i, minimum=0) for i in clients]
    if any(i >= N for i in clients):
        raise ValueError(f"clients must lie in 0..{N - 1}, got {clients}")
    out = np.empty((len(clients), d, d))
    for row, i in enumerate(clients):
        C = _signal_block(model, n, rng, i)
        out[row, :m, :m] = C
        if d > m:
            L = np.linalg.cholesky(C)
            Z = rng.standard_normal((m, d - m))
            WB = bartlett_wishart(n - m, d - m, rng)
            out[row, :m, m:] = mu * (L @ Z)
            out[row, m:, :m] = out[row, :m, m:].T
            out[row, m:, m:] = mu**2 * (Z.T @ Z + WB)
    return out / n


def wishart_eigenvalues(p: int, df: int, rng: np.random.Generator | int | None = None, *,
                        shift: float = 0.0) -> np.ndarray:
    r"""Eigenvalues of ``W ~ W_p(df, I)`` minus ``shift``, ascending, exactly in law: those of
    ``B B^T`` for the bidiagonal ``B`` with diagonal ``chi_{df}, chi_{df-1}, .., chi_{df-p+1}``
    and subdiagonal ``chi_{p-1}, .., chi_1`` (Dumitriu & Edelman 2002, beta = 1), from the
    tridiagonal eigensolver in ``O(p^2)``. Subtracting ``shift`` (e.g. ``df``) before the solve
    keeps the deviations accurate when ``df`` is huge (``d^3``). ``df >= p``."""
    from scipy.linalg import eigvalsh_tridiagonal

    p = as_int("p", p, minimum=1)
    df = as_int("df", df, minimum=p)
    rng = np.random.default_rng(rng)
    a2 = rng.chisquare(df - np.arange(p, dtype=np.float64))
    b2 = rng.chisquare(np.arange(p - 1, 0, -1, dtype=np.float64)) if p > 1 else np.zeros(0)
    diag = a2 - float(shift)
    diag[1:] += b2
    if p == 1:
        return diag
    return eigvalsh_tridiagonal(diag, np.sqrt(a2[:-1] * b2))


class RotatedSecondMoment:
    r"""One client's ``S_hat`` (as :func:`sampled_second_moments` draws it), or the FL average
    of all clients' (``clients="fl"``), in a frame rotated within the noise coordinates
    ``m = 2N .. d-1``, exactly in law:

    .. math::
        \hat S = \begin{pmatrix} A & B \\ B^T & Y^T Y + \mathrm{diag}(\nu) \end{pmatrix},

    ``A = C/n`` and ``B = L Y / sqrt(n)`` (``C = L L^T`` the signal block, ``Y = mu Z / sqrt(n)``
    with ``Z`` standard normal), averaged over the clients for FL, and ``nu = mu^2 lambda /
    (k n)`` with ``lambda`` the spectrum of ``W(k (n - m), I)``: the sum of the ``k`` clients'
    noise Wisharts (independent Wisharts with one scale add up). Rotating by the Wishart's
    eigenvectors, which are independent of ``Z``, leaves ``Z`` standard normal. Any statistic
    invariant under rotations of the noise coordinates (operator norms, the representability
    of the first ``m`` coordinates under CL, whose targets commute with those rotations) has
    the law of the dense draw, at ``O(d k m)`` memory: ``d = 10^4`` with ``n = d^3`` costs
    about a second (:func:`wishart_eigenvalues`).
    """

    def __init__(self, model: PaperModel, n: int, rng: np.random.Generator | int | None = None, *,
                 clients=0) -> None:
        n = as_int("n", n, minimum=1)
        rng = np.random.default_rng(rng)
        d, N, mu = model.d, model.n_clients, model.mu
        m = 2 * N
        if d <= m:
            raise ValueError(f"d = {d} leaves no noise coordinates (need d > 2N = {m})")
        if isinstance(clients, str):
            if clients != "fl":
                raise ValueError(f"clients must be 'fl' or a client index, got {clients!r}")
            idx = list(range(N))
        else:
            idx = [as_int("clients", clients, minimum=0, maximum=N - 1)]
        k = len(idx)
        self.d, self.m, self.mu = d, m, mu
        self.A, self.cross, Ys = np.zeros((m, m)), np.zeros((m, d - m)), []
        for i in idx:
            C = _signal_block(model, n, rng, i)
            Y = mu * rng.standard_normal((m, d - m)) / np.sqrt(n)
            self.A += C / (n * k)
            self.cross += np.linalg.cholesky(C) @ Y / (np.sqrt(n) * k)
            Ys.append(Y / np.sqrt(k))
        self.Y = np.concatenate(Ys)                                   # (k m, d - m)
        df = k * (n - m)
        # nu - mu^2 from the shifted spectrum (no cancellation at n = d^3)
        self.noise_deviation = mu**2 * (wishart_eigenvalues(d - m, df, rng, shift=df) - k * m) / (k * n)

    def _apply(self, A: np.ndarray, B: np.ndarray, shift: float):
        """The matvec of ``[[A, B], [B^T, Y^T Y + diag(nu) - shift I]]``; dense matrix below
        d = 200 (exact and cheaper there), else a :class:`scipy.sparse.linalg.LinearOperator`."""
        from scipy.sparse.linalg import LinearOperator

        m, d = self.m, self.d
        diag = self.noise_deviation + self.mu**2 - shift

        def mv(x):
            x = np.asarray(x, dtype=np.float64).reshape(-1)
            xa, xb = x[:m], x[m:]
            return np.concatenate([A @ xa + B @ xb, B.T @ xa + self.Y.T @ (self.Y @ xb) + diag * xb])

        if d <= 200:
            M = np.column_stack([mv(e) for e in np.eye(d)])
            return (M + M.T) / 2
        return LinearOperator((d, d), matvec=mv, dtype=np.float64)

    def deviation_norm(self, S_A: np.ndarray) -> float:
        """``||S_hat - S||_2`` for a population ``S`` equal to ``S_A`` on the first ``2N``
        coordinates and ``mu^2 I`` on the rest (the paper model's moments), by Lanczos
        (:func:`scipy.sparse.linalg.eigsh`) on the structured operator."""
        from scipy.sparse.linalg import eigsh

        S_A = as_array("S_A", S_A, shape=(self.m, self.m))
        op = self._apply(self.A - S_A, self.cross, self.mu**2)
        if isinstance(op, np.ndarray):
            return float(np.max(np.abs(np.linalg.eigvalsh(op))))
        vals = eigsh(op, k=2, which="LM", v0=np.ones(self.d), tol=1e-10, return_eigenvectors=False)
        return float(np.max(np.abs(vals)))

    def representability(self, c: int, H_A=None) -> np.ndarray:
        """``r_k`` on the first ``c`` coordinates of the top-``c`` eigenspace (positive
        eigenvalues only, as the optimum keeps) of the CL target ``S_hat`` (similar views) or
        ``(H S_hat + S_hat H^T)/2`` with ``H = diag(H_A)`` on the first ``2N`` coordinates and the
        identity on the rest (dissimilar views; views averaged by the loss); Lanczos (``eigsh``,
        ``tol=0``) above d = 200."""
        from scipy.sparse.linalg import eigsh

        c = as_int("c", c, minimum=1, maximum=self.d - 1)
        h = np.ones(self.m) if H_A is None else as_array("H_A", H_A, shape=(self.m,))
        op = self._apply((h[:, None] * self.A + self.A * h[None, :]) / 2, ((h + 1.0) / 2)[:, None] * self.cross, 0.0)
        if isinstance(op, np.ndarray):
            vals, vecs = np.linalg.eigh(op)
            vals, vecs = vals[::-1][:c], vecs[:, ::-1][:, :c]
        else:
            vals, vecs = eigsh(op, k=c, which="LA", v0=np.ones(self.d), tol=0)
        keep = vals > 1e-12 * max(1.0, float(np.max(np.abs(vals))))
        return np.sum(vecs[:c, keep] ** 2, axis=1)


def sampled_diagonal(model: PaperModel, n: int, rng: np.random.Generator | int | None = None, *,
                     client: int = 0) -> np.ndarray:
    """The diagonal of one client's ``S_hat`` exactly in law, ``(d,)``: the first ``2N``
    entries from the signal block (as :func:`sampled_second_moments`), the rest independent
    ``mu^2 chi^2_n / n`` (the noise columns of the sample matrix are independent)."""
    n = as_int("n", n, minimum=1)
    client = as_int("client", client, minimum=0, maximum=model.n_clients - 1)
    rng = np.random.default_rng(rng)
    m = 2 * model.n_clients
    C = _signal_block(model, n, rng, client)
    return np.concatenate([np.diag(C) / n, model.mu**2 * rng.chisquare(n, max(model.d - m, 0)) / n])


def targets_from_second_moments(S, kind: str, *, p: float | None = None) -> np.ndarray:
    """Empirical targets that are functions of ``S_hat`` alone, ``(N, d, d)``: ``mim-eq17``
    (``2p(1-p) Diag S_hat``), ``mim-surrogate`` (``p(1-p)(S_hat - Diag S_hat)``),
    ``second-moment`` and ``cl-exact-views`` (``S_hat``: CL with similar views and the view
    noise integrated out, whose population target is the same ``S``)."""
    S = as_array("S", S, ndim=3)
    if kind in ("second-moment", "cl-exact-views"):
        return S
    p = as_float("p", p, open_unit_interval=True)
    idx = np.arange(S.shape[1])
    out = np.zeros_like(S) if kind == "mim-eq17" else S.copy()
    if kind == "mim-eq17":
        out[:, idx, idx] = 2 * p * (1 - p) * S[:, idx, idx]
        return out
    if kind == "mim-surrogate":
        out[:, idx, idx] = 0.0
        return p * (1 - p) * out
    raise ValueError(f"kind must be mim-eq17, mim-surrogate, second-moment or cl-exact-views, got {kind!r}")


def minibatch_sampler(model: PaperModel, batch_size: int, kind: str, *, p: float | None = None,
                      H=None, noise: float = 1.0):
    """A callable ``rng -> (N, d, d)`` drawing a fresh minibatch per client and returning its
    empirical target: the stochastic gradients of D-PSGD
    (:func:`simulators.dynamics.dpsgd_family`, argument ``minibatch``)."""
    b = as_int("batch_size", batch_size, minimum=1)
    if kind not in EMPIRICAL_TARGETS:
        raise ValueError(f"kind must be one of {EMPIRICAL_TARGETS}, got {kind!r}")

    def draw(rng: np.random.Generator) -> np.ndarray:
        x, _ = model.sample_all(b, rng)
        return empirical_target(x, kind, p=p, H=H, noise=noise, rng=rng)

    return draw


VIEW_MODELS = ("integrated", "sampled")


def _wishart(df: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``W ~ W_d(df, I)`` for any ``df >= 0`` (``G^T G`` below ``d`` degrees of freedom, Bartlett above)."""
    if df == 0:
        return np.zeros((d, d))
    if df < d:
        G = rng.standard_normal((df, d))
        return G.T @ G
    return bartlett_wishart(df, d, rng)


def sampled_view_targets(model: PaperModel, n: int, rng: np.random.Generator | int | None = None, *,
                         pairs: int = 1, H_diag=None, noise: float = 1.0, clients=None,
                         return_integrated: bool = False):
    r"""CL targets with sampled views, ``(N, d, d)``: ``X_hat = (1/n) sum_j (1/k) sum_t
    (b_jt a_jt^T + a_jt b_jt^T)/2`` with ``k = pairs`` pairs of views per sample, drawn exactly in
    law without the samples (``n >= d``, which may be ``d^3``). With ``return_integrated`` also the
    integrated-views target of the *same* samples (``S_hat``, or ``(H S_hat + S_hat H^T)/2``): the
    difference is the view noise's own effect (common random numbers).

    Write the samples ``X = Q R`` (``R^T R = n S_hat``, drawn by :func:`sampled_second_moments`
    with ``R^T = L`` its Cholesky factor). Given X, a Gaussian ``n x d`` matrix ``E`` satisfies
    ``X^T E = L Z`` and ``E^T E = Z^T Z + W_{n-d}`` with ``Z`` standard normal ``d x d`` and
    ``W_m ~ W_d(m, I)`` independent.

    * Similar views ``a = x + xi``, ``b = x + xi'`` (``xi, xi' ~ N(0, noise I)``): with
      ``u = (a + b)/2`` and ``w = (a - b)/2`` independent, ``sym(b a^T) = u u^T - w w^T``, and
      averaging the ``k`` pairs of a sample,
      ``X_hat = S_hat + s (L Z + Z^T L^T) / (sqrt(2k) n) + s^2 (Z^T Z + W_{n-d} + W_{n(k-1)} - W'_{nk}) / (2kn)``
      (``s^2 = noise``; the last Wishart, of the ``w``, independent of the rest).
    * Dissimilar views ``a = x + xi``, ``b = H x`` with ``H = diag(H_diag)`` on the first
      ``len(H_diag)`` coordinates and the identity elsewhere:
      ``X_hat = (H S_hat + S_hat H^T)/2 + s (H L Z + Z^T L^T H) / (2 sqrt(k) n)``.

    ``pairs -> infinity`` gives the integrated views. The law is checked against
    :func:`empirical_target` on drawn samples in the tests."""
    n = as_int("n", n, minimum=1)
    k = as_int("pairs", pairs, minimum=1)
    noise = as_float("noise", noise, positive=True)
    rng = np.random.default_rng(rng)
    d = model.d
    if n < d:
        raise ValueError(f"n = {n} must be at least d = {d} for the exact route (the Wishart draws)")
    h = np.ones(d)
    if H_diag is not None:
        hd = as_array("H_diag", H_diag, ndim=1)
        if hd.size > d:
            raise ValueError(f"H_diag has {hd.size} entries, more than d = {d}")
        h[:hd.size] = hd
    S = sampled_second_moments(model, n, rng, clients=clients)
    out = np.empty_like(S)
    integrated = np.empty_like(S) if return_integrated else None
    s = np.sqrt(noise)
    for row in range(S.shape[0]):
        Z = rng.standard_normal((d, d))
        LZ = np.linalg.cholesky(n * S[row]) @ Z
        if H_diag is None:
            quad = Z.T @ Z + _wishart(n - d, d, rng) + _wishart(n * (k - 1), d, rng) - _wishart(n * k, d, rng)
            out[row] = S[row] + s * (LZ + LZ.T) / (np.sqrt(2 * k) * n) + noise * quad / (2 * k * n)
            if return_integrated:
                integrated[row] = S[row]
        else:
            base = (h[:, None] * S[row] + S[row] * h[None, :]) / 2
            C = s * h[:, None] * LZ / (np.sqrt(k) * n)
            out[row] = base + (C + C.T) / 2
            if return_integrated:
                integrated[row] = base
    return (out, integrated) if return_integrated else out
