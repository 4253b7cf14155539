"""The fast fastest-mixing route (theory.fmmc) against closed forms, the cvxpy oracle and its own
certificate (issue 28, items 1-2)."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import topology as T
from theory.fmmc import dual_bound, solve_fmmc


def _edges(G):
    e = np.array(list(G.edges), dtype=np.int64)
    return e[:, 0], e[:, 1]


def _edge_transitive_optimum(G):
    """BDX optimum on an edge-transitive graph: by convexity and symmetry an optimal ``w`` is
    constant, so SLEM* = min over ``0 <= w <= 1/d_max`` of ``max |1 - w λ|`` over the nonzero
    Laplacian eigenvalues, attained at ``w = min(2/(λ_2 + λ_max), 1/d_max)``."""
    lap = nx.laplacian_matrix(G).toarray().astype(float)
    ev = np.sort(np.linalg.eigvalsh(lap))
    l2, lmax = ev[1], ev[-1]
    dmax = max(d for _, d in G.degree)
    w = min(2.0 / (l2 + lmax), 1.0 / dmax)
    return max(abs(1 - w * l2), abs(1 - w * lmax))


EDGE_TRANSITIVE = {
    "cycle 9": nx.cycle_graph(9),
    "cycle 12": nx.cycle_graph(12),
    "star 8": nx.star_graph(7),
    "hypercube 4": nx.convert_node_labels_to_integers(nx.hypercube_graph(4)),
    "K_{3,5}": nx.complete_bipartite_graph(3, 5),
    "torus 5x5": nx.convert_node_labels_to_integers(nx.grid_2d_graph(5, 5, periodic=True)),
    "Petersen": nx.petersen_graph(),
}


@pytest.mark.parametrize("name", sorted(EDGE_TRANSITIVE))
def test_ipm_meets_the_edge_transitive_closed_form(name):
    G = EDGE_TRANSITIVE[name]
    i, j = _edges(G)
    w, s, info = solve_fmmc(G.number_of_nodes(), i, j, tol=1e-9)
    assert info["status"] == "optimal" and info["gap"] <= 1e-9
    exact = _edge_transitive_optimum(G)
    assert info["dual_bound"] - 1e-12 <= exact <= s + 1e-12
    assert abs(s - exact) <= 1e-8


@pytest.mark.parametrize("n", [2, 5, 10, 17])
def test_ipm_meets_the_path_closed_form(n):
    """BDX §5.1: on the path the optimum is w = 1/2 on every edge, SLEM cos(π/n)."""
    w, s, info = solve_fmmc(n, np.arange(n - 1), np.arange(1, n), tol=1e-10)
    assert abs(s - np.cos(np.pi / n)) <= 1e-9
    assert np.allclose(w, 0.5, atol=1e-6)


def _random_graph(n, seed):
    return T.erdos_renyi_graph(n, min(n, 2 + 0.2 * n), seed)


@pytest.mark.parametrize("n,seed", [(12, 0), (20, 1), (30, 2), (40, 3)])
def test_ipm_agrees_with_clarabel(n, seed):
    G = _random_graph(n, seed)
    Ws, sdp = T.fastest_mixing_matrix(G, method="sdp")
    Wi, ipm = T.fastest_mixing_matrix(G, method="ipm")
    assert ipm["status"] == "optimal" and ipm["gap"] <= 1e-9
    assert abs(ipm["slem"] - sdp["slem"]) <= 1e-8
    # the certificate brackets the oracle's optimum (Clarabel's own tolerance aside)
    assert ipm["dual_bound"] <= sdp["slem_solver"] + 1e-8


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["er", "rgg"])
def test_ipm_agrees_with_clarabel_at_n_100(kind):
    if kind == "er":
        G = T.erdos_renyi_graph(100, 8, 5)
    else:
        G = nx.random_geometric_graph(100, 0.2, seed=5)
        G = nx.convert_node_labels_to_integers(G.subgraph(max(nx.connected_components(G), key=len)))
    _, sdp = T.fastest_mixing_matrix(G, method="sdp")
    _, ipm = T.fastest_mixing_matrix(G, method="ipm")
    assert abs(ipm["slem"] - sdp["slem"]) <= 1e-8


def test_the_certificate_is_a_feasible_dual_point():
    """The returned dual point checked from scratch: Z1, Z2 ⪰ 0 with unit total trace, ν ≥ 0,
    every edge's constraint, and its objective equal to the reported bound."""
    G = T.erdos_renyi_graph(25, 5, 7)
    n = G.number_of_nodes()
    i, j = _edges(G)
    w, s, info = solve_fmmc(n, i, j)
    Z1, Z2, nu = info["dual"]
    assert np.linalg.eigvalsh(Z1).min() >= -1e-12 and np.linalg.eigvalsh(Z2).min() >= -1e-12
    assert abs(np.trace(Z1) + np.trace(Z2) - 1) <= 1e-12 and nu.min() >= 0
    for a, b in zip(i, j):
        v = np.zeros(n)
        v[a], v[b] = 1, -1
        assert v @ (Z2 - Z1) @ v + nu[a] + nu[b] >= -1e-12
    J = np.full((n, n), 1 / n)
    value = np.trace((Z1 - Z2) @ (np.eye(n) - J)) - nu.sum()
    assert abs(value - info["dual_bound"]) <= 1e-12
    # weak duality against the primal: every feasible W's SLEM is at least the bound
    W_metro = T.mixing_matrix(G, "metropolis")
    assert T.slem(W_metro) >= info["dual_bound"]


