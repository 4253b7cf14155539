"""Corrected statements of the stationary-point, Eckart-Young and network claims
(``fix.eq16``, ``fix.eckart-young``, ``fix.cor4.5``, ``fix.thm4.6``; docs/theory.md §6), each
fixed from the algebra before its evidence:

* the loss ``-<W^T W, X> + 1/2 ||W^T W||_F^2`` has gradient ``2 W (W^T W - X)``, so at a
  stationary point ``(W^T W - X)`` vanishes on the row space R of W: R is X-invariant and
  ``W^T W = Pi_R X Pi_R`` (PSD, so X is positive definite on R);
* the loss equals ``1/2 ||X - W^T W||_F^2 - 1/2 ||X||_F^2`` for every X, so its minimisers over
  ``rank W <= c`` are the PSD-truncated Eckart-Young solutions ``sum_{j <= c} (lambda_j)_+ v_j v_j^T``;
* the Eq. 1 objective ``(1/N) sum_i (1/|A_i|) sum_{j in A_i} L_j`` equals ``sum_j w_j L_j`` with
  ``w_j = (1/N) sum_{i in A_j} 1/|A_i|``; the targets are linear in the losses, so DecL's
  representation depends on the graph only through w, and w is uniform on every regular graph.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from theory import topology
from theory.frameworks import decl_global_weights, mim_limit_representability, mim_main_block
from theory.objectives import alignment_loss, alignment_loss_grad

from simulators.client_data import sampled_second_moments, targets_from_second_moments

from ..engine.empirical import holm
from ..engine.rates import rate_evidence
from ..engine.registry import REGISTRY, CheckContext, Evidence, WarmTask, quantifiers, shared_cache, uses_module
from ..engine.search import find_counterexample, worst_case
from ..engine.strategies import connected_graphs
from .paper_checks import _lbfgs
from .robustness_checks import OBJECTIVES, _connectivity_table, _strict_tol, rv, top_representability
from .settings import DEFAULT, PaperSetting


def _random_symmetric(rng: np.random.Generator, d: int) -> np.ndarray:
    """A symmetric matrix with a random number of negative eigenvalues (indefinite in general)."""
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    lam = rng.standard_normal(d) * 2.0
    return (Q * lam) @ Q.T


def _stationary_structure(W: np.ndarray, X: np.ndarray) -> tuple[float, float, float]:
    """For a stationary ``W``: ``||W^T W - Pi X Pi||_F``, ``||X Pi - Pi X||_F`` (invariance of
    the row space) and the smallest eigenvalue of ``Pi X Pi`` on R (must be > 0)."""
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    r = int(np.sum(s > 1e-6 * max(1.0, s.max())))
    V = Vt[:r].T
    Pi = V @ V.T
    dev = float(np.linalg.norm(W.T @ W - Pi @ X @ Pi))
    inv = float(np.linalg.norm(X @ Pi - Pi @ X))
    low = float(np.linalg.eigvalsh(V.T @ X @ V).min()) if r else np.inf
    return dev, inv, low


# ---------------------------------------------------------------- Eq. 16
FIX_EQ16 = ("For L = -E[a^T W^T W b] + 1/2 ||W^T W||_F^2, every stationary point W (of any rank r <= c) "
            "satisfies W^T W = Pi_R X Pi_R, where the row space R of W is an X-invariant subspace on which "
            "X is positive definite; equivalently W^T W = sum_{j in J} lambda_j v_j v_j^T for r eigenpairs "
            "of X with lambda_j > 0. So W^T W = X iff X is PSD of rank r")


@REGISTRY.claim("fix.eq16.stationary", source="corrects Eq. 16 (docs/theory.md §6)", statement=FIX_EQ16,
                latex=r"\nabla L=0\iff W^\top W=\Pi_R X\Pi_R,\ X R\subseteq R,\ X|_R\succ0")
def fix_eq16(ctx: CheckContext) -> list[Evidence]:
    # symbolic: gradient, and that W = Lambda_J^(1/2) V_J^T is stationary for X = diag(l1, l2, l3)
    l1, l2, l3 = sp.symbols("l1 l2 l3", real=True)
    X = sp.diag(l1, l2, l3)
    W = sp.Matrix([[sp.sqrt(l1), 0, 0]])                               # J = {1}, needs l1 > 0
    grad = 2 * W * (W.T * W - X)
    W2 = sp.Matrix([[sp.sqrt(l1), 0, 0], [0, 0, sp.sqrt(l3)]])        # J = {1, 3}
    grad2 = (2 * W2 * (W2.T * W2 - X)).applyfunc(sp.simplify)
    Ws = sp.Matrix(2, 3, sp.symbols("w0:6", real=True))
    Xs = sp.Matrix(3, 3, lambda k, l: sp.Symbol(f"x{min(k, l)}{max(k, l)}"))
    loss = -(Ws.T * Ws).multiply_elementwise(Xs).applyfunc(sp.expand)
    loss = sum(loss) + sp.Rational(1, 2) * sum((Ws.T * Ws).applyfunc(lambda e: e**2))
    g = sp.Matrix(2, 3, lambda a, b: sp.diff(loss, Ws[a, b]))
    ok_grad = (g - 2 * Ws * (Ws.T * Ws - Xs)).applyfunc(sp.expand) == sp.zeros(2, 3)
    ok = bool(ok_grad and grad.applyfunc(sp.simplify) == sp.zeros(1, 3) and grad2 == sp.zeros(2, 3))
    out = [Evidence("symbolic", f"grad L = 2 W (W^T W - X) (c = 2, d = 3, symbolic): {ok_grad}; W = "
                    "Lambda_J^(1/2) V_J^T is stationary for J = {1} and J = {1, 3} of X = diag(l1, l2, l3) "
                    f"(whatever l2, including l2 > l3): {ok}", passed=ok)]
    # numerical: L-BFGS stationary points of random indefinite X, every rank
    rng = ctx.rng(16, 2)
    trials = {"smoke": 6, "quick": 20, "full": 60}[ctx.profile]
    worst = [0.0, 0.0, np.inf]
    ranks = set()
    for _ in range(trials):
        d = int(rng.integers(3, 8))
        c = int(rng.integers(1, d + 1))
        Xn = _random_symmetric(rng, d)
        Wn = _lbfgs(Xn, c, rng, starts=1)
        if np.max(np.abs(alignment_loss_grad(Wn, Xn))) > 1e-7:
            continue
        dev, inv, low = _stationary_structure(Wn, Xn)
        ranks.add(int(np.linalg.matrix_rank(Wn, tol=1e-6)))
        worst = [max(worst[0], dev), max(worst[1], inv), min(worst[2], low)]
    q = quantifiers(index_set="every stationary point found", framework="the loss family (one model)",
                    regime=f"{trials} random indefinite X, d in 3..7, c in 1..d, L-BFGS",
                    inequality="W^T W = Pi X Pi, X Pi = Pi X, X > 0 on R",
                    tolerance="1e-5 on the Frobenius norms (the L-BFGS gradient is below 1e-7)")
    ok_n = worst[0] < 1e-5 and worst[1] < 1e-5 and worst[2] > 0
    out.append(Evidence("numerical", f"L-BFGS stationary points of ranks {sorted(ranks)}: max ||W^T W - Pi X Pi||_F "
                        f"= {worst[0]:.1e}, max ||X Pi - Pi X||_F = {worst[1]:.1e}, min eigenvalue of X on R = "
                        f"{worst[2]:.3g}", passed=ok_n,
                        numbers={"max_dev": worst[0], "max_invariance": worst[1], "min_eig_on_R": worst[2]},
                        params={"seed": ctx.seed, "quantifiers": q}))

    def converse(seed: int) -> bool:          # every such W is stationary
        g_ = np.random.default_rng(seed)
        d = int(g_.integers(2, 7))
        Xr = _random_symmetric(g_, d)
        lam, vecs = np.linalg.eigh(Xr)
        pos = np.flatnonzero(lam > 1e-3)
        if pos.size == 0:
            return True
        J = pos[g_.random(pos.size) < 0.6]
        Wr = (np.sqrt(lam[J])[:, None] * vecs[:, J].T) if J.size else np.zeros((1, d))
        return float(np.max(np.abs(alignment_loss_grad(Wr, Xr)))) < 1e-9

    cex = find_counterexample(converse, st.integers(0, 2**32 - 1), max_examples=150)
    out.append(Evidence("numerical", "hypothesis search over random symmetric X and subsets J of its positive "
                        "eigenpairs: W = Lambda_J^(1/2) V_J^T is stationary "
                        + ("in 150 draws" if cex is None else f"fails at seed {cex}"), passed=cex is None,
                        params={"quantifiers": q}))
    # planted over-strong: the paper's W^T W = X at rank c, on the paper model's CL target
    from .paper_checks import _model
    S = _model(ctx).second_moments()[0]
    Wp = _lbfgs(S, 6, rng)
    dev_p = float(np.linalg.norm(Wp.T @ Wp - S) / np.linalg.norm(S))
    dev_f = _stationary_structure(Wp, S)[0]
    out.append(Evidence("numerical", f"planted over-strong variant (the paper's W^T W = X at rank c = 6) is refuted on "
                        f"the paper model's CL target (d = 12): ||W^T W - X||_F/||X||_F = {dev_p:.3g}, while the "
                        f"corrected Pi X Pi is met to {dev_f:.1e}", passed=dev_p > 1e-3 and dev_f < 1e-5,
                        numbers={"relative_deviation_paper": dev_p, "deviation_corrected": dev_f},
                        params={"planted": "W^T W = X"}))
    return out


# ---------------------------------------------------------- Eckart-Young
FIX_EY = ("The loss equals 1/2 ||X - W^T W||_F^2 - 1/2 ||X||_F^2 for every symmetric X, so its minimum over "
          "rank W <= c is attained at W^T W = sum_{j <= c} (lambda_j)_+ v_j v_j^T, with value "
          "-1/2 sum_{j <= c} (lambda_j)_+^2; the row space of a minimiser is the top-c eigenspace iff "
          "lambda_c > 0 (and is unique iff lambda_c > lambda_{c+1}); with only q < c positive eigenvalues "
          "every minimiser has rank q")


@REGISTRY.claim("fix.eckart-young", source="corrects the Eckart-Young step (docs/theory.md §6)",
                statement=FIX_EY, latex=r"\min_{\operatorname{rank}W\le c}L=-\tfrac12\sum_{j\le c}(\lambda_j)_+^2")
def fix_eckart_young(ctx: CheckContext) -> list[Evidence]:
    from .symbolic import check_loss_identity

    ident = check_loss_identity()
    out = [Evidence("symbolic", "loss identity: " + ident.summary, passed=ident.passed)]
    rng = ctx.rng(21, 1)
    trials = {"smoke": 6, "quick": 20, "full": 60}[ctx.profile]
    worst_val, worst_rank = 0.0, 0
    for _ in range(trials):
        d = int(rng.integers(3, 8))
        c = int(rng.integers(1, d))
        X = _random_symmetric(rng, d)
        lam = np.sort(np.linalg.eigvalsh(X))[::-1]
        W = _lbfgs(X, c, rng, starts=3)
        val = alignment_loss(W, X)
        formula = -0.5 * float(np.sum(np.clip(lam[:c], 0, None) ** 2))
        worst_val = max(worst_val, abs(val - formula) / max(1.0, abs(formula)))
        q_pos = int(np.sum(lam[:c] > 1e-8))
        worst_rank = max(worst_rank, abs(int(np.linalg.matrix_rank(W, tol=1e-4)) - q_pos))
    q = quantifiers(index_set="the minimum over rank W <= c", framework="the loss family (one model)",
                    regime=f"{trials} random indefinite X, d in 3..7, c in 1..d-1, L-BFGS from 3 starts",
                    inequality="min L = -1/2 sum_{j<=c} (lambda_j)_+^2, rank of the minimiser = #positive "
                               "among lambda_1..lambda_c",
                    tolerance="1e-7 relative on the value; rank at tolerance 1e-4")
    out.append(Evidence("numerical", f"L-BFGS minima against -1/2 sum (lambda_j)_+^2: max relative difference "
                        f"{worst_val:.1e}; max |rank - #positive| = {worst_rank}",
                        passed=worst_val < 1e-7 and worst_rank == 0,
                        numbers={"max_rel_value_diff": worst_val, "max_rank_diff": worst_rank},
                        params={"seed": ctx.seed, "quantifiers": q}))

    def below(seed: int) -> bool:              # no W beats the formula (random W, any X)
        g_ = np.random.default_rng(seed)
        d = int(g_.integers(2, 7))
        c = int(g_.integers(1, d + 1))
        Xr = _random_symmetric(g_, d)
        lam = np.sort(np.linalg.eigvalsh(Xr))[::-1]
        bound = -0.5 * float(np.sum(np.clip(lam[:c], 0, None) ** 2))
        return all(alignment_loss(g_.standard_normal((c, d)) * s, Xr) >= bound - 1e-10
                   for s in (0.1, 0.5, 1.0, 2.0))

    cex = find_counterexample(below, st.integers(0, 2**32 - 1), max_examples=150)
    out.append(Evidence("numerical", "hypothesis search for a W with L(W) below -1/2 sum_{j<=c} (lambda_j)_+^2: "
                        + ("none in 150 draws" if cex is None else f"found at seed {cex}"), passed=cex is None,
                        params={"quantifiers": q}))
    # planted over-strong: 'the row space of a minimiser is the c-dimensional top-c eigenspace'
    X = np.diag([3.0, 1.0, -1.0, -2.0])
    W = _lbfgs(X, 3, rng)
    rank = int(np.linalg.matrix_rank(W, tol=1e-4))
    out.append(Evidence("numerical", f"planted over-strong variant ('the row space of a minimiser is the top-c "
                        f"eigenspace', the paper's) is refuted: X = diag(3, 1, -1, -2), c = 3: the L-BFGS minimiser "
                        f"has rank {rank} < 3", passed=rank < 3, numbers={"rank": rank},
                        params={"planted": "row space = top-c eigenspace"}))
    return out


# --------------------------------------------------- Cor 4.5 and Thm 4.6
def eq1_weights(G: nx.Graph) -> np.ndarray:
    """``w_j = (1/N) sum_{i in A_j} 1/|A_i|`` (module docstring), written from the statement."""
    nodes = sorted(G.nodes)
    deg = {i: G.degree(i) + 1 for i in nodes}
    n = len(nodes)
    return np.array([(1.0 / deg[j] + sum(1.0 / deg[i] for i in G.neighbors(j))) / n for j in nodes])


FIX_COR45 = ("The Eq. 1 objective is sum_j w_j L_j with w_j = (1/N) sum_{i in A_j} 1/|A_i|, so the DecL "
             "representation and its sensitivity depend on the graph only through w, and w = 1/N iff the graph "
             "is regular. On every regular graph DecL equals FL exactly, whatever |A_bar|: among regular graphs "
             "the sensitivity does not change with connectivity, and Cor 4.5's monotonicity in |A_bar| holds for "
             "no objective there. As d -> infinity (|D_i| = d^beta, beta >= 1) on irregular graphs, the MIM surrogate's (Eq. 4) "
             "sensitivity tends to max_k v_k(w)^2 (v the Perron vector of the main block), a function of w that "
             "graphs with the same |A_bar| do not share, and CL's (similar views, integrated) to 1 on every graph: "
             "neither is a function of |A_bar|, let alone a decreasing one")
FIX_THM46 = ("Under Eq. 1 (w_j = (1/N) sum_{i in A_j} 1/|A_i|, uniform iff the graph is regular), in the regime "
             "the theorem speaks of (d -> infinity with |D_i| = d^beta, beta >= 1, d^{1/2} rare samples; the limits do "
             "not depend on beta): on regular graphs "
             "s_Dec = s_Fed exactly at every d, so the strict part fails there. For the MIM surrogate (Eq. 4) "
             "s_Dec - s_Fed -> max_k v_k(w)^2 - 1/N (v the Perron vector of B_kl = sum_{j not in {k,l}} w_j), "
             "which is > 0 on every irregular graph: Thm 4.6 holds strictly for MIM exactly on the irregular "
             "graphs. For CL (similar views, integrated by the loss) s_Dec - s_Fed -> 0 on every graph (both "
             "sensitivities tend to 1; in population both are 0): the strict part fails for CL everywhere")
def _weights_evidence(ctx) -> list[Evidence]:
    N = 4
    A = sp.symbols(f"A0:{N}", positive=True)
    L = sp.symbols(f"L0:{N}")
    G = nx.cycle_graph(N)
    G.add_edge(0, 2)
    nb = {i: [i] + list(G.neighbors(i)) for i in range(N)}
    obj = sum(sum(L[j] for j in nb[i]) / A[i] for i in range(N)) / N
    coeffs = [sp.simplify(sp.diff(obj, L[j]) - sum(1 / A[i] for i in nb[j]) / N) for j in range(N)]
    # a k-regular graph: the 4-cycle, every |A_i| = 3 (symbolic k + 1 for the general regular case)
    k = sp.symbols("k", positive=True, integer=True)
    C = nx.cycle_graph(N)
    nbc = {i: [i] + list(C.neighbors(i)) for i in range(N)}
    obj_c = sum(sum(L[j] for j in nbc[i]) / 3 for i in range(N)) / N
    regular = [sp.simplify(sp.diff(obj_c, L[j])) for j in range(N)]
    general = sp.simplify((k + 1) * (1 / (k + 1)) / N)          # |A_j| = k + 1 terms of 1/(k + 1)
    out = [Evidence("symbolic", f"N = 4 (a 4-cycle with a chord), symbolic |A_i|: the coefficient of L_j in Eq. 1 "
                    f"minus (1/N) sum_(i in A_j) 1/|A_i| = {coeffs}; on the 4-cycle (all |A_i| = 3) every "
                    f"coefficient is {sp.sstr(regular[0])} = 1/N: {all(r == sp.Rational(1, N) for r in regular)}; on "
                    f"any k-regular graph w_j = (k+1) / ((k+1) N) = {sp.sstr(general)}",
                    passed=all(c == 0 for c in coeffs) and all(r == sp.Rational(1, N) for r in regular)
                    and general == sp.Rational(1, N))]

    def same(G) -> bool:
        w_code = decl_global_weights(topology.mixing_matrix(G, "uniform"))
        w_stat = eq1_weights(G)
        reg = len({d for _, d in G.degree()}) == 1
        return bool(np.allclose(w_code, w_stat, rtol=0, atol=1e-14)
                    and (not reg or np.allclose(w_stat, 1.0 / G.number_of_nodes(), rtol=0, atol=1e-14)))

    cex = find_counterexample(same, connected_graphs(min_nodes=3, max_nodes=14), max_examples=150)
    out.append(Evidence("numerical", "hypothesis search over connected graphs (n <= 14): theory.frameworks' Eq. 1 "
                        "weights equal (1/N) sum_(i in A_j) 1/|A_i|, and are 1/N on regular graphs: "
                        + ("in 150 graphs" if cex is None else f"not at {cex!r}"), passed=cex is None,
                        params={"quantifiers": quantifiers(
                            index_set="every client j", framework="DecL, the Eq. 1 objective",
                            regime="connected graphs, n <= 14", inequality="equality of the weights",
                            tolerance="1e-14 absolute")}))
    return out


def _regular_equality(ctx, setting: PaperSetting) -> tuple[Evidence, list[dict]]:
    """``s_Dec = s_Fed`` on the paper's uniform (regular) graphs for every objective (same client
    samples per draw), and the rows of that table."""
    st_, d, rows = _connectivity_table(ctx.profile, ctx.seed, setting, "uniform")
    abar = sorted({round(r["abar"], 6) for r in rows})
    worst = max(float(np.max(np.abs([r[o] - r[o + ":fl"] for r in rows]))) for o in OBJECTIVES)
    tol = 1e-12                                  # s lies in [0, 1]: absolute = relative
    q = quantifiers(index_set="k in [c] (the global model)", framework="DecL, the Eq. 1 objective, against FL",
                    regime=f"finite samples, |D_i| = d = {d}, N = {st_.n_clients}, the paper's uniform (regular) "
                           f"graphs at |A_bar| = {', '.join(f'{a:g}' for a in abar)}",
                    inequality="s_Dec = s_Fed for every regular graph and objective", tolerance=f"{tol:g} absolute")
    return Evidence("numerical", f"{len(rows)} regular graphs x {len(OBJECTIVES)} objectives (same client samples per "
                    f"draw): max |s_Dec - s_Fed| = {worst:.1e}", passed=worst <= tol,
                    numbers={"max_abs_difference": worst}, params={"quantifiers": q}), rows


# ------------------------------------------------- the d -> infinity regime
LIMIT_GRID = {"smoke": (300, 400, 500), "quick": (300, 450, 650, 900), "full": (300, 450, 650, 900, 1100)}
LIMIT_DRAWS = {"smoke": 6, "quick": 8, "full": 12}
LIMIT_BETAS = (2.0, 1.0)   # |D_i| = d^beta: decided at 2 (the paper allows beta >= 1), 1 shown as the approach
LIMIT_PER_LEVEL = {"smoke": 1, "quick": 1, "full": 2}
LIMIT_LEVELS = (2.75, 3.5, 4.5, 6.0)          # |A_bar| of the paper's general graphs
LIMIT_OBJECTIVES = {"mim-surrogate": "MIM surrogate (Eq. 4)", "cl-exact-views": "CL (similar views, integrated)"}
SIGN_ALPHA = 0.05                              # family-wise level of the per-graph sign tests (Holm)


def is_regular(G: nx.Graph) -> bool:
    return len({deg for _, deg in G.degree()}) == 1


def limit_graphs(profile: str, seed: int, n: int) -> list[tuple[str, nx.Graph]]:
    """The graphs of the limit checks: the paper's general graphs at each |A_bar| of
    :data:`LIMIT_LEVELS`, the path and the star (irregular extremes) and the ring (regular)."""
    rng = np.random.default_rng([seed, 46, 1])
    out = [(f"general |A_bar|~{a:g} #{k}", topology.paper_graph(n, a, "general", int(rng.integers(2**31))))
           for a in LIMIT_LEVELS for k in range(LIMIT_PER_LEVEL[profile])]
    return out + [("path", nx.path_graph(n)), ("star", nx.star_graph(n - 1)), ("ring", nx.cycle_graph(n))]


def mim_limit_difference(G: nx.Graph) -> float:
    """``lim_{d -> inf} (s_Dec - s_Fed)`` of the MIM surrogate from the statement:
    ``max_k v_k(w)^2 - 1/N`` (the rare coordinates' r tends to 0 for both)."""
    w = decl_global_weights(topology.mixing_matrix(G, "uniform"))
    return float(mim_limit_representability(w).max() - 1.0 / G.number_of_nodes())


def _sensitivity_top(X: np.ndarray, c: int) -> float:
    """``s`` over ``[c]`` of the PSD-truncated rank-c optimum of a dense ``X``."""
    r = top_representability(X, c)
    return float(r.max() - r.min())


@shared_cache
def network_limit_profile(setting: PaperSetting, profile: str, seed: int) -> dict:
    """``s_Dec - s_Fed`` (Eq. 1 against FL) for the MIM surrogate and CL with integrated views, per
    (objective, beta) an array (d, draw, graph) over :data:`LIMIT_GRID`, with ``|D_i| = d^beta``
    samples per client (``d^{1/2}`` rare; beta in :data:`LIMIT_BETAS`) drawn exactly in law (:func:`simulators.client_data.sampled_second_moments`), N = 8;
    every graph of a draw sees the same client samples (common random numbers)."""
    n = max(8, setting.n_clients)
    st_ = setting.with_(n_clients=n)
    graphs = limit_graphs(profile, seed, n)
    weights = [decl_global_weights(topology.mixing_matrix(G, "uniform")) for _, G in graphs]
    grid, draws = LIMIT_GRID[profile], LIMIT_DRAWS[profile]
    diff = {(o, b): np.empty((len(grid), draws, len(graphs))) for o in LIMIT_OBJECTIVES for b in LIMIT_BETAS}
    for b, beta in enumerate(LIMIT_BETAS):
        at = st_.at_beta(beta)                       # d^a rare samples among d^beta
        for j, d in enumerate(grid):
            model = at.model(int(d))
            for t in range(draws):
                S = sampled_second_moments(model, int(round(float(d) ** beta)),
                                           np.random.default_rng([seed, 46, 2, b, j, t]))
                for obj in LIMIT_OBJECTIVES:
                    X = targets_from_second_moments(S, obj, p=st_.p)
                    s_fl = _sensitivity_top(X.mean(axis=0), st_.c)
                    for g, w in enumerate(weights):
                        diff[(obj, beta)][j, t, g] = _sensitivity_top(np.tensordot(w, X, axes=1), st_.c) - s_fl
                del S
    return {"setting": st_, "grid": np.asarray(grid), "draws": draws, "graphs": graphs, "diff": diff,
            "betas": LIMIT_BETAS, "limit": np.array([mim_limit_difference(G) for _, G in graphs])}


def _holm_signs(diff: np.ndarray, labels: list[str]) -> list[dict]:
    """Per graph: mean difference, its 95% t-interval, and its sign: ``+``/``-`` where Holm's
    step-down over every graph's two one-sided t-tests (``mean > 0``, ``mean < 0``) rejects at
    :data:`SIGN_ALPHA`, ``?`` otherwise (columns of ``diff`` are graphs)."""
    from scipy import stats

    rows = []
    for g, lab in enumerate(labels):
        x = diff[:, g]
        m, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))
        half = float(stats.t.ppf(0.975, x.size - 1) * se)
        pos = stats.ttest_1samp(x, 0.0, alternative="greater").pvalue if se > 0 else float(m <= 0)
        neg = stats.ttest_1samp(x, 0.0, alternative="less").pvalue if se > 0 else float(m >= 0)
        rows.append({"graph": lab, "mean": m, "ci": [m - half, m + half], "p_pos": float(pos), "p_neg": float(neg)})
    p_all = np.array([r["p_pos"] for r in rows] + [r["p_neg"] for r in rows])
    reject = holm(p_all, SIGN_ALPHA)
    k = len(rows)
    for g, r in enumerate(rows):
        r["sign"] = "+" if reject[g] else "-" if reject[k + g] else "?"
    return rows


