"""Hypothesis strategies for property-testing claims about the toolkit's objects.

Each strategy builds a *valid* object directly (no filtering): connected graphs from seeded
generators that are connected by construction, SPD matrices as ``A A^T + eps I``, models with
parameters inside their documented ranges.

Example
-------
>>> from hypothesis import given
>>> from proofs_check import strategies as st_
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

GRAPH_FAMILIES = ("paper-general", "paper-uniform", "ring", "path", "star", "complete", "tree")


@st.composite
def connected_graphs(draw, min_nodes: int = 3, max_nodes: int = 12,
                     families: tuple[str, ...] = GRAPH_FAMILIES) -> nx.Graph:
    """Connected graphs on ``min_nodes..max_nodes`` nodes from the given families."""
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
        return topology.ring_graph(max(n, 3))
    if family == "path":
        return topology.path_graph(n)
    if family == "star":
        return topology.star_graph(n)
    if family == "complete":
        return topology.complete_graph(n)
    if family == "tree":
        return nx.random_labeled_tree(n, seed=seed)
    raise ValueError(f"unknown graph family {family!r}; choose from {GRAPH_FAMILIES}")


@st.composite
def spd_matrices(draw, d: int, *, eps: float = 1e-3, scale: float = 3.0) -> np.ndarray:
    """Symmetric positive definite ``(d, d)`` matrices ``A A^T + eps I``."""
    seed = draw(st.integers(0, 2**32 - 1))
    a = scale * np.random.default_rng(seed).standard_normal((d, d)) / np.sqrt(d)
    return a @ a.T + eps * np.eye(d)


@st.composite
def paper_models(draw, max_clients: int = 4, max_extra_dim: int = 6,
                 q_laws: tuple = ((0.0, 1.0), (-1.0, 1.0))) -> PaperModel:
    """:class:`theory.paper_model.PaperModel` instances with free scalings and rare classes."""
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
    """Dirichlet concentrations, drawn log-uniformly-ish via floats on ``[min, max]``."""
    return st.floats(np.log(min_value), np.log(max_value)).map(lambda t: float(np.exp(t)))


@st.composite
def conditioned_spd_matrices(draw, d: int, *, max_condition: float = 1e3) -> np.ndarray:
    """SPD ``(d, d)`` matrices ``Q diag(lambda) Q^T`` with condition number in ``[1, max_condition]``
    (eigenvalues log-spaced between ``1/kappa`` and 1, ``Q`` a random rotation)."""
    kappa = draw(st.floats(1.0, max_condition))
    seed = draw(st.integers(0, 2**32 - 1))
    q = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]
    lam = np.logspace(-np.log10(kappa), 0, d)
    return (q * lam) @ q.T


@st.composite
def mixing_matrices(draw, rules: tuple[str, ...] = ("uniform", "metropolis", "max-degree"),
                    min_nodes: int = 3, max_nodes: int = 12):
    """``(G, W)``: a connected graph and one of its mixing matrices (fmmc left out: slow)."""
    G = draw(connected_graphs(min_nodes, max_nodes))
    rule = draw(st.sampled_from(rules))
    return G, topology.mixing_matrix(G, rule)


@st.composite
def gaussian_mixtures(draw, max_components: int = 4, max_dim: int = 6):
    """:class:`theory.mixtures.GaussianMixture` with random means and covariances."""
    from theory.mixtures import GaussianMixture

    k = draw(st.integers(2, max_components))
    d = draw(st.integers(2, max_dim))
    sep = draw(st.floats(0.0, 5.0))
    seed = draw(st.integers(0, 2**32 - 1))
    return GaussianMixture.random(k, d, separation=sep, rng=seed)


@st.composite
def dirichlet_splits(draw, n_classes: int = 4, max_clients: int = 8,
                     methods: tuple[str, ...] = ("iid", "dirichlet-class", "dirichlet-client",
                                                 "balanced")):
    """:class:`theory.splits.ClientSplit` of a balanced label set of ``n_classes`` classes."""
    from theory.splits import split_clients

    n = draw(st.integers(2, max_clients))
    method = draw(st.sampled_from(methods))
    alpha = draw(dirichlet_alphas())
    seed = draw(st.integers(0, 2**32 - 1))
    labels = np.repeat(np.arange(n_classes), 25)
    return split_clients(labels, n, method, alpha=alpha, rng=seed)
