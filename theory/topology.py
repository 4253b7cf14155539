"""Network topology: graphs, neighbourhoods, mixing matrices and their spectra (docs/theory.md §1.1, 4).

Definitions used throughout
---------------------------
* ``A_i`` is the *closed* neighbourhood of node ``i`` (its neighbours and ``i`` itself);
  ``|A_i|`` its connectivity; ``|A_bar| = (1/N) sum_i |A_i| = 1 + mean degree``.
* A mixing matrix ``W`` is row-stochastic, nonnegative, with ``W_ij > 0`` only if
  ``j in A_i``.
* ``slem(W)``: second largest eigenvalue *modulus*, ``max_{k >= 2} |lambda_k(W)|`` with the
  eigenvalue 1 removed once. For symmetric doubly stochastic ``W`` it equals
  ``||W - 11^T/N||_2`` (Boyd, Diaconis, Xiao 2004). ``spectral_gap(W) = 1 - slem(W)``.
* ``lambda2(W)``: second largest eigenvalue (real spectra only); ``1 - lambda2`` is the
  *other* common "spectral gap"; functions say which one they use.

Nodes are the integers ``0..N-1``; every constructor returns a connected :class:`networkx.Graph`.

References
----------
.. [1] S. Boyd, P. Diaconis, L. Xiao, "Fastest mixing Markov chain on a graph",
   SIAM Review 46(4), 2004.
.. [2] L. Xiao, S. Boyd, "Fast linear iterations for distributed averaging",
   Systems & Control Letters 53, 2004.
"""

from __future__ import annotations

import math
import os

import networkx as nx
import numpy as np
import scipy.linalg
import scipy.sparse

from .solvers import SOLVERS, solve_problem
from .validation import as_array, as_float, as_int

MIXING_RULES = ("uniform", "metropolis", "max-degree", "data-size", "fmmc")
_MAX_TRIES = 1000


def _seed(rng) -> int:
    return int(np.random.default_rng(rng).integers(2**32))


# ------------------------------------------------------------------ graphs
def path_graph(n: int) -> nx.Graph:
    """Path ``0 - 1 - ... - n-1``."""
    return nx.path_graph(as_int("n", n, minimum=2))


def ring_graph(n: int) -> nx.Graph:
    """Cycle on ``n >= 3`` nodes."""
    return nx.cycle_graph(as_int("n", n, minimum=3))


def torus_graph(rows: int, cols: int) -> nx.Graph:
    """2-D torus (periodic grid) ``rows x cols``, nodes numbered row-major."""
    r, c = as_int("rows", rows, minimum=3), as_int("cols", cols, minimum=3)
    g = nx.grid_2d_graph(r, c, periodic=True)
    return nx.relabel_nodes(g, {(a, b): a * c + b for a, b in g.nodes})


def star_graph(n: int) -> nx.Graph:
    """Star with centre 0 and ``n - 1`` leaves (``n`` nodes in all)."""
    return nx.star_graph(as_int("n", n, minimum=2) - 1)


def complete_graph(n: int) -> nx.Graph:
    """Complete graph: the paper's model of federated learning (``|A_i| = N``)."""
    return nx.complete_graph(as_int("n", n, minimum=2))


def hypercube_graph(dim: int) -> nx.Graph:
    """Hypercube with ``2**dim`` nodes; node label is the binary number of its coordinates."""
    g = nx.hypercube_graph(as_int("dim", dim, minimum=1))
    return nx.relabel_nodes(g, {v: int("".join(map(str, v)), 2) for v in g.nodes})


def exponential_graph(n: int) -> nx.Graph:
    """Static exponential graph: ``i ~ (i + 2^k) mod n`` for ``2^k < n`` (undirected)."""
    n = as_int("n", n, minimum=2)
    g = nx.empty_graph(n)
    for k in range(int(math.floor(math.log2(n - 1))) + 1 if n > 1 else 0):
        g.add_edges_from((i, (i + 2**k) % n) for i in range(n) if (i + 2**k) % n != i)
    return g