def _graph_weight_symbolic() -> Evidence:
    """``B = f 1^T + 1 f^T - 2 diag(f)`` (f = W/2 - w) entrywise, ``B 1 = (N-2)(W 1 - w)`` and
    ``1^T B 1 = (N-1)(N-2) W`` for symbolic N: the Perron vector is uniform iff w is, and on the
    hyperplane f^T x = 0 the form is -2 sum f_k x_k^2 <= 0 when every w_k <= W/2, so B has exactly
    one positive eigenvalue (N >= 3)."""
    N, W, wk, wl = sp.symbols("N W w_k w_l", positive=True)
    fk, fl = W / 2 - wk, W / 2 - wl
    off = sp.simplify((fk + fl) - (W - wk - wl)) == 0
    diag = sp.simplify(fk + fk - 2 * fk) == 0
    fsum = N * W / 2 - W                                   # 1^T f = N W/2 - sum w
    b1 = sp.simplify((N * fk + fsum - 2 * fk) - (N - 2) * (W - wk)) == 0    # (B 1)_k
    one_b_one = sp.factor(N * fsum + N * fsum - 2 * fsum)
    ok = off and diag and b1 and sp.simplify(one_b_one - (N - 1) * (N - 2) * W) == 0
    return Evidence("symbolic", "symbolic N, W = sum_j w_j: B_kl = f_k + f_l with f = W/2 - w (entry identity: "
                    f"{off and diag}); (B 1)_k = (N-2)(W - w_k): {b1}, so B 1 is parallel to 1 iff w is uniform "
                    f"(N >= 3); 1^T B 1 = {sp.sstr(one_b_one)} > 0 for N >= 3, and x^T B x = 2 (1^T x)(f^T x) - "
                    "2 sum f_k x_k^2 <= 0 on the hyperplane f^T x = 0 when every w_k <= W/2 (Eq. 1 weights: "
                    "w_j <= |A_j| max_i (1/|A_i|) / N <= 1/2): exactly one positive eigenvalue",
                    passed=bool(ok))


