import numpy as np
import pytest

from theory.mixtures import GaussianMixture
from theory.probes import least_squares_probe, probe_accuracy, sample_probe_accuracy
from theory.representations import Subspace


@pytest.mark.parametrize("K", [2, 3])
def test_exact_probe_matches_samples(K):
    gm = GaussianMixture.random(K, 4, separation=3.0, rng=K)
    pi = np.full(K, 1.0 / K)
    sub = Subspace.from_basis(np.eye(4)[:, :2])
    B, risk = least_squares_probe(sub, gm, pi)
    acc = probe_accuracy(sub, gm, pi)
    x, y = gm.sample(200_000, pi, rng=0)
    z = x @ sub.basis()
    scores = np.hstack([z, np.ones((len(z), 1))]) @ B
    emp_risk = np.mean(np.sum((np.eye(K)[y] - scores) ** 2, axis=1))
    emp_acc = np.mean(np.argmax(scores, axis=1) == y)
    assert emp_risk == pytest.approx(risk, abs=5 * np.sqrt(2.0 / 200_000) + 1e-3)
    assert emp_acc == pytest.approx(acc, abs=4 * np.sqrt(0.25 / 200_000) + 1e-5)
    # the sample probe converges to the population one
    assert sample_probe_accuracy(z[:100_000], y[:100_000], z[100_000:], y[100_000:]) == pytest.approx(acc, abs=0.01)


def test_more_informative_features_never_hurt_the_population_risk():
    gm = GaussianMixture.random(3, 5, separation=2.0, rng=1)
    pi = np.array([0.5, 0.3, 0.2])
    r1 = least_squares_probe(Subspace.from_basis(np.eye(5)[:, :1]), gm, pi)[1]
    r3 = least_squares_probe(Subspace.from_basis(np.eye(5)[:, :3]), gm, pi)[1]
    assert r3 <= r1 + 1e-12


def test_bad_weights():
    gm = GaussianMixture.random(2, 3, rng=0)
    with pytest.raises(ValueError, match="probability vector"):
        probe_accuracy(Subspace.from_basis(np.eye(3)[:, :1]), gm, np.array([0.7, 0.7]))
