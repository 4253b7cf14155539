import numpy as np
import pytest

from theory import topology
from theory.frameworks import (combine, decl_global_target, decl_global_weights, decl_targets,
                               fl_target, framework_optima, gram_average_subspace)
from theory.objectives import cl_alignment_matrix, mim_alignment_matrix
from theory.paper_model import PaperModel


@pytest.fixture
def stack():
    model = PaperModel(24, 6, rare_fraction=0.1)
    return model.structured_second_moments()


def test_combine_equals_client_loop(stack):
    dense = stack.to_dense()
    w = np.random.default_rng(0).random((3, 6))
    loop = np.stack([sum(w[i, j] * dense[j] for j in range(6)) for i in range(3)])
    np.testing.assert_allclose(combine(dense, w), loop, atol=1e-12)
    np.testing.assert_allclose(combine(stack, w).to_dense(), loop, atol=1e-12)


def test_decl_global_weights_are_column_means():
    G = topology.star_graph(5)
    W = topology.mixing_matrix(G, "uniform")
    pi = decl_global_weights(W)
    # paper's rule: pi_j = (1/N) sum_{i in A_j} 1/|A_i|
    A = topology.connectivities(G)
    expected = [np.mean([1 / A[i] if j in topology.neighbourhoods(G)[i] else 0 for i in range(5)])
                for j in range(5)]
    np.testing.assert_allclose(pi, expected, atol=1e-15)
    assert not np.allclose(pi, 0.2)   # not uniform on an irregular graph


def test_full_connectivity_decl_equals_fl(stack):
    W = topology.mixing_matrix(topology.complete_graph(6), "uniform")
    X = cl_alignment_matrix(stack)
    np.testing.assert_allclose(decl_global_target(X, W).to_dense(), fl_target(X).to_dense(), atol=1e-12)
    np.testing.assert_allclose(decl_targets(X, W).to_dense(), np.stack([fl_target(X).to_dense()] * 6), atol=1e-12)


def test_many_gossip_rounds_reach_the_stationary_mixture(stack):
    G = topology.paper_graph(6, 3.0, rng=0)
    W = topology.mixing_matrix(G, "uniform")
    X = mim_alignment_matrix(stack, 0.75).to_dense()
    pi = topology.stationary_distribution(W)
    far = decl_targets(X, W, t=400)
    np.testing.assert_allclose(far, np.stack([np.einsum("j,jab->ab", pi, X)] * 6), atol=1e-10)
    np.testing.assert_allclose(decl_targets(X, W, t=0), X)


def test_fl_sizes_and_framework_optima(stack):
    X = cl_alignment_matrix(stack).to_dense()
    sizes = np.arange(1.0, 7.0)
    np.testing.assert_allclose(fl_target(X, sizes), np.einsum("j,jab->ab", sizes / sizes.sum(), X))
    W = topology.mixing_matrix(topology.ring_graph(6), "metropolis")
    out = framework_optima(X, 3, W=W, t=2)
    assert len(out["local"]) == 6 and len(out["decl_clients"]) == 6
    avg = gram_average_subspace(out["local"], 3)
    assert avg.dim == 3


def test_bad_input(stack):
    with pytest.raises(ValueError, match="row-stochastic"):
        decl_targets(stack, np.full((6, 6), 0.5))
    with pytest.raises(ValueError, match="weights must have shape"):
        combine(stack, np.ones(5) / 5)
    with pytest.raises(ValueError, match="t must be >= 0"):
        decl_targets(stack, np.eye(6), t=-1)