def _exhaustive_small_graphs() -> Evidence:
    """Every connected graph on 3..7 nodes (networkx's atlas): w uniform iff regular, every
    w_k < 1/2, one positive eigenvalue of B(w), and the MIM limit difference > 0 iff irregular."""
    from networkx.generators.atlas import graph_atlas_g

    counts = {"regular": 0, "irregular": 0}
    bad, min_irregular, max_regular = [], np.inf, 0.0
    for G in graph_atlas_g():
        if G.number_of_nodes() < 3 or not nx.is_connected(G):
            continue
        w = eq1_weights(G)
        reg = is_regular(G)
        counts["regular" if reg else "irregular"] += 1
        lim = mim_limit_difference(G)
        pos = int(np.sum(np.linalg.eigvalsh(mim_main_block(w)) > 1e-12))
        uniform = bool(np.allclose(w, 1.0 / G.number_of_nodes(), rtol=0, atol=1e-14))
        if reg:
            max_regular = max(max_regular, abs(lim))
        else:
            min_irregular = min(min_irregular, lim)
        if uniform != reg or w.max() >= 0.5 or pos != 1:
            bad.append(repr(nx.to_edgelist(G)))
    ok = not bad and min_irregular > 1e-12 and max_regular < 1e-14
    return Evidence("numerical", f"exhaustive over all {sum(counts.values())} connected graphs on 3..7 nodes "
                    f"({counts['regular']} regular, {counts['irregular']} irregular): w uniform iff regular, max w_k "
                    f"< 1/2 and B(w) with exactly one positive eigenvalue on every graph: {not bad}; the MIM limit "
                    f"max_k v_k^2 - 1/N is at least {min_irregular:.3g} on the irregular graphs and at most "
                    f"{max_regular:.1e} on the regular ones", passed=ok,
                    numbers={"min_limit_irregular": float(min_irregular), "max_limit_regular": float(max_regular),
                             **counts}, counterexample={"graphs": bad[:3]} if bad else None,
                    params={"quantifiers": quantifiers(
                        index_set="every connected graph on 3..7 nodes", framework="DecL (Eq. 1) against FL",
                        regime="the d -> infinity limit of the MIM surrogate (a closed form in w)",
                        inequality="limit > 0 iff irregular; B(w) has one positive eigenvalue",
                        tolerance="limit > 1e-12 on irregular graphs; |limit| < 1e-14 on regular ones")})


