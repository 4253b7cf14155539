"""Hypothesis strategies for property-testing claims about the toolkit's objects.

Each strategy builds a *valid* object directly (no filtering): connected graphs from seeded
generators that are connected by construction, SPD matrices as ``A A^T + eps I``, models with
parameters inside their documented ranges.

Two promises to the user of these strategies:

- **Bad arguments fail at construction.** Every strategy checks its arguments when it is
  called (``connected_graphs(max_nodes=2)`` raises ``ValueError`` at once), not after a few
  examples have been drawn.
- **Falsifying examples rebuild.** A drawn graph prints as ``nx.Graph([(0, 1), ...])`` (its
  node and edge lists), and NumPy arrays print as ``np.array([[...]])`` with every float in full
  precision, so the example hypothesis reports can be pasted back to reproduce the failure.
  (Importing this module registers that array printer with hypothesis's pretty printer.)

Example
-------
>>> from hypothesis import given
>>> from proofs_check.engine import strategies as st_
>>> @given(st_.connected_graphs(max_nodes=8))
... def test_gap_positive(G):
...     from theory.topology import mixing_matrix, spectral_gap
...     assert spectral_gap(mixing_matrix(G, "metropolis")) > 0
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import strategies as st

from theory import topology

from .search import SearchSpace, joint
from theory.paper_model import PaperModel
from theory.validation import as_float, as_int

GRAPH_FAMILIES = ("paper-general", "paper-uniform", "ring", "path", "star", "complete", "tree",
                  "exponential", "barbell", "lollipop")


class ReproducibleGraph(nx.Graph):
    """An ``nx.Graph`` whose ``repr`` is Python that rebuilds it (nodes, then edges)."""

    def __repr__(self) -> str:
        if any("weight" in data for *_, data in self.edges(data=True)):
            edges = sorted((*sorted((u, v)), w) for u, v, w in self.edges(data="weight", default=1.0))
            return f"weighted_graph({edges!r})"
        edges = sorted(tuple(sorted(e)) for e in self.edges)
        nodes = list(self.nodes)
        if list(dict.fromkeys(v for e in edges for v in e)) == nodes:   # same node order
            return f"nx.Graph({edges!r})"
        return f"graph_from_lists({nodes!r}, {edges!r})"


def graph_from_lists(nodes: list, edges: list) -> nx.Graph:
    """The graph with ``nodes`` and ``edges`` (how a printed example with isolated or
    non-consecutive nodes rebuilds)."""
    G = nx.Graph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


def weighted_graph(edges: list) -> nx.Graph:
    """The graph with weighted ``edges`` ``[(u, v, weight), ...]`` (how a printed weighted
    graph rebuilds)."""
    G = ReproducibleGraph()
    G.add_nodes_from(sorted({v for e in edges for v in e[:2]}))
    G.add_weighted_edges_from(edges)
    return G


def _reproducible(G: nx.Graph) -> ReproducibleGraph:
    out = ReproducibleGraph()
    out.add_nodes_from(G.nodes)
    out.add_edges_from(G.edges)
    return out


def _array_printer(obj, p, cycle) -> None:
    p.text(f"np.array({obj.tolist()!r}, dtype=np.{obj.dtype.name})")


try:  # hypothesis's pretty printer prints falsifying examples; teach it arrays that rebuild
    from hypothesis.vendor.pretty import for_type_by_name

    for_type_by_name("numpy", "ndarray", _array_printer)
except ImportError:  # pragma: no cover  (an older or newer hypothesis without it: plain repr)
    pass


def _at_least(name: str, value: float, low: float) -> float:
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def _choices_arg(name: str, values, allowed) -> tuple:
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a tuple of names from {tuple(allowed)}, got {values!r}")
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} must name at least one of {tuple(allowed)}")
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"{name}: unknown {unknown}; allowed: {tuple(allowed)}")
    return values


def connected_graphs(min_nodes: int = 3, max_nodes: int = 12,
                     families: tuple[str, ...] = GRAPH_FAMILIES) -> st.SearchStrategy:
    """Connected graphs on ``min_nodes..max_nodes`` nodes from the given families.

    ``min_nodes >= 3`` when ``ring`` is among the families (a ring needs 3 nodes), else ``>= 2``;
    ``max_nodes`` in ``[min_nodes, 200]``. Graphs print as the ``nx.Graph([...])`` that rebuilds
    them.
    """
    families = _choices_arg("families", families, GRAPH_FAMILIES)
    min_nodes = as_int("min_nodes", min_nodes, minimum=3 if "ring" in families else 2)
    max_nodes = as_int("max_nodes", max_nodes, minimum=min_nodes, maximum=200)
    return _connected_graphs(min_nodes, max_nodes, families).map(_reproducible)


@st.composite
def _connected_graphs(draw, min_nodes: int, max_nodes: int, families: tuple[str, ...]) -> nx.Graph:
    n = draw(st.integers(min_nodes, max_nodes))
    family = draw(st.sampled_from(families))
    seed = draw(st.integers(0, 2**32 - 1))
    if family == "paper-general":
        lo = 1 + 2 * (n - 1) / n
        c = draw(st.floats(lo, float(n)))
        return topology.paper_graph(n, c, "general", seed)
    if family == "paper-uniform":
        degrees = [k for k in range(2, n) if (n * k) % 2 == 0] or [n - 1]
        k = draw(st.sampled_from(degrees))
        return topology.paper_graph(n, k + 1, "uniform", seed)
    return _family_graph(family, n, seed)


def _family_graph(family: str, n: int, seed: int = 0) -> nx.Graph:
    """The ``n``-node graph of a deterministic family (random ones seeded by ``seed``)."""
    if family == "ring" and n >= 3:
        return topology.ring_graph(n)
    if family == "star":
        return topology.star_graph(n)
    if family == "complete":
        return topology.complete_graph(n)
    if family == "tree":
        return nx.random_labeled_tree(n, seed=seed)
    if family == "exponential":
        return topology.exponential_graph(n)
    if family == "barbell" and n >= 4:   # two cliques of m nodes joined by a path of n - 2m
        m = max(2, n // 3)
        return nx.barbell_graph(m, n - 2 * m)
    if family == "lollipop" and n >= 3:  # a clique of m nodes with a path of n - m attached
        m = max(3, n // 2) if n >= 4 else 3
        return nx.lollipop_graph(m, n - m)
    return topology.path_graph(n)                      # "path", and tiny rings/barbells


def spd_matrices(d: int, *, eps: float = 1e-3, scale: float = 3.0) -> st.SearchStrategy:
    """Symmetric positive definite ``(d, d)`` matrices ``A A^T + eps I`` (``d >= 1``,
    ``eps > 0``, ``scale > 0``)."""
    d = as_int("d", d, minimum=1, maximum=2000)
    eps = as_float("eps", eps, positive=True)
    scale = as_float("scale", scale, positive=True)
    return _spd_matrices(d, eps, scale)


@st.composite
def _spd_matrices(draw, d: int, eps: float, scale: float) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    a = scale * np.random.default_rng(seed).standard_normal((d, d)) / np.sqrt(d)
    return a @ a.T + eps * np.eye(d)


def paper_models(max_clients: int = 4, max_extra_dim: int = 6,
                 q_laws: tuple = ((0.0, 1.0), (-1.0, 1.0))) -> st.SearchStrategy:
    """:class:`theory.paper_model.PaperModel` instances with free scalings and rare classes
    (``max_clients >= 2``, ``max_extra_dim >= 0``, ``q_laws`` a non-empty tuple of value pairs)."""
    max_clients = as_int("max_clients", max_clients, minimum=2, maximum=100)
    max_extra_dim = as_int("max_extra_dim", max_extra_dim, minimum=0, maximum=1000)
    if not isinstance(q_laws, tuple) or not q_laws or not all(
            isinstance(q, tuple) and len(q) == 2 for q in q_laws):
        raise ValueError(f"q_laws must be a non-empty tuple of (low, high) pairs, got {q_laws!r}")
    return _paper_models(max_clients, max_extra_dim, q_laws)


@st.composite
def _paper_models(draw, max_clients: int, max_extra_dim: int, q_laws: tuple) -> PaperModel:
    n = draw(st.integers(2, max_clients))
    d = 2 * n + draw(st.integers(0, max_extra_dim))
    tau = draw(st.floats(0.1, 4.0))
    mu = draw(st.floats(0.05, 2.0))
    r = draw(st.floats(0.0, 1.0))
    rare = [draw(st.sampled_from([h for h in range(2 * n) if h not in (2 * i, 2 * i + 1)]))
            for i in range(n)]
    q = draw(st.sampled_from(q_laws))
    return PaperModel(d, n, tau=tau, mu=mu, rare_fraction=r, rare_classes=rare, q_values=q)


def dirichlet_alphas(min_value: float = 0.05, max_value: float = 100.0) -> st.SearchStrategy:
    """Dirichlet concentrations, drawn log-uniformly-ish via floats on ``[min, max]``
    (``0 < min_value <= max_value``)."""
    min_value = as_float("min_value", min_value, positive=True)
    max_value = _at_least("max_value", as_float("max_value", max_value), min_value)
    return st.floats(np.log(min_value), np.log(max_value)).map(lambda t: float(np.exp(t)))


def conditioned_spd_matrices(d: int, *, max_condition: float = 1e3) -> st.SearchStrategy:
    """SPD ``(d, d)`` matrices ``Q diag(lambda) Q^T`` with condition number in ``[1, max_condition]``
    (eigenvalues log-spaced between ``1/kappa`` and 1, ``Q`` a random rotation)."""
    d = as_int("d", d, minimum=1, maximum=2000)
    max_condition = _at_least("max_condition", as_float("max_condition", max_condition), 1.0)
    return _conditioned_spd_matrices(d, max_condition)


@st.composite
def _conditioned_spd_matrices(draw, d: int, max_condition: float) -> np.ndarray:
    kappa = draw(st.floats(1.0, max_condition))
    seed = draw(st.integers(0, 2**32 - 1))
    q = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]
    lam = np.logspace(-np.log10(kappa), 0, d)
    return (q * lam) @ q.T


SYMMETRIC_RULES = ("metropolis", "max-degree")
NONREVERSIBLE_RULES = ("uniform",)


def mixing_matrices(rules: tuple[str, ...] = SYMMETRIC_RULES, min_nodes: int = 3,
                    max_nodes: int = 12, *, symmetric: bool = True) -> st.SearchStrategy:
    """``(G, W)``: a connected graph and one of its mixing matrices by a weight rule.

    Symmetric doubly stochastic rules by default (``metropolis``, ``max-degree``; ``fmmc`` is
    allowed but slow). The paper's ``uniform`` rule is row-stochastic and not reversible in
    general: ask for it with ``symmetric=False``. For matrices beyond rules on graphs (any
    edge weights, Birkhoff combinations, negative eigenvalues dominant) see
    :func:`doubly_stochastic_matrices`.
    """
    allowed = SYMMETRIC_RULES + ("fmmc",) + (() if symmetric else NONREVERSIBLE_RULES)
    if symmetric and not isinstance(rules, str) and any(r in NONREVERSIBLE_RULES for r in rules):
        raise ValueError(f"rules: {NONREVERSIBLE_RULES} give non-symmetric matrices; pass "
                         f"symmetric=False to draw them, got {rules!r}")
    rules = _choices_arg("rules", rules, allowed)
    graphs = connected_graphs(min_nodes, max_nodes)
    return _mixing_matrices(rules, graphs)


@st.composite
def _mixing_matrices(draw, rules: tuple[str, ...], graphs):
    G = draw(graphs)
    rule = draw(st.sampled_from(rules))
    return G, topology.mixing_matrix(G, rule)


def gaussian_mixtures(max_components: int = 4, max_dim: int = 6) -> st.SearchStrategy:
    """:class:`theory.mixtures.GaussianMixture` with random means and covariances
    (``max_components >= 2``, ``max_dim >= 2``)."""
    return _gaussian_mixtures(as_int("max_components", max_components, minimum=2, maximum=1000),
                              as_int("max_dim", max_dim, minimum=2, maximum=2000))


@st.composite
def _gaussian_mixtures(draw, max_components: int, max_dim: int):
    from theory.mixtures import GaussianMixture

    k = draw(st.integers(2, max_components))
    d = draw(st.integers(2, max_dim))
    sep = draw(st.floats(0.0, 5.0))
    seed = draw(st.integers(0, 2**32 - 1))
    return GaussianMixture.random(k, d, separation=sep, rng=seed)


SPLIT_METHODS = ("iid", "dirichlet-class", "dirichlet-client", "balanced")


def dirichlet_splits(n_classes: int = 4, max_clients: int = 8,
                     methods: tuple[str, ...] = SPLIT_METHODS) -> st.SearchStrategy:
    """:class:`theory.splits.ClientSplit` of a balanced label set of ``n_classes`` classes, 25
    labels each (``n_classes >= 2``, ``max_clients >= 2``)."""
    return _dirichlet_splits(as_int("n_classes", n_classes, minimum=2, maximum=1000),
                             as_int("max_clients", max_clients, minimum=2, maximum=1000),
                             _choices_arg("methods", methods, SPLIT_METHODS))


@st.composite
def _dirichlet_splits(draw, n_classes: int, max_clients: int, methods: tuple[str, ...]):
    from theory.splits import split_clients

    n = draw(st.integers(2, max_clients))
    method = draw(st.sampled_from(methods))
    alpha = draw(dirichlet_alphas())
    seed = draw(st.integers(0, 2**32 - 1))
    labels = np.repeat(np.arange(n_classes), 25)
    return split_clients(labels, n, method, alpha=alpha, rng=seed)


# ================================================================== parametrised strategies
# Each strategy below carries a SearchSpace (proofs_check.engine.search): a discrete structure
# and real parameters theta that any real vector may take, so worst_case() can refine a drawn
# value with an optimiser, and named instances where bounds of the kind are tight or break.

def _snap(x: float) -> float:
    return 0.0 if abs(x) < 1e-6 else x


def _theta(k: int, limit: float) -> st.SearchStrategy:
    """``k`` parameters in ``[-limit, limit]``; magnitudes below ``1e-6`` snap to 0 (hypothesis
    likes subnormal floats, which only test round-off, not the bound)."""
    return st.lists(st.floats(-limit, limit, allow_nan=False, allow_infinity=False).map(_snap),
                    min_size=k, max_size=k).map(tuple)


def _structure_of(G: nx.Graph) -> tuple:
    return (G.number_of_nodes(), tuple(sorted(tuple(sorted(e)) for e in G.edges)))


def _named_sizes(min_nodes: int, max_nodes: int) -> list[int]:
    return sorted({n for n in (4, 6, max_nodes) if min_nodes <= n <= max_nodes} or {min_nodes})


WEIGHTED_FAMILIES = ("path", "ring", "star", "tree", "barbell", "lollipop", "exponential",
                     "complete", "paper-general")


def weighted_graphs(min_nodes: int = 3, max_nodes: int = 8,
                    families: tuple[str, ...] = WEIGHTED_FAMILIES, *,
                    decades: float = 4.0) -> st.SearchStrategy:
    """Connected graphs with positive edge weights spanning ``decades`` orders of magnitude.

    Covers: weighted forms of every family in ``families`` (paths, rings, stars, random trees,
    barbells, lollipops, exponential graphs, complete graphs, the paper's random graphs), edge
    weights ``w_e = 10^{(decades/2) tanh(theta_e / 2)}`` from ``10^{-decades/2}`` to
    ``10^{decades/2}``. Named instances: each family at 4, 6 and ``max_nodes`` nodes with unit
    weights, one light edge and one heavy edge. Parameters: one real per edge. Values are
    :class:`ReproducibleGraph` with a ``weight`` on every edge (they print as the
    ``weighted_graph([...])`` call that rebuilds them).
    """
    families = _choices_arg("families", families, GRAPH_FAMILIES)
    min_nodes = as_int("min_nodes", min_nodes, minimum=2)       # a 2-node "ring" is a path
    max_nodes = as_int("max_nodes", max_nodes, minimum=min_nodes, maximum=200)
    decades = as_float("decades", decades, positive=True)
    half = decades / 2

    def build(structure, theta):
        n, edges = structure
        w = 10.0 ** (half * np.tanh(np.asarray(theta) / 2))
        G = ReproducibleGraph()
        G.add_nodes_from(range(n))
        G.add_weighted_edges_from((u, v, float(x)) for (u, v), x in zip(edges, w))
        return G

    @st.composite
    def points(draw):
        G = draw(_connected_graphs(min_nodes, max_nodes, families))
        structure = _structure_of(G)
        return structure, draw(_theta(len(structure[1]), 6.0))

    named = []
    for fam in families:
        if fam.startswith("paper") or fam == "tree":
            continue
        for n in _named_sizes(min_nodes, max_nodes):
            structure = _structure_of(_family_graph(fam, n))
            m = len(structure[1])
            named.append((f"{fam}-{n} unit weights", structure, (0.0,) * m))
            named.append((f"{fam}-{n} light first edge", structure, (-6.0,) + (0.0,) * (m - 1)))
            named.append((f"{fam}-{n} heavy first edge", structure, (6.0,) + (0.0,) * (m - 1)))
    return SearchSpace("weighted_graphs", points(), build, tuple(named),
                       f"weighted connected graphs, {min_nodes}..{max_nodes} nodes, weights over "
                       f"{decades:g} decades").strategy()


def _sym_ds_on_graph(n: int, edges, theta) -> np.ndarray:
    """``W = I - sum_e w_e (e_u - e_v)(e_u - e_v)^T`` with ``w_e = s_e / max(d_u, d_v)``,
    ``s_e = clip((theta_e + 2)/4, 1e-3, 1)``: symmetric, doubly stochastic, ``W_ii >= 0``."""
    u, v = np.asarray(edges, dtype=int).reshape(-1, 2).T
    deg = np.bincount(np.concatenate([u, v]), minlength=n)
    w = np.clip((np.asarray(theta, dtype=float) + 2.0) / 4.0, 1e-3, 1.0) / np.maximum(deg[u], deg[v])
    W = np.zeros((n, n))
    W[u, v] = W[v, u] = w
    return W + np.diag(1.0 - W.sum(axis=1))


def _sym_ds_birkhoff(n: int, perms, theta) -> np.ndarray:
    """``W = sum_k p_k (P_k + P_k^T)/2`` with ``p = softmax(theta)``: symmetric doubly stochastic."""
    from scipy.special import softmax

    p = softmax(np.asarray(theta, dtype=float))
    W = np.zeros((n, n))
    rows = np.arange(n)
    for pk, perm in zip(p, perms):
        np.add.at(W, (rows, np.asarray(perm)), pk / 2)
        np.add.at(W, (np.asarray(perm), rows), pk / 2)
    return W


DS_KINDS = ("graph", "birkhoff")


def doubly_stochastic_matrices(min_nodes: int = 2, max_nodes: int = 8, *,
                               kinds: tuple[str, ...] = DS_KINDS, lazy: bool | None = None,
                               with_vector: bool = False,
                               families: tuple[str, ...] = GRAPH_FAMILIES) -> st.SearchStrategy:
    """Symmetric doubly stochastic ``(n, n)`` matrices, beyond the weight rules on graphs.

    Covers two kinds:

    - ``"graph"``: any symmetric weights on a connected graph from :func:`connected_graphs`'
      families, ``W = I - sum_e w_e (e_u - e_v)(e_u - e_v)^T`` with ``w_e = s_e / max(d_u, d_v)``
      and ``s_e`` in ``[1e-3, 1]``: from almost-identity to matrices with a zero diagonal (so
      bipartite regular graphs reach the eigenvalue -1 exactly, and SLEM is often set by the
      most negative eigenvalue);
    - ``"birkhoff"``: convex combinations ``sum_k p_k (P_k + P_k^T)/2`` of 1 to 4 permutations
      (perfect matchings among them, whose eigenvalues are +-1), with no graph behind them.

    ``lazy=True`` returns ``(I + W)/2`` (spectrum in ``[0, 1]``), ``False`` the matrix as built,
    ``None`` either. ``with_vector=True`` returns ``(W, x)`` with a vector ``x`` of ``R^n`` in the
    parameters too (for bounds on ``W^t x``). ``families`` restricts the graphs of the
    ``"graph"`` kind (:data:`GRAPH_FAMILIES`). Named instances: even rings with a zero diagonal,
    paths, stars and complete graphs at full weights, and a perfect matching.
    """
    kinds = _choices_arg("kinds", kinds, DS_KINDS)
    families = _choices_arg("families", families, GRAPH_FAMILIES)
    min_nodes = as_int("min_nodes", min_nodes, minimum=2)
    max_nodes = as_int("max_nodes", max_nodes, minimum=min_nodes, maximum=200)
    if lazy not in (None, True, False):
        raise TypeError(f"lazy must be True, False or None, got {lazy!r}")
    lazies = (False, True) if lazy is None else (lazy,)

    def build(structure, theta):
        kind, n, support, lz, m = structure
        W = (_sym_ds_on_graph(n, support, theta[:m]) if kind == "graph"
             else _sym_ds_birkhoff(n, support, theta[:m]))
        if lz:
            W = (np.eye(n) + W) / 2
        return (W, np.asarray(theta[m:], dtype=float)) if with_vector else W

    @st.composite
    def points(draw):
        kind = draw(st.sampled_from(kinds))
        lz = draw(st.sampled_from(lazies))
        if kind == "graph":
            G = draw(_connected_graphs(min_nodes, max_nodes, families))
            n, support = _structure_of(G)
        else:
            n = draw(st.integers(min_nodes, max_nodes))
            k = draw(st.integers(1, 4))
            support = tuple(tuple(draw(st.permutations(range(n)))) for _ in range(k))
        m = len(support)
        theta = draw(_theta(m + (n if with_vector else 0), 4.0))
        return (kind, n, support, lz, m), theta

    named = []
    for n in _named_sizes(max(min_nodes, 3), max_nodes):
        for fam in ("ring", "path", "star", "complete"):
            if fam not in families or (fam == "ring" and n < 3):
                continue
            _, support = _structure_of(_family_graph(fam, n))
            m = len(support)
            vec = tuple(np.cos(np.pi * np.arange(n) * (n // 2) / n * 2)) if with_vector else ()
            for lz in lazies:
                if "graph" in kinds:
                    named.append((f"{fam}-{n} full weights{' lazy' if lz else ''}",
                                  ("graph", n, support, lz, m), (2.0,) * m + vec))
        if "birkhoff" in kinds and n % 2 == 0:
            matching = tuple(int(i ^ 1) for i in range(n))
            vec = tuple(float((-1) ** i) for i in range(n)) if with_vector else ()
            for lz in lazies:
                named.append((f"perfect matching on {n}{' lazy' if lz else ''}",
                              ("birkhoff", n, (matching,), lz, 1), (0.0,) + vec))
    return SearchSpace("doubly_stochastic_matrices", points(), build, tuple(named),
                       f"symmetric doubly stochastic matrices, {min_nodes}..{max_nodes} nodes "
                       f"({', '.join(kinds)})").strategy()


def _rotation(d: int, m) -> np.ndarray:
    """An orthogonal matrix from the QR factor of ``I + M`` (``I`` itself at ``M = 0``)."""
    q, r = np.linalg.qr(np.eye(d) + np.asarray(m, dtype=float).reshape(d, d))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def symmetric_matrices(d: int, *, psd: bool = False, scale: float = 2.0) -> st.SearchStrategy:
    """Symmetric ``(d, d)`` matrices ``Q diag(lambda) Q^T`` parametrised by the spectrum.

    Covers: eigenvalues in ``[-scale, scale]`` (``[0, scale]`` with ``psd=True``; any real after
    refinement) including exact ties and near-ties (hypothesis draws repeated and simple values
    often), indefinite spectra, and rotations ``Q`` from axis-aligned (``Q = I``, diagonal
    matrices) to generic. Parameters: ``d`` eigenvalues, then ``d * d`` entries of ``M`` in
    ``Q = qr(I + M)``. Named instances: diagonal matrices with a crossing, a tie, and a
    one-sided spectrum.
    """
    d = as_int("d", d, minimum=1, maximum=50)
    scale = as_float("scale", scale, positive=True)

    def build(structure, theta):
        lam = np.abs(theta[:d]) if psd else np.asarray(theta[:d])
        Q = _rotation(d, theta[d:])
        return (Q * lam) @ Q.T

    points = st.tuples(st.just(d), _theta(d, scale).flatmap(
        lambda lam: _theta(d * d, 1.0).map(lambda rot: lam + rot)))
    zeros = (0.0,) * (d * d)
    named = []
    if d >= 2:
        named.append(("diag(1, 0, ...)", d, (1.0,) + (0.0,) * (d - 1) + zeros))
        named.append(("diag(1, 1, 0, ...)", d, (1.0, 1.0) + (0.0,) * (d - 2) + zeros))
        if not psd:
            named.append(("diag(-0.55, 0.55, 0, ...)", d, (-0.55, 0.55) + (0.0,) * (d - 2) + zeros))
            named.append(("diag(1, -1, 0, ...)", d, (1.0, -1.0) + (0.0,) * (d - 2) + zeros))
    named.append(("identity", d, (1.0,) * d + zeros))
    return SearchSpace(f"symmetric_matrices({d}{', psd' if psd else ''})", points, build,
                       tuple(named), f"symmetric {d}x{d} matrices by spectrum and rotation"
                       + (" (PSD)" if psd else " (indefinite allowed)")).strategy()


def perturbed_spectra(d: int, *, psd: bool = False) -> st.SearchStrategy:
    """Pairs ``(X, E)``: a symmetric matrix and an *indefinite* symmetric perturbation.

    Covers what perturbation bounds (Weyl, Davis-Kahan, Hoffman-Wielandt) are weakest on: ``X``
    with near-tied or tied eigenvalues, ``E`` of either sign and of a size comparable to the
    eigengap, so eigenvalues of ``X + E`` cross; both rotated freely. ``psd=True`` keeps ``X``
    positive semidefinite (``E`` stays indefinite). Named instances include
    ``X = diag(1, 0)``, ``E = diag(-0.55, 0.55)``.
    """
    return joint(symmetric_matrices(d, psd=psd), symmetric_matrices(d, scale=1.0))


def real_matrices(rows: int, cols: int, *, scale: float = 2.0) -> st.SearchStrategy:
    """Real ``(rows, cols)`` matrices, parametrised by their entries (in ``[-scale, scale]``
    when drawn). Named instances: the rank-one ``e_1 e_1^T``, all ones, and the identity-like
    ``[I 0]``."""
    rows = as_int("rows", rows, minimum=1, maximum=200)
    cols = as_int("cols", cols, minimum=1, maximum=200)
    scale = as_float("scale", scale, positive=True)
    k = rows * cols

    def build(structure, theta):
        return np.asarray(theta, dtype=float).reshape(rows, cols).copy()

    e11 = (1.0,) + (0.0,) * (k - 1)
    eye = tuple(float(i == j) for i in range(rows) for j in range(cols))
    named = (("e1 e1^T", (rows, cols), e11), ("ones", (rows, cols), (1.0,) * k),
             ("[I 0]", (rows, cols), eye))
    return SearchSpace(f"real_matrices({rows}, {cols})", st.tuples(st.just((rows, cols)),
                                                                     _theta(k, scale)),
                       build, named, f"real {rows}x{cols} matrices by entries").strategy()


def vectors(n: int, *, scale: float = 2.0) -> st.SearchStrategy:
    """Vectors of ``R^n`` (entries in ``[-scale, scale]`` when drawn); named: ``e_1``, all ones,
    alternating signs."""
    n = as_int("n", n, minimum=1, maximum=10000)
    scale = as_float("scale", scale, positive=True)
    named = (("e1", n, (1.0,) + (0.0,) * (n - 1)), ("ones", n, (1.0,) * n),
             ("alternating", n, tuple(float((-1) ** i) for i in range(n))))
    return SearchSpace(f"vectors({n})", st.tuples(st.just(n), _theta(n, scale)),
                       lambda s, theta: np.asarray(theta, dtype=float).copy(), named,
                       f"vectors of R^{n}").strategy()
