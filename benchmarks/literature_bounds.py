"""Literature bounds and hard false variants of them, written as a user would write claims.

``dssl check --claims benchmarks/literature_bounds.py --only 'lit.*'`` checks them all. IDs
``lit.true.*`` are true statements (published bounds); ``lit.false.*`` are variants that are
violated only in a small region or by a few percent (a wrong constant, lambda_2 for the SLEM, a
missing factor, strict for non-strict, a dropped assumption, an exponent off by 0.05). The
search must refute every false one and keep every true one: ``benchmarks/bench_search.py``
measures how many each search kills (random draws alone against the guided search), and
``tests/test_literature_bounds.py`` checks it.
"""

import itertools

import numpy as np

from proofs_check import REGISTRY, bound
from proofs_check.engine import strategies as S
from proofs_check.engine.rates import rate_evidence
from theory.topology import slem


# ------------------------------------------------------------------ helpers (the quantities)
def eig_shift(X, E):
    """max_k |lambda_k(X + E) - lambda_k(X)| (eigenvalues sorted)."""
    return float(np.max(np.abs(np.linalg.eigvalsh(X + E) - np.linalg.eigvalsh(X))))


def sin_theta(X, E, c=1):
    """||sin Theta||_F between the top-c eigenspaces of X and X + E."""
    _, U = np.linalg.eigh(X)
    _, V = np.linalg.eigh(X + E)
    return float(np.linalg.norm(U[:, :-c].T @ V[:, -c:]))


def yws_rhs(const, c=1):
    """const * min(sqrt(c) ||E||_2, ||E||_F) / (lambda_c - lambda_{c+1}) (Yu, Wang, Samworth 2015)."""
    def rhs(X, E):
        lam = np.sort(np.linalg.eigvalsh(X))[::-1]
        gap = lam[c - 1] - lam[c]
        size = min(np.sqrt(c) * np.linalg.norm(E, 2), np.linalg.norm(E, "fro"))
        return np.inf if gap <= 0 else const * size / gap
    return rhs


def consensus_error(t):
    """||W^t x - mean(x) 1|| for a doubly stochastic W."""
    return lambda W, x: float(np.linalg.norm(np.linalg.matrix_power(W, t) @ x - x.mean()))


def lambda2(W):
    return float(np.sort(np.linalg.eigvalsh(W))[-2])


def normalized_lambda2(G):
    """lambda_2 of the normalized Laplacian I - D^{-1/2} A D^{-1/2} of a weighted graph."""
    A = np.zeros((G.number_of_nodes(),) * 2)
    for u, v, w in G.edges(data="weight", default=1.0):
        A[u, v] = A[v, u] = w
    s = 1 / np.sqrt(A.sum(axis=1))
    return float(np.sort(np.linalg.eigvalsh(np.eye(len(A)) - s[:, None] * A * s[None, :]))[1])


def cheeger(G):
    """min over S with vol(S) <= vol(V)/2 of w(S, S^c) / vol(S) (all subsets, n <= 12)."""
    n = G.number_of_nodes()
    A = np.zeros((n, n))
    for u, v, w in G.edges(data="weight", default=1.0):
        A[u, v] = A[v, u] = w
    M = np.array(list(itertools.product((0.0, 1.0), repeat=n)))[1:-1]
    vol = M @ A.sum(axis=1)
    cut = np.einsum("si,ij,sj->s", M, A, 1 - M)
    ok = vol <= A.sum() / 2 + 1e-12
    return float(np.min(cut[ok] / vol[ok]))


def covariance_errors(n_grid, reps, seed, d=4):
    """RMS over ``reps`` draws of ||S_hat - S||_F, S_hat = W / n with W ~ Wishart(n, I_d)."""
    from scipy.stats import wishart

    rng = np.random.default_rng(seed)
    return np.array([np.sqrt(np.mean([np.linalg.norm(w / n - np.eye(d)) ** 2 for w in
                                      wishart(df=int(n), scale=np.eye(d)).rvs(reps, random_state=rng)]))
                     for n in n_grid])


