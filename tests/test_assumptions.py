import networkx as nx
import numpy as np
import pytest

from theory import assumptions as A
from theory import topology


def test_graph_assumption():
    assert A.graph_assumption(topology.ring_graph(5)).holds
    res = A.graph_assumption(nx.Graph([(0, 1), (2, 3)]))
    assert not res.holds and "not connected" in res.message
    assert not A.graph_assumption(nx.empty_graph(1))
    with pytest.raises(TypeError):
        A.graph_assumption(nx.DiGraph([(0, 1)]))


def test_consensus_assumption():
    G = topology.path_graph(4)
    assert A.consensus_assumption(topology.mixing_matrix(G, "uniform"), G).holds
    W = np.full((4, 4), 0.25)
    res = A.consensus_assumption(W, G)
    assert not res.holds and res.value == pytest.approx(0.25)
    with pytest.raises(ValueError, match="must be"):
        A.consensus_assumption(np.eye(3), G)


def test_nondegenerate_embedding_matches_the_optimum():
    from theory.objectives import family_optimum
    X = np.diag([3.0, 1.0, -1.0, -2.0])
    for c in (1, 2, 3):
        res = A.nondegenerate_embedding(X, c)
        assert res.holds == (not family_optimum(X, c).rank_deficient)
    assert A.nondegenerate_embedding(X, 3).value == pytest.approx(-1.0)


def test_independent_sampling_detects_serial_dependence():
    rng = np.random.default_rng(0)
    iid = rng.standard_normal((2000, 5))
    assert A.independent_sampling(iid).holds
    walk = np.cumsum(rng.standard_normal((2000, 5)), axis=0)
    assert not A.independent_sampling(walk).holds
    with pytest.raises(ValueError, match="at least 10"):
        A.independent_sampling(iid[:5])


def test_dissimilar_transform_and_eigengap():
    assert A.dissimilar_transform(np.eye(4), 2).value == 2.0
    assert not A.dissimilar_transform(-np.eye(4), 2).holds
    assert A.eigengap(np.diag([3.0, 2.0, 1.0]), 1, 0.5).holds
    assert not A.eigengap(np.diag([3.0, 3.0, 1.0]), 1).holds
    with pytest.raises(ValueError, match="c must be <= 2"):
        A.eigengap(np.eye(3), 3)


def test_positive_definite_with_a_margin():
    from theory.assumptions import positive_definite

    S = np.diag([3.0, 2.0, 0.5])
    assert positive_definite(S, 0.4) and positive_definite(S).value == pytest.approx(0.5)
    r = positive_definite(S, 0.5)
    assert not r and "<= margin" in r.message
    with pytest.raises(ValueError, match="margin"):
        positive_definite(S, -1.0)
