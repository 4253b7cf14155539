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
from theory.paper_model import PaperModel
from theory.validation import as_float, as_int

GRAPH_FAMILIES = ("paper-general", "paper-uniform", "ring", "path", "star", "complete", "tree")


class ReproducibleGraph(nx.Graph):
    """An ``nx.Graph`` whose ``repr`` is Python that rebuilds it (nodes, then edges)."""

    def __repr__(self) -> str:
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
    if family == "ring":
        return topology.ring_graph(n)
    if family == "path":
        return topology.path_graph(n)
    if family == "star":
        return topology.star_graph(n)
    if family == "complete":
        return topology.complete_graph(n)
    return nx.random_labeled_tree(n, seed=seed)        # "tree"


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


def mixing_matrices(rules: tuple[str, ...] = ("uniform", "metropolis", "max-degree"),
                    min_nodes: int = 3, max_nodes: int = 12) -> st.SearchStrategy:
    """``(G, W)``: a connected graph and one of its mixing matrices (fmmc allowed, but slow)."""
    rules = _choices_arg("rules", rules, ("uniform", "metropolis", "max-degree", "fmmc"))
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