SPECTRA = S.perturbed_spectra(3)
PSD_PERTURBED = S.joint(S.symmetric_matrices(3), S.symmetric_matrices(3, psd=True))
MATRICES = S.joint(S.real_matrices(3, 3), S.real_matrices(3, 3))
DS_X = S.doubly_stochastic_matrices(2, 7, with_vector=True)
DS_CONNECTED = S.doubly_stochastic_matrices(2, 7, kinds=("graph",))
PATHS = {f"path-{n}": S.doubly_stochastic_matrices(n, n, kinds=("graph",), families=("path",))
         for n in (4, 5, 6)}
WEIGHTED = S.weighted_graphs(2, 7, families=("path", "star", "tree", "barbell", "lollipop",
                                             "complete", "exponential", "paper-general"))
RULES = S.mixing_matrices(min_nodes=3, max_nodes=10)


# ------------------------------------------------------------------ perturbation of spectra
bound("lit.true.davis-kahan", source="Yu, Wang, Samworth (2015), Thm 2, c = 1", lhs=sin_theta,
      rhs=yws_rhs(2.0), over=SPECTRA,
      statement="||sin Theta||_F <= 2 min(sqrt(c)||E||_2, ||E||_F) / (lambda_c - lambda_{c+1})")
bound("lit.false.davis-kahan-sqrt2", source="variant: constant sqrt 2 for 2", lhs=sin_theta,
      rhs=yws_rhs(np.sqrt(2)), over=SPECTRA,
      statement="||sin Theta||_F <= sqrt(2) min(sqrt(c)||E||_2, ||E||_F) / (lambda_c - lambda_{c+1})")
bound("lit.false.davis-kahan-1", source="variant: constant 1 (the classical sin-theta form with "
      "the unperturbed gap)", lhs=sin_theta, rhs=yws_rhs(1.0), over=SPECTRA,
      statement="||sin Theta||_F <= min(sqrt(c)||E||_2, ||E||_F) / (lambda_c - lambda_{c+1})")
bound("lit.true.weyl", source="Weyl (1912)", lhs=eig_shift, rhs=lambda X, E: np.linalg.norm(E, 2),
      over=SPECTRA, statement="max_k |lambda_k(X + E) - lambda_k(X)| <= ||E||_2")
bound("lit.false.weyl-95", source="variant: constant 0.95", lhs=eig_shift,
      rhs=lambda X, E: 0.95 * np.linalg.norm(E, 2), over=SPECTRA,
      statement="max_k |lambda_k(X + E) - lambda_k(X)| <= 0.95 ||E||_2")
bound("lit.false.weyl-strict", source="variant: strict for non-strict", lhs=eig_shift,
      rhs=lambda X, E: np.linalg.norm(E, 2) if np.any(E) else 1.0, relation="<", over=SPECTRA,
      statement="max_k |lambda_k(X + E) - lambda_k(X)| < ||E||_2 for E != 0")
bound("lit.true.hoffman-wielandt", source="Hoffman, Wielandt (1953)",
      lhs=lambda X, E: float(np.sum((np.linalg.eigvalsh(X + E) - np.linalg.eigvalsh(X)) ** 2)),
      rhs=lambda X, E: np.linalg.norm(E, "fro") ** 2, over=SPECTRA,
      statement="sum_k (lambda_k(X + E) - lambda_k(X))^2 <= ||E||_F^2")
bound("lit.false.hoffman-wielandt-spectral", source="variant: ||E||_2 for ||E||_F",
      lhs=lambda X, E: float(np.sum((np.linalg.eigvalsh(X + E) - np.linalg.eigvalsh(X)) ** 2)),
      rhs=lambda X, E: 1.5 * np.linalg.norm(E, 2) ** 2, over=SPECTRA,
      statement="sum_k (lambda_k(X + E) - lambda_k(X))^2 <= 1.5 ||E||_2^2")
