import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings

from proofs_check.engine.strategies import connected_graphs
from theory import topology as T


# ------------------------------------------------------------ constructors
def test_constructors_sizes_and_degrees():
    assert T.average_connectivity(T.complete_graph(6)) == 6
    assert T.average_connectivity(T.ring_graph(9)) == 3
    np.testing.assert_array_equal(T.connectivities(T.torus_graph(3, 5)), 5)
    np.testing.assert_array_equal(T.connectivities(T.hypercube_graph(4)), 5)
    star = T.connectivities(T.star_graph(6))
    assert star[0] == 6 and np.all(star[1:] == 2)
    exp = T.exponential_graph(16)
    np.testing.assert_array_equal(T.connectivities(exp), 8)     # +-1, +-2, +-4, 8
    path = T.path_graph(5)
    np.testing.assert_array_equal(T.connectivities(path), [2, 3, 3, 3, 2])
    assert [list(a) for a in T.neighbourhoods(path)][:2] == [[0, 1], [0, 1, 2]]


@pytest.mark.parametrize("n, c", [(20, 4.0), (15, 3.0), (10, 10.0), (30, 2 - 2 / 30 + 1)])
def test_paper_general_graph_hits_the_target(n, c):
    g = T.paper_graph(n, c, "general", rng=1)
    assert nx.is_connected(g)
    assert g.number_of_edges() == round(n * (c - 1) / 2)
    assert abs(T.average_connectivity(g) - c) <= 1 / n + 1e-12


def test_paper_uniform_graph_is_regular_and_seeded():
    g = T.paper_graph(20, 5, "uniform", rng=4)
    np.testing.assert_array_equal(T.connectivities(g), 5)
    assert nx.is_connected(g)
    assert set(g.edges) == set(T.paper_graph(20, 5, "uniform", rng=4).edges)


def test_erdos_renyi_connectivity_on_average():
    mean = np.mean([T.average_connectivity(T.erdos_renyi_graph(40, 6.0, rng=s)) for s in range(20)])
    assert 5.5 < mean < 6.5


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: T.paper_graph(10, 12.0), "connectivity"),
        (lambda: T.paper_graph(10, 1.5), "connectivity"),
        (lambda: T.paper_graph(10, 4.5, "uniform"), "integer connectivity"),
        (lambda: T.paper_graph(10, 4.0, "regular"), "kind must be"),
        (lambda: T.random_regular_graph(5, 3), "must be even"),
        (lambda: T.ring_graph(2), "n must be >= 3"),
    ],
)
def test_constructor_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------- mixing matrices
@settings(max_examples=40)
@given(connected_graphs(max_nodes=14))
def test_rules_are_stochastic_and_supported_on_the_graph(G):
    n = G.number_of_nodes()
    sizes = np.arange(1, n + 1, dtype=float)
    for rule in ("uniform", "metropolis", "max-degree", "data-size"):
        W = T.mixing_matrix(G, rule, sizes=sizes)
        T.check_mixing_matrix(W, G)                        # raises on violation
        assert np.all(W[T.connectivities(G) > 0] >= 0)
    for rule in ("metropolis", "max-degree"):
        W = T.mixing_matrix(G, rule)
        np.testing.assert_allclose(W, W.T, atol=1e-15)
        np.testing.assert_allclose(W.sum(axis=0), 1.0, atol=1e-12)
        assert T.slem(W) == pytest.approx(np.linalg.norm(W - 1.0 / n, 2), abs=1e-10)
        assert T.spectral_gap(W) > 0


@settings(max_examples=12)
@given(connected_graphs(max_nodes=9))
def test_fmmc_is_never_worse_than_heuristics(G):
    W, info = T.fastest_mixing_matrix(G)
    T.check_mixing_matrix(W, G, atol=1e-7)
    np.testing.assert_allclose(W, W.T, atol=1e-12)
    np.testing.assert_allclose(W.sum(axis=0), 1.0, atol=1e-7)
    assert info["slem"] == pytest.approx(info["slem_solver"], abs=1e-5)
    for rule in ("metropolis", "max-degree"):
        assert info["slem"] <= T.slem(T.mixing_matrix(G, rule)) + 1e-6


def test_fmmc_with_scs_agrees_with_clarabel():
    G = T.paper_graph(10, 4.0, rng=2)
    a = T.fastest_mixing_matrix(G, solver="CLARABEL")[1]["slem"]
    b = T.fastest_mixing_matrix(G, solver="SCS")[1]["slem"]
    assert a == pytest.approx(b, abs=1e-3)
    with pytest.raises(ValueError, match="solver must be"):
        T.fastest_mixing_matrix(G, solver="MOSEK")


