import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, strategies as st

from theory.representations import (Subspace, principal_angles, projector_distance, sensitivity,
                                    sin_theta_distance)


def random_subspace(seed, d=7, k=3):
    return Subspace.from_basis(np.random.default_rng(seed).standard_normal((d, k)))


@given(st.integers(0, 10**6))
def test_angles_and_distances_match_scipy(seed):
    a, b = random_subspace(seed), random_subspace(seed + 1)
    theta = np.sort(scipy.linalg.subspace_angles(a.basis(), b.basis()))
    np.testing.assert_allclose(principal_angles(a, b), theta, atol=1e-10)
    assert sin_theta_distance(a, b) == pytest.approx(np.linalg.norm(np.sin(theta)), rel=1e-10)
    assert sin_theta_distance(a, b, 2) == pytest.approx(np.max(np.sin(theta)), rel=1e-10)
    dist = np.linalg.norm(a.projector() - b.projector())
    assert projector_distance(a, b) == pytest.approx(dist, rel=1e-10)
    assert projector_distance(a, b) == pytest.approx(np.sqrt(2) * sin_theta_distance(a, b), rel=1e-10)


@given(st.integers(0, 10**6))
def test_representability_vector(seed):
    a = random_subspace(seed)
    r = a.representability()
    np.testing.assert_allclose(r, np.diag(a.projector()), atol=1e-14)
    assert np.all((r >= -1e-15) & (r <= 1 + 1e-15)) and r.sum() == pytest.approx(3)


def test_compact_subspace_with_bulk_matches_dense():
    block = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 2)))[0]
    s = Subspace(10, block, np.array([6, 8]))
    dense = Subspace.from_basis(s.basis())
    assert projector_distance(s, dense) < 1e-12
    other = random_subspace(3, d=10, k=4)
    np.testing.assert_allclose(principal_angles(s, other), principal_angles(dense, other), atol=1e-10)
    np.testing.assert_allclose(s.representability(), np.diag(s.projector()), atol=1e-14)


def test_identical_subspaces_have_zero_distance_to_round_off():
    a = random_subspace(1, d=50, k=5)
    b = Subspace.from_basis(a.basis() @ np.linalg.qr(np.random.default_rng(2).standard_normal((5, 5)))[0])
    assert projector_distance(a, b) < 1e-13


def test_sensitivity_and_validation():
    assert sensitivity(np.array([0.9, 0.5, 0.7, 0.0]), 3) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="c must be <= 4"):
        sensitivity(np.zeros(4), 5)
    with pytest.raises(ValueError, match="orthonormal"):
        Subspace(3, np.ones((3, 1)))
    with pytest.raises(ValueError, match="full column rank"):
        Subspace.from_basis(np.ones((3, 2)))
    with pytest.raises(ValueError, match="bulk must be"):
        Subspace(5, np.eye(2)[:, :1], np.array([1]))
    with pytest.raises(ValueError, match="equal dimensions"):
        sin_theta_distance(random_subspace(0, k=2), random_subspace(1, k=3))