@settings(max_examples=30, deadline=None)
@given(st.integers(4, 12), st.integers(0, 10_000))
def test_dual_bound_is_a_lower_bound_for_any_psd_point(n, seed):
    """Weak duality of :func:`dual_bound` for arbitrary PSD (Z1, Z2) and ν ≥ 0: never above the
    optimal SLEM, however poor the point."""
    rng = np.random.default_rng(seed)
    G = T.erdos_renyi_graph(n, min(n, 3), seed)
    i, j = _edges(G)
    A, B = rng.standard_normal((2, n, n))
    value, nu = dual_bound(n, i, j, A @ A.T, B @ B.T, rng.random(n))
    _, s, info = solve_fmmc(n, i, j)
    assert value <= s + 1e-12


def test_returned_weights_are_a_fastest_mixing_chain():
    G = nx.convert_node_labels_to_integers(nx.random_geometric_graph(60, 0.3, seed=1))
    G = nx.convert_node_labels_to_integers(G.subgraph(max(nx.connected_components(G), key=len)))
    W, info = T.fastest_mixing_matrix(G)            # auto: the IPM above FMMC_SDP_MAX_N
    assert info["method"] == "ipm" and info["status"] == "optimal"
    T.check_mixing_matrix(W, G)
    assert np.array_equal(W, W.T) and np.allclose(W.sum(axis=1), 1, atol=1e-12)
    assert info["dual_bound"] <= info["slem"] <= info["slem_solver"] + 1e-9
    for rule in ("metropolis", "max-degree"):
        assert info["slem"] <= T.slem(T.mixing_matrix(G, rule)) + 1e-12


def test_fmmc_methods_and_bad_input():
    G = nx.path_graph(4)
    with pytest.raises(ValueError, match="method"):
        T.fastest_mixing_matrix(G, method="newton")
    with pytest.raises(ValueError, match="tol"):
        T.fastest_mixing_matrix(G, tol=0)
    W, info = T.fastest_mixing_matrix(nx.complete_graph(5), method="ipm")
    assert info["slem"] <= 1e-12 and info["gap"] == 0.0


def test_fmmc_results_are_cached_per_graph_and_deterministic():
    G = T.erdos_renyi_graph(40, 6, 11)
    T._FMMC_CACHE.clear()
    W1, i1 = T.fastest_mixing_matrix(G, method="ipm")
    W2, i2 = T.fastest_mixing_matrix(nx.relabel_nodes(G, {}, copy=True), method="ipm")
    assert np.array_equal(W1, W2)
    T._FMMC_CACHE.clear()
    W3, _ = T.fastest_mixing_matrix(G, method="ipm")
    assert np.array_equal(W1, W3)                   # bit for bit from scratch too


@pytest.mark.parametrize("args, match", [
    ((1, [0], [1]), "n must be"),
    ((3, [0, 1], [1]), "equal-length"),
    ((3, [0.0], [1.0]), "integer"),
    ((3, [0], [3]), "0..2"),
    ((3, [1], [1]), "different nodes"),
    ((3, [0, 1], [1, 0]), "repeat"),
])
def test_solve_fmmc_refuses_bad_edges(args, match):
    with pytest.raises(ValueError, match=match):
        solve_fmmc(*args)