bound("lit.true.psd-monotone", source="Weyl monotonicity (Horn, Johnson, Cor. 4.3.12)",
      lhs=lambda X, E: float(np.min(np.linalg.eigvalsh(X + E) - np.linalg.eigvalsh(X))),
      rhs=lambda X, E: 0.0, relation=">=", over=PSD_PERTURBED,
      statement="lambda_k(X + E) >= lambda_k(X) for every k when E is PSD")
bound("lit.false.trace-monotone", source="variant: PSD assumption dropped (tr E >= 0 only)",
      lhs=lambda X, E: float(np.min(np.linalg.eigvalsh(X + E) - np.linalg.eigvalsh(X)))
      if np.trace(E) >= 0 else 0.0, rhs=lambda X, E: 0.0, relation=">=", over=SPECTRA,
      statement="lambda_k(X + E) >= lambda_k(X) for every k when tr E >= 0")

# ------------------------------------------------------------------ matrix norms
bound("lit.true.frobenius-product", source="||AB||_F <= ||A||_2 ||B||_F (standard)",
      lhs=lambda A, B: np.linalg.norm(A @ B), rhs=lambda A, B: np.linalg.norm(A, 2) * np.linalg.norm(B),
      over=MATRICES, statement="||AB||_F <= ||A||_2 ||B||_F")
bound("lit.false.frobenius-product-97", source="variant: constant 0.97",
      lhs=lambda A, B: np.linalg.norm(A @ B),
      rhs=lambda A, B: 0.97 * np.linalg.norm(A, 2) * np.linalg.norm(B), over=MATRICES,
      statement="||AB||_F <= 0.97 ||A||_2 ||B||_F")

# ------------------------------------------------------------------ consensus and mixing
bound("lit.true.consensus", source="Xiao, Boyd (2004): contraction by the SLEM",
      lhs=consensus_error(3), rhs=lambda W, x: slem(W) ** 3 * np.linalg.norm(x - x.mean()),
      over=DS_X, statement="||W^t x - xbar 1|| <= SLEM(W)^t ||x - xbar 1|| (t = 3, W symmetric DS)")
bound("lit.false.consensus-lambda2", source="variant: lambda_2 for the SLEM",
      lhs=consensus_error(3), rhs=lambda W, x: abs(lambda2(W)) ** 3 * np.linalg.norm(x - x.mean()),
      over=DS_X, statement="||W^t x - xbar 1|| <= |lambda_2(W)|^t ||x - xbar 1|| (t = 3)")
bound("lit.false.consensus-off-by-one", source="variant: exponent t + 1",
      lhs=consensus_error(3), rhs=lambda W, x: slem(W) ** 4 * np.linalg.norm(x - x.mean()),
      over=DS_X, statement="||W^t x - xbar 1|| <= SLEM(W)^{t+1} ||x - xbar 1|| (t = 3)")
bound("lit.true.rule-contraction", source="Boyd, Diaconis, Xiao (2004): ||W^t - J||_2 = SLEM^t",
      lhs=lambda G, W: np.linalg.norm(np.linalg.matrix_power(W, 2) - 1 / len(W), 2),
      rhs=lambda G, W: slem(W) ** 2, over=RULES,
      statement="||W^2 - 11^T/N||_2 <= SLEM(W)^2 for the Metropolis and max-degree rules")
bound("lit.false.rule-contraction-uniform", source="variant: symmetry dropped (the paper's "
      "uniform rule)", lhs=lambda G, W: np.linalg.norm(np.linalg.matrix_power(W, 2)
                                                        - np.ones((len(W), 1)) @ _pi(W)[None], 2),
      rhs=lambda G, W: slem(W) ** 2,
      over=S.mixing_matrices(("uniform",), min_nodes=3, max_nodes=10, symmetric=False),
      statement="||W^2 - 1 pi^T||_2 <= SLEM(W)^2 for the uniform rule W_ij = 1/|A_i|")