# ------------------------------------------------------- spectra (oracles)
@pytest.mark.parametrize("n", [3, 4, 7, 10])
def test_cycle_uniform_spectrum(n):
    # W = (I + A)/3 on a cycle: eigenvalues (1 + 2 cos(2 pi k / n)) / 3
    W = T.mixing_matrix(T.ring_graph(n), "uniform")
    ev = (1 + 2 * np.cos(2 * np.pi * np.arange(1, n) / n)) / 3
    assert T.slem(W) == pytest.approx(np.max(np.abs(ev)), abs=1e-12)
    assert T.lambda2(W) == pytest.approx(np.max(ev), abs=1e-12)


@pytest.mark.parametrize("n", [2, 5, 9])
def test_path_max_degree_spectrum(n):
    # W = I - L/3 on a path: L has eigenvalues 2 - 2 cos(pi k / n), k = 0..n-1
    W = T.mixing_matrix(T.path_graph(n), "max-degree")
    if n == 2:
        W = T.mixing_matrix(T.path_graph(n), "max-degree")   # d_max = 1: W = I - L/2
        ev = 1 - (2 - 2 * np.cos(np.pi * np.arange(1, n) / n)) / 2
    else:
        ev = 1 - (2 - 2 * np.cos(np.pi * np.arange(1, n) / n)) / 3
    assert T.slem(W) == pytest.approx(np.max(np.abs(ev)), abs=1e-12)


def test_complete_graph_mixes_in_one_step():
    W = T.mixing_matrix(T.complete_graph(6), "uniform")
    np.testing.assert_allclose(W, 1 / 6)
    assert T.slem(W) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=25)
@given(connected_graphs(min_nodes=3, max_nodes=14))
def test_lambda2_matches_networkx_algebraic_connectivity(G):
    # max-degree rule: W = I - L / (1 + d_max), so lambda_2(W) = 1 - a(G) / (1 + d_max)
    dmax = max(d for _, d in G.degree)
    a = nx.algebraic_connectivity(G, method="tracemin_lu", tol=1e-12, seed=0)
    assert T.lambda2(T.mixing_matrix(G, "max-degree")) == pytest.approx(1 - a / (1 + dmax), abs=1e-8)


@settings(max_examples=25)
@given(connected_graphs(max_nodes=14))
def test_uniform_rule_stationary_law_is_proportional_to_connectivity(G):
    W = T.mixing_matrix(G, "uniform")
    pi = T.stationary_distribution(W)
    A = T.connectivities(G)
    np.testing.assert_allclose(pi, A / A.sum(), atol=1e-12)
    np.testing.assert_allclose(pi @ W, pi, atol=1e-12)


def test_slem_of_non_symmetric_matrix():
    W = np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]])
    ev = np.sort(np.abs(np.linalg.eigvals(W)))
    assert T.slem(W) == pytest.approx(ev[-2], abs=1e-12)


# -------------------------------------------------------------- validation
def test_validation_errors():
    disconnected = nx.Graph([(0, 1), (2, 3)])
    with pytest.raises(ValueError, match="connected"):
        T.mixing_matrix(disconnected, "metropolis")
    G = T.path_graph(3)
    with pytest.raises(ValueError, match="rule must be one of"):
        T.mixing_matrix(G, "laplacian")
    with pytest.raises(ValueError, match="needs sizes"):
        T.mixing_matrix(G, "data-size")
    with pytest.raises(ValueError, match="row-stochastic"):
        T.check_mixing_matrix(np.full((3, 3), 0.5), G)
    with pytest.raises(ValueError, match="nonnegative"):
        T.check_mixing_matrix(np.array([[1.5, -0.5, 0], [0, 1, 0], [0, 0, 1]]), G)
    with pytest.raises(ValueError, match="not an edge"):
        T.check_mixing_matrix(np.array([[0.5, 0, 0.5], [0, 1, 0], [0, 0, 1]]), G)
    with pytest.raises(ValueError, match="irreducible"):
        T.stationary_distribution(np.eye(3))
    with pytest.raises(ValueError, match="complex spectrum"):
        T.lambda2(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=float))
    with pytest.raises(ValueError, match="nodes labelled"):
        T.neighbourhoods(nx.relabel_nodes(G, {0: "a", 1: "b", 2: "c"}))
    with pytest.raises(TypeError, match="undirected"):
        T.neighbourhoods(nx.DiGraph([(0, 1)]))


def test_ring_lattice_is_regular_and_mixes_slower_than_random_regular_graphs():
    topology = T
    G = topology.ring_lattice_graph(20, 4)
    assert sorted({d for _, d in G.degree()}) == [4] and G.number_of_edges() == 40
    rho = topology.slem(topology.mixing_matrix(G, "metropolis"))
    others = [topology.slem(topology.mixing_matrix(topology.random_regular_graph(20, 4, s),
                                                   "metropolis")) for s in range(10)]
    assert rho > max(others)          # at n = 20; at n = 16 some random 4-regular graphs mix slower
    with pytest.raises(ValueError, match="even"):
        topology.ring_lattice_graph(16, 3)