def _limit_search(ctx) -> Evidence:
    """Guided worst-case search for an irregular graph whose MIM limit is not positive."""
    def slack(G):
        return float("nan") if is_regular(G) else mim_limit_difference(G) - 1e-12

    budget = {"smoke": 60, "quick": 250, "full": 1000}[ctx.profile]
    wc = worst_case(slack, connected_graphs(min_nodes=3, max_nodes=16), max_examples=budget, seed=ctx.seed)
    return Evidence("numerical", f"guided worst-case search over connected graphs (3..16 nodes, {wc.n_evaluations} "
                    f"graphs, regular ones excluded as undefined): the smallest MIM limit max_k v_k^2 - 1/N on an "
                    f"irregular graph is {wc.slack + 1e-12:.3g}" + (" (> 0)" if not wc.violated else " (<= 0: refutes)"),
                    passed=not wc.violated, numbers={"min_limit": wc.slack + 1e-12, "evaluations": wc.n_evaluations},
                    counterexample={"graph": repr(wc.value)} if wc.violated else None,
                    params={"quantifiers": quantifiers(
                        index_set="irregular connected graphs, 3..16 nodes", framework="DecL (Eq. 1) against FL",
                        regime="the d -> infinity limit (closed form in w)", inequality="max_k v_k^2 - 1/N > 0",
                        tolerance="must exceed 1e-12")})


