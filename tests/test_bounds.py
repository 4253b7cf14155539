"""Bounds against observed quantities, and planted wrong bounds caught by the checks."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from proofs_check.claims import dynamics_checks as D
from proofs_check.engine.registry import CheckContext, default_rule
from proofs_check.engine.strategies import connected_graphs
from theory import bounds, topology

SMOKE = CheckContext(profile="smoke")


@settings(max_examples=25)
@given(connected_graphs(max_nodes=10), st.sampled_from(["metropolis", "uniform", "max-degree"]),
       st.integers(0, 30))
def test_consensus_bound_holds(G, rule, t):
    W = topology.mixing_matrix(G, rule)
    assert bounds.consensus_error(W, t) <= bounds.consensus_bound(W, t) * (1 + 1e-9) + 1e-12


def test_consensus_bound_is_exact_for_symmetric_W():
    W = topology.mixing_matrix(topology.ring_graph(9), "metropolis")
    for t in (1, 4, 9):
        assert bounds.consensus_error(W, t) == pytest.approx(bounds.consensus_bound(W, t), rel=1e-9)


def test_non_reversible_W_is_rejected():
    W = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    with pytest.raises(ValueError, match="reversible"):
        bounds.consensus_bound(W, 3)


def test_davis_kahan_and_rv_bounds_on_random_pairs():
    rng = np.random.default_rng(0)
    for _ in range(30):
        a = rng.standard_normal((6, 6))
        X = a @ a.T
        E = rng.standard_normal((6, 6)) * 0.1
        Xh = X + (E + E.T) / 2
        assert bounds.sin_theta(X, Xh, 2) <= bounds.davis_kahan_bound(X, Xh, 2) + 1e-12
        obs, bnd = bounds.rv_perturbation_bound(X, Xh, 2)
        assert obs <= bnd + 1e-12


def test_dgd_and_fedavg_fixed_points_match_simulation():
    from simulators.dynamics import dgd_quadratic, fedavg_quadratic
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5, 4, 4))
    Q = a @ np.swapaxes(a, 1, 2) / 4 + 0.5 * np.eye(4)
    B = rng.standard_normal((5, 4, 2))
    W = topology.mixing_matrix(topology.path_graph(5), "metropolis")
    L = np.linalg.eigvalsh(Q)[:, -1].max()
    eta = 0.5 * (1 + np.linalg.eigvalsh(W)[0]) / L
    assert np.allclose(dgd_quadratic(Q, B, W, eta, 5000).state, bounds.dgd_fixed_point(Q, B, W, eta), atol=1e-9)
    obs, bnd = bounds.dgd_consensus_bound(Q, B, W, eta)
    assert 0 < obs <= bnd
    assert np.allclose(fedavg_quadratic(Q, B, 0.1, 4, 4000).state, bounds.fedavg_fixed_point(Q, B, 0.1, 4), atol=1e-10)
    assert np.allclose(bounds.fedavg_fixed_point(Q, B, 0.1, 1), bounds.global_optimum(Q, B), atol=1e-12)


def test_planted_wrong_bounds_are_caught():
    # consensus: forgetting the sqrt(pi_max/pi_min) factor of the uniform rule
    wrong = lambda W, t: topology.slem(W) ** t
    assert default_rule(D.check_consensus(SMOKE, bound=wrong)).status == "fails"
    assert default_rule(D.check_consensus(SMOKE)).status == "holds"
    # Davis-Kahan without the factor 2 and with a squared gap
    wrong_dk = lambda X, Xh, c: bounds.davis_kahan_bound(X, Xh, c) / 50
    assert default_rule(D.check_davis_kahan(SMOKE, bound=wrong_dk)).status == "fails"
    # DGD: (1 - rho) replaced by 1
    def wrong_dgd(Q, B, W, eta):
        obs, bnd = bounds.dgd_consensus_bound(Q, B, W, eta)
        return obs, bnd * (1 - topology.slem(W))
    assert default_rule(D.check_dgd(SMOKE, bound_fn=wrong_dgd)).status == "fails"


@pytest.mark.parametrize("check", [D.check_decl_rv, D.check_rv_perturbation, D.check_fedavg,
                                   D.check_fmmc_rounds, D.check_same_degree, D.check_regular_irregular,
                                   D.check_multiround_connectivity, D.check_multiround_fl_vs_decl])
def test_topology_checks_run(check):
    ev = check(SMOKE)
    assert ev and all(e.passed in (True, False, None) for e in ev)
