"""The strategies build valid objects, and the README's worked example runs."""

import numpy as np
from hypothesis import given, settings

from proofs_check import strategies as S
from theory import topology


@settings(max_examples=20)
@given(S.conditioned_spd_matrices(5, max_condition=100.0))
def test_conditioned_spd(M):
    lam = np.linalg.eigvalsh(M)
    assert lam.min() > 0 and lam.max() / lam.min() <= 100.0 * (1 + 1e-8)


@settings(max_examples=20)
@given(S.mixing_matrices())
def test_mixing_matrices_are_valid(GW):
    G, W = GW
    topology.check_mixing_matrix(W, G)


@settings(max_examples=10)
@given(S.gaussian_mixtures(), S.dirichlet_splits())
def test_mixtures_and_splits(gm, split):
    assert gm.client_second_moments(np.full(gm.n_components, 1 / gm.n_components)).shape[0] == gm.dim
    np.testing.assert_allclose(split.weights.sum(axis=1), 1.0)


# --- the README's worked example: property-test a bound of your own -----------------------
@settings(max_examples=25)
@given(S.conditioned_spd_matrices(6), S.conditioned_spd_matrices(6))
def test_readme_example_rv_perturbation_bound(X, E):
    """|r_hat_k - r_k| <= ||P_hat - P||_2 for the top-2 eigenspaces of X and X + E/10."""
    from theory.objectives import family_optimum
    from theory.representations import projector_distance

    a, b = family_optimum(X, 2).subspace, family_optimum(X + E / 10, 2).subspace
    gap = np.max(np.abs(a.representability() - b.representability()))
    assert gap <= projector_distance(a, b, ord=2) + 1e-12