def _population_limit(prof: dict) -> Evidence:
    """The limits against the toolkit's population route (structured E X, representability
    profile) at d = 10^4 and 10^8: MIM's s_Dec - s_Fed equals max v_k^2 - 1/N (it does not depend on
    d in population), CL's is 0."""
    st_ = prof["setting"]
    worst_m, worst_c = 0.0, 0.0
    for _, G in prof["graphs"]:
        W = topology.mixing_matrix(G, "uniform")
        for d in (10**4, 10**8):
            m = rv(st_, d, "mim-surrogate", "decl_global", W)["s"][0] - rv(st_, d, "mim-surrogate", "fl", W)["s"][0]
            c_ = rv(st_, d, "cl-similar", "decl_global", W)["s"][0] - rv(st_, d, "cl-similar", "fl", W)["s"][0]
            worst_m = max(worst_m, abs(m - mim_limit_difference(G)))
            worst_c = max(worst_c, abs(c_))
    ok = worst_m < 1e-9 and worst_c < 1e-9
    return Evidence("numerical", f"population route (exact structured E X, N = {st_.n_clients}, d = 1e4 and 1e8, "
                    f"{len(prof['graphs'])} graphs): MIM s_Dec - s_Fed equals the closed-form limit to "
                    f"{worst_m:.1e}; CL s_Dec - s_Fed = {worst_c:.1e} (both 0: r = 1 on [c])", passed=ok,
                    numbers={"max_mim_dev": worst_m, "max_cl_abs": worst_c},
                    params={"quantifiers": quantifiers(
                        index_set="k in [c] (the global model)", framework="DecL (Eq. 1) against FL",
                        regime="population (exact E X_i), d = 1e4, 1e8", inequality="MIM: = max v^2 - 1/N; CL: = 0",
                        tolerance="1e-9 absolute")})