def ring_lattice_graph(n: int, degree: int) -> nx.Graph:
    """Ring lattice: node ``i`` joined to ``i +- 1, ..., i +- degree/2`` (mod ``n``); ``degree``
    even, ``2 <= degree <= n - 1`` (``nx.circulant_graph``). The degree-``k`` regular graph
    with the smallest spectral gap among the usual ones: the foil of :func:`random_regular_graph`."""
    n = as_int("n", n, minimum=3)
    k = as_int("degree", degree, minimum=2, maximum=n - 1)
    if k % 2:
        raise ValueError(f"degree must be even for a ring lattice, got {k}")
    return nx.circulant_graph(n, list(range(1, k // 2 + 1)))


def random_regular_graph(n: int, degree: int, rng: np.random.Generator | int | None = None
                         ) -> nx.Graph:
    """Connected random ``degree``-regular graph (resampled until connected)."""
    n = as_int("n", n, minimum=2)
    k = as_int("degree", degree, minimum=1, maximum=n - 1)
    if (n * k) % 2:
        raise ValueError(f"n * degree must be even for a regular graph, got n={n}, degree={k}")
    if k == 1 and n > 2:
        raise ValueError(f"a 1-regular graph on n={n} > 2 nodes is never connected")
    rng = np.random.default_rng(rng)
    for _ in range(_MAX_TRIES):
        g = nx.random_regular_graph(k, n, seed=_seed(rng))
        if nx.is_connected(g):
            return g
    raise ValueError(f"no connected {k}-regular graph on {n} nodes found in {_MAX_TRIES} draws")


def _check_connectivity_target(n: int, connectivity: float) -> float:
    c = as_float("connectivity", connectivity)
    lo = 1 + 2 * (n - 1) / n
    if not lo - 1e-12 <= c <= n + 1e-12:
        raise ValueError(
            f"connectivity (target mean |A_i|) must lie in [{lo:.4g}, {n}] for a connected graph "
            f"on n={n} nodes, got {c}"
        )
    return c


def erdos_renyi_graph(n: int, connectivity: float, rng: np.random.Generator | int | None = None
                      ) -> nx.Graph:
    """Connected G(n, p) with ``p = (connectivity - 1)/(n - 1)``, so ``E|A_i| = connectivity``.

    Resampled until connected (conditioning on connectivity raises the mean slightly at the
    sparse end).
    """
    n = as_int("n", n, minimum=2)
    c = _check_connectivity_target(n, connectivity)
    rng = np.random.default_rng(rng)
    p = (c - 1) / (n - 1)
    for _ in range(_MAX_TRIES):
        g = nx.gnp_random_graph(n, p, seed=_seed(rng))
        if nx.is_connected(g):
            return g
    raise ValueError(
        f"no connected G(n={n}, p={p:.3g}) found in {_MAX_TRIES} draws; raise connectivity"
    )


def paper_graph(n: int, connectivity: float, kind: str = "general",
                rng: np.random.Generator | int | None = None) -> nx.Graph:
    """The paper's random topologies with a target average connectivity ``|A_bar|``.

    ``kind="general"``: a uniform random spanning tree plus uniformly random extra edges until
    the edge count is ``round(n (connectivity - 1) / 2)`` (degrees vary).
    ``kind="uniform"``: every ``|A_i|`` equals ``connectivity`` (a connected random regular
    graph of degree ``connectivity - 1``; needs an integer target).
    """
    n = as_int("n", n, minimum=2)
    c = _check_connectivity_target(n, connectivity)
    rng = np.random.default_rng(rng)
    if kind == "uniform":
        if abs(c - round(c)) > 1e-12:
            raise ValueError(f"kind='uniform' needs an integer connectivity, got {c}")
        return random_regular_graph(n, int(round(c)) - 1, rng)
    if kind != "general":
        raise ValueError(f"kind must be 'general' or 'uniform', got {kind!r}")
    g = nx.random_labeled_tree(n, seed=_seed(rng))
    n_edges = int(round(n * (c - 1) / 2))
    missing = [e for e in nx.non_edges(g)]
    extra = n_edges - g.number_of_edges()
    if extra > 0:
        pick = rng.choice(len(missing), size=extra, replace=False)
        g.add_edges_from(missing[j] for j in np.sort(pick))
    return nx.Graph(g)


# ---------------------------------------------------------- neighbourhoods
def check_graph(G) -> int:
    """Validate ``G``: a connected simple undirected graph on nodes ``0..N-1``; return ``N``."""
    if not isinstance(G, nx.Graph) or G.is_directed() or G.is_multigraph():
        raise TypeError(f"G must be an undirected simple networkx.Graph, got {type(G).__name__}")
    n = G.number_of_nodes()
    if n < 1 or set(G.nodes) != set(range(n)):
        raise ValueError("G must have nodes labelled 0..N-1 (use nx.convert_node_labels_to_integers)")
    if nx.number_of_selfloops(G):
        raise ValueError("G must not have self-loops; closed neighbourhoods add i itself")
    if not nx.is_connected(G):
        raise ValueError(
            f"G must be connected, got {nx.number_connected_components(G)} components"
        )
    return n


def neighbourhoods(G: nx.Graph) -> list[np.ndarray]:
    """Closed neighbourhoods ``A_i`` (neighbours plus ``i``), sorted, for ``i = 0..N-1``."""
    n = check_graph(G)
    return [np.array(sorted(set(G.neighbors(i)) | {i}), dtype=np.int64) for i in range(n)]


def connectivities(G: nx.Graph) -> np.ndarray:
    """``|A_i|`` for every node, shape ``(N,)``."""
    n = check_graph(G)
    return np.array([G.degree(i) + 1 for i in range(n)], dtype=np.int64)


def average_connectivity(G: nx.Graph) -> float:
    """``|A_bar| = (1/N) sum_i |A_i|`` (paper Eq. 1 notation)."""
    return float(np.mean(connectivities(G)))


# --------------------------------------------------------- mixing matrices
def check_mixing_matrix(W, G: nx.Graph | None = None, *, atol: float = 1e-9) -> np.ndarray:
    """Validate a mixing matrix: square, nonnegative, rows summing to 1, support on ``G``.

    Returns ``W`` as float64. Raises ``ValueError`` naming the first violation.
    """
    W = as_array("W", W, ndim=2)
    n = W.shape[0]
    if W.shape != (n, n):
        raise ValueError(f"W must be square, got shape {W.shape}")
    if np.min(W) < -atol:
        i, j = np.unravel_index(np.argmin(W), W.shape)
        raise ValueError(f"W must be nonnegative, W[{i}, {j}] = {W[i, j]:.3g}")
    rows = W.sum(axis=1)
    if np.max(np.abs(rows - 1)) > atol:
        i = int(np.argmax(np.abs(rows - 1)))
        raise ValueError(f"W must be row-stochastic, row {i} sums to {rows[i]:.12g}")
    if G is not None:
        if check_graph(G) != n:
            raise ValueError(f"W is {n}x{n} but G has {G.number_of_nodes()} nodes")
        allowed = nx.to_numpy_array(G, nodelist=range(n)) + np.eye(n) > 0
        off = (np.abs(W) > atol) & ~allowed
        if off.any():
            i, j = map(int, np.argwhere(off)[0])
            raise ValueError(f"W puts weight {W[i, j]:.3g} on ({i}, {j}), which is not an edge of G")
    return W


def mixing_matrix(G: nx.Graph, rule: str = "metropolis", *, sizes=None,
                  solver: str = "CLARABEL") -> np.ndarray:
    """Mixing matrix ``W`` of ``G`` by a weight rule, shape ``(N, N)``.

    Rules (``d_i`` the degree, ``A_i`` the closed neighbourhood):

    * ``"uniform"``: ``W_ij = 1/|A_i|`` for ``j in A_i`` (the paper's rule; row-stochastic,
      not symmetric unless ``G`` is regular; stationary law ``pi_i ∝ |A_i|``).
    * ``"metropolis"``: ``W_ij = 1/(1 + max(d_i, d_j))`` on edges, rest on the diagonal
      (symmetric, doubly stochastic) [2]_.
    * ``"max-degree"``: ``W_ij = 1/(1 + d_max)`` on edges, rest on the diagonal (the lazy form,
      so the chain is aperiodic; symmetric, doubly stochastic).
    * ``"data-size"``: ``W_ij = n_j / sum_{k in A_i} n_k`` for ``j in A_i`` (the paper's code);
      needs ``sizes`` ``(N,)`` > 0.
    * ``"fmmc"``: the fastest mixing chain, :func:`fastest_mixing_matrix`.
    """
    n = check_graph(G)
    if rule not in MIXING_RULES:
        raise ValueError(f"rule must be one of {MIXING_RULES}, got {rule!r}")
    if rule == "fmmc":
        return fastest_mixing_matrix(G, solver=solver)[0]
    adj = nx.to_numpy_array(G, nodelist=range(n))
    closed = adj + np.eye(n)
    deg = adj.sum(axis=1)
    if rule == "uniform":
        return closed / closed.sum(axis=1, keepdims=True)
    if rule == "data-size":
        if sizes is None:
            raise ValueError("rule='data-size' needs sizes, the client data sizes (N,)")
        s = as_array("sizes", sizes, shape=(n,))
        if np.any(s <= 0):
            raise ValueError("sizes must be > 0 for rule='data-size'")
        w = closed * s[None, :]
        return w / w.sum(axis=1, keepdims=True)
    if rule == "metropolis":
        W = adj / (1 + np.maximum(deg[:, None], deg[None, :]))
    else:  # max-degree
        W = adj / (1 + deg.max())
    W[np.diag_indices(n)] = 1 - W.sum(axis=1)
    return W


FMMC_METHODS = ("auto", "ipm", "sdp")
FMMC_SDP_MAX_N = 32          # "auto" keeps the cvxpy oracle up to this size, the IPM above
_FMMC_CACHE: dict = {}       # (N, edges, method, solver, tol) -> (W, info); forked workers inherit it
_FMMC_CACHE_SIZE = 32


def fastest_mixing_matrix(G: nx.Graph, *, method: str = "auto", solver: str = "CLARABEL",
                          tol: float = 1e-9, progress: bool = False,
                          solver_threads: int = 1) -> tuple[np.ndarray, dict]:
    """Fastest mixing Markov chain on ``G`` (Boyd, Diaconis, Xiao [1]_), edge-weight form.

    .. math::

        \\min_{w \\ge 0,\\, s} s \\quad\\text{s.t.}\\quad
        -sI \\preceq I - B\\,\\mathrm{diag}(w)\\,B^\\top - \\tfrac1N 11^\\top \\preceq sI,
        \\quad \\textstyle\\sum_{e \\ni i} w_e \\le 1,

    with ``B`` the ``(N, |E|)`` oriented incidence matrix; ``W = I - B diag(w) B^T`` is
    symmetric, doubly stochastic and supported on ``E`` plus the diagonal; ``s`` = SLEM.

    ``method``:

    * ``"ipm"``: the structure-exploiting primal-dual interior-point method of
      :mod:`theory.fmmc` on the edge weights, with a certificate (``info["dual_bound"]``, a
      lower bound on the optimal SLEM, and ``info["gap"]`` ≤ ``tol`` when ``status`` is
      ``"optimal"``). Seconds at N = 200, minutes at N = 1000.
    * ``"sdp"``: the generic SDP through cvxpy with ``solver`` (``"CLARABEL"`` or ``"SCS"``);
      the oracle the IPM is tested against. Minutes at N = 100. ``solver_threads`` caps
      Clarabel's threads (1 by default; 0 lets it choose, unsafe in a process that forks
      afterwards: :mod:`theory.solvers`).
    * ``"auto"`` (default): ``"sdp"`` for ``N <= FMMC_SDP_MAX_N``, ``"ipm"`` above.

    The complete graph is solved in closed form (``W = 11^T/N``, SLEM 0) by every method.
    Results are cached per graph in the process (forked workers inherit them).

    Returns
    -------
    W : array ``(N, N)``
    info : dict with ``method``, ``solver``, ``status``, ``slem_solver`` (the optimal ``s``),
        ``slem`` (recomputed from the spectrum of the returned ``W``), ``seconds`` and, for
        the IPM, ``dual_bound``, ``gap`` and ``iterations``.
    """
    n = check_graph(G)
    if method not in FMMC_METHODS:
        raise ValueError(f"method must be one of {FMMC_METHODS}, got {method!r}")
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    solver_threads = as_int("solver_threads", solver_threads, minimum=0)
    tol = as_float("tol", tol)
    if not 0 < tol < 1:
        raise ValueError(f"tol must lie in (0, 1), got {tol}")
    if method == "auto":
        method = "sdp" if n <= FMMC_SDP_MAX_N else "ipm"
    edges = np.array(list(G.edges), dtype=np.int64).reshape(-1, 2)
    canonical = np.sort(np.sort(edges, axis=1).view([("a", np.int64), ("b", np.int64)]), axis=0)
    key = (n, canonical.tobytes(), method, (solver, solver_threads) if method == "sdp" else None, tol)
    if key in _FMMC_CACHE:
        W, info = _FMMC_CACHE[key]
        return W.copy(), dict(info)
    import time
    start = time.perf_counter()
    if n == 1 or len(edges) == n * (n - 1) // 2:
        W = np.full((n, n), 1.0 / n)
        info = {"method": method, "solver": "closed form", "status": "optimal", "slem_solver": 0.0,
                "dual_bound": 0.0, "gap": 0.0}
    elif method == "ipm":
        from .fmmc import memory_bytes, solve_fmmc
        need, have = memory_bytes(n, len(edges)), _physical_memory()
        if need > 0.8 * have:
            raise ValueError(f"fastest mixing on N = {n} nodes and {len(edges)} edges needs about "
                             f"{need / 2**30:.3g} GiB (an (|E|+1)^2 Schur matrix), more than 80% of "
                             f"this machine's {have / 2**30:.3g} GiB; use a sparser graph")
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(desc=f"fastest mixing (N={n}, |E|={len(edges)})", unit="it", leave=False)
        try:
            w, s, res = solve_fmmc(n, edges[:, 0], edges[:, 1], tol=tol,
                                   progress=None if bar is None else
                                   lambda k, s, gap: (bar.update(1), bar.set_postfix(gap=f"{gap:.1e}")))
        finally:
            if bar is not None:
                bar.close()
        W = _weights_matrix(n, edges, w)
        info = {"method": "ipm", "solver": "theory.fmmc", "status": res["status"], "slem_solver": s,
                "dual_bound": res["dual_bound"], "gap": res["gap"], "iterations": res["iterations"]}
    else:
        W, info = _fmmc_sdp(n, edges, solver, solver_threads)
    info["slem"] = slem(W)
    info["seconds"] = time.perf_counter() - start
    if len(_FMMC_CACHE) >= _FMMC_CACHE_SIZE:
        _FMMC_CACHE.pop(next(iter(_FMMC_CACHE)))
    _FMMC_CACHE[key] = (W.copy(), dict(info))
    return W, info


def _physical_memory() -> float:
    """Bytes of physical memory (``inf`` where the platform does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return float("inf")


def _weights_matrix(n: int, edges: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``W = I - B diag(w) B^T`` with ``w`` clipped to ``>= 0`` and rescaled if a node's load
    exceeds 1 (solver slack), so the diagonal stays ``>= 0``; exactly symmetric."""
    w = np.clip(w, 0.0, None)
    load = np.bincount(edges[:, 0], w, n) + np.bincount(edges[:, 1], w, n)
    if load.max() > 1:
        w = w / load.max()
        load = load / load.max()
    W = np.zeros((n, n))
    W[edges[:, 0], edges[:, 1]] = w
    W[edges[:, 1], edges[:, 0]] = w
    W[np.diag_indices(n)] = 1.0 - load
    return W


def _fmmc_sdp(n: int, edges: np.ndarray, solver: str, threads: int) -> tuple[np.ndarray, dict]:
    """The BDX SDP through cvxpy (the oracle route of :func:`fastest_mixing_matrix`)."""
    import cvxpy as cp

    m = len(edges)
    B = np.zeros((n, m))
    B[edges[:, 0], np.arange(m)], B[edges[:, 1], np.arange(m)] = 1.0, -1.0
    w = cp.Variable(m, nonneg=True)
    s = cp.Variable()
    # vec(B diag(w) B^T) = K w with column e of K = vec(b_e b_e^T): one sparse product
    K = scipy.sparse.csr_matrix(np.einsum("ie,je->ije", B, B).reshape(n * n, m))
    lap = cp.reshape(K @ w, (n, n), order="C")
    dev = np.eye(n) - np.full((n, n), 1.0 / n) - lap
    cons = [s * np.eye(n) - dev >> 0, s * np.eye(n) + dev >> 0, np.abs(B) @ w <= 1]
    prob = cp.Problem(cp.Minimize(s), cons)
    solve_problem(prob, solver, threads=threads)
    if prob.status not in ("optimal", "optimal_inaccurate") or w.value is None:
        raise RuntimeError(f"fastest mixing SDP failed with solver {solver}: status {prob.status}")
    W = _weights_matrix(n, edges, np.asarray(w.value))
    return W, {"method": "sdp", "solver": solver, "status": prob.status, "slem_solver": float(s.value)}


# ----------------------------------------------------------------- spectra
def _eigvals(W: np.ndarray) -> np.ndarray:
    if np.allclose(W, W.T, atol=1e-12, rtol=0):
        return np.linalg.eigvalsh((W + W.T) / 2).astype(complex)
    return np.linalg.eigvals(W)


def slem(W) -> float:
    """Second largest eigenvalue modulus of a row-stochastic ``W`` (eigenvalue 1 removed once).

    Works for non-symmetric ``W`` too; for symmetric doubly stochastic ``W`` equals
    ``||W - 11^T/N||_2``.
    """
    W = check_mixing_matrix(W)
    if W.shape[0] == 1:
        return 0.0
    ev = _eigvals(W)
    ev = np.delete(ev, np.argmin(np.abs(ev - 1.0)))
    return float(np.max(np.abs(ev)))


def spectral_gap(W) -> float:
    """``1 - slem(W)`` (the SLEM-based spectral gap)."""
    return 1.0 - slem(W)


def lambda2(W) -> float:
    """Second largest eigenvalue of ``W`` (requires a real spectrum, e.g. reversible chains)."""
    W = check_mixing_matrix(W)
    if W.shape[0] == 1:
        raise ValueError("lambda2 needs N >= 2")
    ev = _eigvals(W)
    if np.max(np.abs(ev.imag)) > 1e-9:
        raise ValueError("W has a complex spectrum; lambda2 is defined for real spectra, use slem")
    return float(np.sort(ev.real)[-2])


def stationary_distribution(W) -> np.ndarray:
    """The unique ``pi >= 0``, ``sum pi = 1``, with ``pi^T W = pi^T``, shape ``(N,)``.

    For the uniform rule on a connected graph this is ``pi_i = |A_i| / sum_j |A_j|``.
    Raises if the eigenvalue 1 is not simple (reducible ``W``).
    """
    W = check_mixing_matrix(W)
    n = W.shape[0]
    ns = scipy.linalg.null_space(W.T - np.eye(n), rcond=1e-10)
    if ns.shape[1] != 1:
        raise ValueError(f"W must be irreducible: eigenvalue 1 has multiplicity {ns.shape[1]}")
    pi = ns[:, 0] / ns[:, 0].sum()
    if np.min(pi) < -1e-10:
        raise ValueError("W has no nonnegative stationary distribution")
    return np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()