bound("lit.true.slem-at-most-1", source="Perron-Frobenius", lhs=slem, rhs=lambda W: 1.0,
      over=DS_CONNECTED, statement="SLEM(W) <= 1 for a symmetric doubly stochastic W")
bound("lit.false.slem-below-1", source="variant: strict for non-strict (aperiodicity dropped)",
      lhs=slem, rhs=lambda W: 1.0, relation="<", over=DS_CONNECTED,
      statement="SLEM(W) < 1 for a symmetric doubly stochastic W supported on a connected graph")
bound("lit.true.fmmc-path", source="Boyd, Diaconis, Xiao (2004), Sec. 5: the fastest chain on "
      "a path has SLEM cos(pi/n)", lhs=slem, rhs=lambda W: np.cos(np.pi / len(W)), relation=">=",
      over=PATHS, statement="SLEM(W) >= cos(pi/n) for every symmetric DS W on the path P_n")
bound("lit.false.fmmc-path", source="variant: cos(pi/(n+1)) for cos(pi/n)", lhs=slem,
      rhs=lambda W: np.cos(np.pi / (len(W) + 1)), relation=">=", over=PATHS,
      statement="SLEM(W) >= cos(pi/(n+1)) for every symmetric DS W on the path P_n")

# ------------------------------------------------------------------ Cheeger
bound("lit.true.cheeger-upper", source="Chung (1997), Thm 2.2", lhs=cheeger,
      rhs=lambda G: np.sqrt(2 * normalized_lambda2(G)), over=WEIGHTED,
      statement="h(G) <= sqrt(2 lambda_2) for the normalized Laplacian of a weighted graph")
bound("lit.false.cheeger-upper", source="variant: sqrt(lambda_2) for sqrt(2 lambda_2)",
      lhs=cheeger, rhs=lambda G: np.sqrt(normalized_lambda2(G)), over=WEIGHTED,
      statement="h(G) <= sqrt(lambda_2) for the normalized Laplacian of a weighted graph")
bound("lit.true.cheeger-lower", source="Chung (1997), Lemma 2.1",
      lhs=lambda G: normalized_lambda2(G) / 2, rhs=cheeger, over=WEIGHTED,
      statement="lambda_2 / 2 <= h(G) for the normalized Laplacian of a weighted graph")
bound("lit.false.cheeger-lower", source="variant: lambda_2/1.9 for lambda_2/2",
      lhs=lambda G: normalized_lambda2(G) / 1.9, rhs=cheeger, over=WEIGHTED,
      statement="lambda_2 / 1.9 <= h(G) for the normalized Laplacian of a weighted graph")


def _pi(W):
    """Stationary distribution of a row-stochastic W."""
    vals, vecs = np.linalg.eig(W.T)
    p = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
    return p / p.sum()


# ------------------------------------------------------------------ a covariance rate
def _covariance_rate(ctx, claimed):
    grid = np.logspace(2, 6, 9 if ctx.profile == "smoke" else 13)
    reps = 200 if ctx.profile == "smoke" else 2000
    errors = covariance_errors(grid, reps, ctx.seed)
    return rate_evidence("RMS ||S_hat - S||_F, Gaussian, d = 4", grid, errors, claimed, kind="exact",
                         delta=0.02, variable="n", params={"reps": reps, "d": 4})


@REGISTRY.claim("lit.true.covariance-rate", source="Vershynin (2018), Sec. 4.7",
                statement="||S_hat_n - S||_F ~ n^{-1/2} for Gaussian samples (margin 0.02)")
def covariance_rate(ctx):
    return _covariance_rate(ctx, -0.5)


@REGISTRY.claim("lit.false.covariance-rate", source="variant: exponent off by 0.05",
                statement="||S_hat_n - S||_F ~ n^{-0.45} for Gaussian samples (margin 0.02)")
def covariance_rate_off(ctx):
    return _covariance_rate(ctx, -0.45)

