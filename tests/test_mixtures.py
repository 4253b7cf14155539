import numpy as np
import pytest

from proofs_check.engine.monte_carlo import moment_zscores
from theory.mixtures import GaussianMixture


def test_client_moments_match_monte_carlo():
    gm = GaussianMixture.random(3, 5, separation=2.0, rng=0)
    weights = np.array([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]])
    S = gm.client_second_moments(weights)
    mu = gm.client_means(weights)
    for i, w in enumerate(weights):
        x, labels = gm.sample(60_000, w, rng=i)
        z1, z2 = moment_zscores(x, mu[i], S[i])
        assert z1 < 6 and z2 < 6
        np.testing.assert_allclose(np.bincount(labels, minlength=3) / 60_000, w, atol=0.01)


def test_stacked_equals_per_client_and_covariance_forms():
    means = np.array([[1.0, 0.0], [0.0, 2.0]])
    full = GaussianMixture(means, np.array([np.eye(2) * 0.5, np.eye(2) * 2.0]))
    diag = GaussianMixture(means, np.array([[0.5, 0.5], [2.0, 2.0]]))
    iso = GaussianMixture(means, np.array([0.5, 2.0]))
    w = np.array([[0.25, 0.75], [1.0, 0.0]])
    expected = np.stack([0.25 * (0.5 * np.eye(2) + np.outer(means[0], means[0]))
                         + 0.75 * (2.0 * np.eye(2) + np.outer(means[1], means[1])),
                         0.5 * np.eye(2) + np.outer(means[0], means[0])])
    for gm in (full, diag, iso):
        np.testing.assert_allclose(gm.client_second_moments(w), expected, atol=1e-14)
        np.testing.assert_allclose(gm.client_second_moments(w[0]), expected[0], atol=1e-14)


def test_singular_covariance_samples_stay_in_support():
    gm = GaussianMixture(np.zeros((1, 3)), np.array([np.diag([1.0, 0.0, 4.0])]))
    x = gm.sample_labels(np.zeros(1000, dtype=int), rng=0)
    assert np.all(x[:, 1] == 0.0)


@pytest.mark.parametrize(
    "means, cov, match",
    [
        (np.zeros((2, 3)), -np.ones(2), ">= 0"),
        (np.zeros((2, 3)), np.array([np.eye(3), -np.eye(3)]), "positive semidefinite"),
        (np.zeros((2, 3)), np.ones((3, 3)), "must have shape"),
        (np.zeros(3), np.ones(1), "2 dimension"),
    ],
)
def test_validation(means, cov, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(means, cov)


def test_weight_validation():
    gm = GaussianMixture(np.zeros((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="rows summing to 1"):
        gm.client_second_moments(np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match="must have shape"):
        gm.client_means(np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="labels must lie"):
        gm.sample_labels(np.array([0, 2]))
