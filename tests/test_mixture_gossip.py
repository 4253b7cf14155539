"""t-round client moments on Gaussian mixtures and their spectral-gap bounds (theory.mixture_gossip)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory import topology
from theory.mixture_gossip import (alignment_bound, gossip_factor, gossip_moments, spectral_bound,
                                   stationary_moments)
from theory.mixture_robustness import client_moments
from theory.mixtures import GaussianMixture
from theory.representations import Subspace, sin_theta_distance
from theory.spectral_contrastive import spectral_contrastive_optimum
from theory.splits import split_clients


def _moments(seed=0, n=8, alpha=0.3, k=5, d=7):
    rng = np.random.default_rng(seed)
    gm = GaussianMixture.random(k, d, separation=3.0, rng=rng)
    split = split_clients(np.repeat(np.arange(k), 50), n, "dirichlet-class", alpha=alpha, rng=rng)
    return client_moments(gm, split.weights)


def test_gossip_moments_are_t_single_rounds_and_reach_the_stationary_mixture():
    S, _ = _moments()
    W = topology.mixing_matrix(topology.paper_graph(8, 3.5, "general", 1), "uniform")
    X = S.copy()
    for _ in range(4):                                  # one round at a time, client by client
        X = np.stack([sum(W[i, j] * X[j] for j in range(8)) for i in range(8)])
    np.testing.assert_allclose(gossip_moments(S, W, 4), X, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gossip_moments(S, W, 400), np.broadcast_to(stationary_moments(S, W), S.shape),
                               atol=1e-9)
    pi = topology.stationary_distribution(W)
    assert gossip_factor(W, 0) == pytest.approx(np.sqrt(8 * pi.max() / pi.min()))


def test_spectral_representation_is_the_closed_form_optimum_of_the_gossiped_moments():
    S, M = _moments(seed=2)
    W = topology.mixing_matrix(topology.ring_graph(8), "metropolis")
    c, t = 3, 2
    r = spectral_bound(S, M, W, t, c)
    St, Mt = gossip_moments(S, W, t), gossip_moments(M, W, t)
    ref = spectral_contrastive_optimum(stationary_moments(S, W), stationary_moments(M, W), c).subspace
    for i in range(8):
        sub = spectral_contrastive_optimum(St[i], Mt[i], c).subspace
        assert sin_theta_distance(sub, ref) == pytest.approx(r["observed_representation"][i], abs=1e-8)


def test_alignment_observed_distance_is_the_top_eigenspace_angle():
    S, _ = _moments(seed=3)
    W = topology.mixing_matrix(topology.star_graph(8), "max-degree")
    r = alignment_bound(S, W, 3, 2)
    St, Sinf = gossip_moments(S, W, 3), stationary_moments(S, W)
    top = lambda X: Subspace.from_basis(np.linalg.eigh(X)[1][:, -2:])
    for i in range(8):
        assert sin_theta_distance(top(St[i]), top(Sinf)) == pytest.approx(r["observed"][i], abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), alpha=st.sampled_from([0.05, 0.3, 3.0]), t=st.integers(0, 40),
       graph=st.sampled_from(["ring", "star", "paper"]), rule=st.sampled_from(["metropolis", "uniform", "max-degree"]))
def test_bounds_hold_on_random_mixtures_splits_and_graphs(seed, alpha, t, graph, rule):
    S, M = _moments(seed, alpha=alpha)
    G = {"ring": topology.ring_graph(8), "star": topology.star_graph(8),
         "paper": topology.paper_graph(8, 3.0, "general", seed)}[graph]
    W = topology.mixing_matrix(G, rule)
    from theory.mixture_gossip import mim_reconstruction_bound

    for r in (alignment_bound(S, W, t, 2), alignment_bound(S, W, t, 2, "mim-surrogate"),
              alignment_bound(S, W, t, 2, "cl-dissimilar"), spectral_bound(S, M, W, t, 2),
              mim_reconstruction_bound(S, W, t, 2)):
        assert np.all(r["observed"] <= r["bound"] + 1e-10), (r["objective"], r["bound"], r["observed"].max())


def test_a_planted_wrong_power_of_rho_is_violated():
    S, _ = _moments(seed=5, alpha=0.1)
    W = topology.mixing_matrix(topology.ring_graph(8), "metropolis")
    rho = topology.slem(W)
    assert any(alignment_bound(S, W, t, 2)["observed"].max() > alignment_bound(S, W, t, 2)["bound"] * rho ** t
               for t in range(5, 60, 5))


def test_bad_input_is_refused():
    S, M = _moments()
    W = topology.mixing_matrix(topology.ring_graph(8), "metropolis")
    with pytest.raises(ValueError, match="W must be"):
        gossip_moments(S, W[:4, :4], 1)
    with pytest.raises(ValueError, match="objective"):
        alignment_bound(S, W, 1, 2, "spectral")
    with pytest.raises(ValueError, match="t"):
        gossip_moments(S, W, -1)
    with pytest.raises(ValueError, match="reversible"):
        A = np.roll(np.eye(8), 1, axis=1)                 # a directed cycle: doubly stochastic, not reversible
        gossip_factor(0.5 * np.eye(8) + 0.5 * A, 1)


def test_mim_reconstruction_encoder_is_the_closed_form_optimum_and_the_bound_holds():
    from theory.mim import mim_reconstruction_optimum
    from theory.mixture_gossip import mim_reconstruction_bound

    S, _ = _moments(seed=4)
    W = topology.mixing_matrix(topology.paper_graph(8, 4.0, "general", 2), "metropolis")
    ref = mim_reconstruction_optimum(stationary_moments(S, W), 0.75, 2).subspace
    for t in (0, 2, 8, 40):
        r = mim_reconstruction_bound(S, W, t, 2)
        St = gossip_moments(S, W, t)
        for i in range(8):
            sub = mim_reconstruction_optimum(St[i], 0.75, 2).subspace
            assert sin_theta_distance(sub, ref) == pytest.approx(r["observed_representation"][i], abs=1e-8)
        assert np.all(r["observed"] <= r["bound"] + 1e-10)


def test_structured_route_equals_the_dense_route_and_reaches_a_million_dimensions():
    from theory.mixture_gossip import mim_reconstruction_bound, structured_client_moments

    rng = np.random.default_rng(7)
    K, m, d, n = 6, 8, 30, 8
    means = 3.0 * rng.standard_normal((K, m)) / np.sqrt(m)
    split = split_clients(np.repeat(np.arange(K), 50), n, "dirichlet-class", alpha=0.3, rng=rng)
    S, M = structured_client_moments(means, split.weights, d)
    Sd, Md = S.to_dense(), M.to_dense()
    W = topology.mixing_matrix(topology.paper_graph(n, 3.5, "general", 3), "uniform")
    for t in (0, 3, 20):
        pairs = [(alignment_bound(S, W, t, 3), alignment_bound(Sd, W, t, 3)),
                 (alignment_bound(S, W, t, 3, "mim-surrogate"), alignment_bound(Sd, W, t, 3, "mim-surrogate")),
                 (spectral_bound(S, M, W, t, 3), spectral_bound(Sd, Md, W, t, 3)),
                 (mim_reconstruction_bound(S, W, t, 3), mim_reconstruction_bound(Sd, W, t, 3))]
        for small, dense in pairs:
            np.testing.assert_allclose(small["observed"], dense["observed"], atol=1e-10)
            assert small["bound"] == pytest.approx(dense["bound"], rel=1e-10, abs=1e-12) or \
                (np.isinf(small["bound"]) and np.isinf(dense["bound"]))
    big_S, big_M = structured_client_moments(means, split.weights, 10**6)
    r = spectral_bound(big_S, big_M, W, 20, 3)
    np.testing.assert_allclose(r["observed"], spectral_bound(S, M, W, 20, 3)["observed"], atol=1e-10)
    with pytest.raises(ValueError, match="shared"):
        from theory.mixture_gossip import compress
        from theory.structured import IdentityPlusBlock

        compress(IdentityPlusBlock(10, np.array([1.0, 2.0]), np.zeros((2, 3, 3))))