def _finite_sign_evidence(prof: dict) -> list[Evidence]:
    """Per graph at the largest d: the sign of the mean difference (Holm over graphs and both
    directions); the convergence of MIM's mean to its limit across the grid; CL's shrinking to 0."""
    st_, grid, labels = prof["setting"], prof["grid"], [lab for lab, _ in prof["graphs"]]
    irregular = [g for g, (_, G) in enumerate(prof["graphs"]) if not is_regular(G)]
    beta = prof["betas"][0]
    regime = (f"finite samples, |D_i| = d^{beta:g} (d^{st_.rare_count_exponent:g} rare) drawn exactly in law, "
              f"N = {st_.n_clients}, d = {grid[0]}..{grid[-1]}, {prof['draws']} draws per d (common samples "
              "across graphs)")
    out = []
    mim = prof["diff"][("mim-surrogate", beta)]
    rows = _holm_signs(mim[-1][:, irregular], [labels[g] for g in irregular])
    ok = all(r["sign"] == "+" for r in rows)
    verdict = True if ok else False if any(r["sign"] == "-" for r in rows) else None
    out.append(Evidence("numerical", f"MIM surrogate at d = {grid[-1]}, |D_i| = d^{beta:g}: s_Dec - s_Fed per irregular graph (mean, 95% CI; "
                        f"Holm over both one-sided t-tests per graph at {SIGN_ALPHA:g}): "
                        + "; ".join(f"{r['graph']} {r['mean']:.4f} [{r['ci'][0]:.4f}, {r['ci'][1]:.4f}] {r['sign']}"
                                    for r in rows) + f" -> {'all positive' if ok else 'not all positive'}",
                        passed=verdict, numbers={"rows": rows},
                        params={"objective": "mim-surrogate", "quantifiers": quantifiers(
                            index_set="k in [c] (the global model)", framework="DecL (Eq. 1) against FL",
                            regime=regime + "; decided at the largest d",
                            inequality="s_Dec - s_Fed > 0 on every irregular graph",
                            tolerance=f"Holm step-down over the one-sided t-tests of every graph at {SIGN_ALPHA:g}")}))
    devs = {}
    for b in prof["betas"]:
        means = prof["diff"][("mim-surrogate", b)].mean(axis=1)          # (n_d, graphs)
        devs[b] = np.abs(means[:, irregular] - prof["limit"][irregular]).max(axis=1)
    out.append(Evidence("numerical", "MIM surrogate, the approach to the limit (extra): max over irregular graphs of "
                        "|mean(s_Dec - s_Fed) - limit| per d = "
                        + "; ".join(f"|D_i| = d^{b:g}: " + ", ".join(f"{x:.2g}" for x in v) for b, v in devs.items())
                        + f" (d = {', '.join(str(x) for x in grid)}); limits "
                        f"{', '.join(f'{x:.4f}' for x in prof['limit'][irregular])}. The finite-sample deviation falls "
                        "like d^{-beta/2}, so at beta = 1 the sign needs d in the thousands",
                        passed=None, numbers={str(b): v.tolist() for b, v in devs.items()},
                        params={"role": "extra"},
                        series={"x": grid.tolist(), "y": {f"beta = {b:g}": v.tolist() for b, v in devs.items()},
                                "xlabel": "d", "ylabel": "max |mean(s_Dec - s_Fed) - limit|"}))
    cl = prof["diff"][("cl-exact-views", beta)]
    mean_abs = np.abs(cl).mean(axis=(1, 2))
    out.append(rate_evidence("CL (integrated views): mean |s_Dec - s_Fed| over graphs and draws", grid, mean_abs,
                             -0.5, kind="upper", delta=0.1, tail=1.0, competitor=0.0, ylabel="mean |s_Dec - s_Fed|",
                             params={"objective": "cl-exact-views", "quantifiers": quantifiers(
                                 index_set="k in [c] (the global model)", framework="DecL (Eq. 1) against FL",
                                 regime=regime, inequality="|s_Dec - s_Fed| = O(d^{-1/2}) -> 0 (the main coordinates "
                                 "move as d^{1/5 - beta}, the rare ones as 1/d)",
                                 tolerance="the fit's 95% interval below -1/2 + 0.1 and not wholly above -1/2; "
                                           "competitor: no decay (exponent 0)")}))
    return out


@REGISTRY.claim("fix.cor4.5.connectivity", source="corrects Cor 4.5 (docs/theory.md §6)", statement=FIX_COR45,
                latex=r"\textstyle\sum_i\frac1{N|A_i|}\sum_{j\in A_i}L_j=\sum_j w_jL_j,\ w=\frac1N\mathbf 1"
                      r"\text{ iff regular};\ s^M_{Dec}\to\max_k v_k(w)^2")
def fix_cor45(ctx: CheckContext, setting: PaperSetting = DEFAULT) -> list[Evidence]:
    equal, rows = _regular_equality(ctx, setting)
    out = _weights_evidence(ctx) + [_graph_weight_symbolic(), equal]
    # the limit is a function of w, not of |A_bar|: graphs of one |A_bar| with different limits
    rng = np.random.default_rng([ctx.seed, 45, 9])
    n = max(8, setting.n_clients)
    per = {"smoke": 4, "quick": 12, "full": 40}[ctx.profile]
    table = {}
    for a in LIMIT_LEVELS:
        lims = [mim_limit_difference(topology.paper_graph(n, a, "general", int(rng.integers(2**31))))
                for _ in range(per)]
        table[a] = (min(lims), max(lims), float(np.mean(lims)))
    spread = min(hi - lo for lo, hi, _ in table.values())
    means = [m for *_, m in table.values()]
    monotone = bool(np.all(np.diff(means) < 0))
    out.append(Evidence("numerical", f"MIM surrogate as d -> infinity on the paper's general graphs (N = {n}, {per} graphs "
                        "per level): the limit s_Dec = max_k v_k(w)^2 over 1/N ranges "
                        + "; ".join(f"|A_bar| = {a:g}: {lo:.4f}..{hi:.4f} (mean {m:.4f})" for a, (lo, hi, m) in table.items())
                        + f": graphs with the same |A_bar| differ (smallest spread {spread:.2g}), so the limit is not a "
                        f"function of |A_bar|; the mean over graphs is {'' if monotone else 'not '}decreasing in it",
                        passed=bool(spread > 1e-9), numbers={"levels": list(table), "ranges": list(table.values())},
                        params={"quantifiers": quantifiers(
                            index_set="k in [c] (the global model)", framework="DecL (Eq. 1)",
                            regime="the d -> infinity limit of the MIM surrogate (closed form in w)",
                            inequality="two graphs with the same |A_bar| and different limits, at every level",
                            tolerance="a difference above 1e-9")}))
    # planted over-strong: Cor 4.5 as stated (s strictly decreasing in |A_bar|) on regular graphs
    levels = sorted({round(r["abar"], 6) for r in rows})
    flat = []
    for obj in OBJECTIVES:
        means_ = np.array([np.mean([r[obj] for r in rows if np.isclose(r["abar"], a)]) for a in levels])
        flat.append(bool(np.all(np.abs(np.diff(means_)) <= _strict_tol(means_))))
    out.append(Evidence("numerical", "planted over-strong variant (Cor 4.5 as stated: s decreases with |A_bar|) is "
                        f"refuted on regular graphs: the mean sensitivity is flat in |A_bar| for {sum(flat)} of "
                        f"{len(flat)} objectives", passed=all(flat), numbers={"flat": sum(flat)},
                        params={"planted": "s strictly decreasing in |A_bar|",
                                "quantifiers": equal.params["quantifiers"]}))
    return out


@REGISTRY.claim("fix.thm4.6.fl-vs-decl", source="corrects Thm 4.6 (docs/theory.md §6)", statement=FIX_THM46,
                latex=r"s^M_{Dec}-s^M_{Fed}\to\max_k v_k(w)^2-\tfrac1N>0\text{ iff irregular};\ "
                      r"s^C_{Dec}-s^C_{Fed}\to0")
def fix_thm46(ctx: CheckContext, setting: PaperSetting = DEFAULT) -> list[Evidence]:
    equal, rows = _regular_equality(ctx, setting)
    equal.summary += " (equal to round-off at every d: the strict part fails on regular graphs)"
    prof = network_limit_profile(setting, ctx.profile, ctx.seed)
    out = _weights_evidence(ctx) + [_graph_weight_symbolic(), equal, _exhaustive_small_graphs(), _limit_search(ctx),
                                    _population_limit(prof)]
    out += _finite_sign_evidence(prof)
    # the finite-d transition (extra, never decided on): the d = 200 table's sign counts
    st_, d, rows_g = _connectivity_table(ctx.profile, ctx.seed, setting, "general")
    irregular = [r for r in rows_g if r["abar"] < st_.n_clients - 1e-9]
    counts = {}
    for obj in OBJECTIVES:
        diff = np.array([r[obj] - r[obj + ":fl"] for r in irregular])
        tol = _strict_tol(np.array([r[obj] for r in irregular]), np.array([r[obj + ":fl"] for r in irregular]))
        counts[obj] = (int(np.sum(diff > tol)), int(np.sum(diff < -tol)))
    out.append(Evidence("numerical", f"the small-d transition (extra, not the theorem's regime): at d = {d}, one draw per "
                        f"graph, {len(irregular)} irregular graphs, the sign counts of s_Dec - s_Fed are "
                        + "; ".join(f"{o}: +{p}/-{m}" for o, (p, m) in counts.items())
                        + " (bulk eigenvectors give every rare coordinate r ~ (c-1)/d, larger than the limit)",
                        passed=None, numbers={o: list(v) for o, v in counts.items()}, params={"role": "extra"}))
    # planted neighbours the evidence must refute
    signs = next(e.numbers["rows"] for e in out if "rows" in e.numbers)
    neg = [r for r in signs if r["sign"] != "+"]
    out.append(Evidence("numerical", "planted neighbour (the small-d pattern: 's_Dec - s_Fed takes both signs on irregular "
                        "graphs' for the MIM surrogate) is refuted at the largest d: "
                        + (f"every one of {len(signs)} irregular graphs has a positive sign" if signs and not neg
                           else f"{len(neg)} graphs without a positive sign"),
                        passed=bool(signs) and not neg, params={"planted": "both signs on irregular graphs (MIM)"}))
    cl = prof["diff"][("cl-exact-views", prof["betas"][0])]
    cl_rows = _holm_signs(cl[-1], [lab for lab, _ in prof["graphs"]])
    strict = sum(r["sign"] == "+" for r in cl_rows)
    out.append(Evidence("numerical", "planted neighbour (Thm 4.6's strict s_Dec > s_Fed for CL) is refuted: at d = "
                        f"{prof['grid'][-1]} {strict} of {len(cl_rows)} graphs have a significantly positive CL "
                        "difference (Holm), and the population differences are 0",
                        passed=strict < len(cl_rows), numbers={"positive": strict, "graphs": len(cl_rows)},
                        params={"planted": "s^C_Dec > s^C_Fed on irregular graphs"}))
    return out


@REGISTRY.prepare
def _warm_network_limits(ctx: CheckContext, claims: list) -> list[WarmTask]:
    if not uses_module(claims, __name__):
        return []
    return [WarmTask(lambda: network_limit_profile(DEFAULT, ctx.profile, ctx.seed), 40, "network_limit_profile")]
