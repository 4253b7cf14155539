import numpy as np
import pytest
from hypothesis import given, settings

from proofs_check.engine.monte_carlo import moment_zscores
from proofs_check.engine.strategies import paper_models
from theory.paper_model import PaperModel

Z = 6.0  # max |z| over all entries; see proofs_check.engine.monte_carlo


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(d=10, n_clients=3, rare_fraction=0.2),
        dict(d=8, n_clients=2, tau=2.0, mu=0.5, rare_fraction=0.1, q_values=(-1.0, 1.0)),
        dict(d=9, n_clients=4, tau=0.7, mu=1.3, rare_fraction=0.3, rare_classes=[3, 0, 1, 2],
             q_values=(0.0, 2.0), q_probs=(0.25, 0.75)),
    ],
)
def test_exact_moments_match_monte_carlo(kwargs):
    model = PaperModel(**kwargs)
    x, labels = model.sample_all(40_000, rng=123)
    for i in range(model.n_clients):
        z1, z2 = moment_zscores(x[i], model.mean(i), model.second_moment(i))
        assert z1 < Z and z2 < Z, (i, z1, z2)
        freq = np.bincount(labels[i], minlength=model.n_classes) / labels.shape[1]
        np.testing.assert_allclose(freq, model.class_weights()[i], atol=0.015)


@settings(max_examples=15)
@given(paper_models())
def test_single_client_sampler_has_the_same_law(model):
    x, _ = model.sample(model.n_clients - 1, 30_000, rng=7)
    z1, z2 = moment_zscores(x, model.mean(model.n_clients - 1),
                            model.second_moment(model.n_clients - 1))
    assert z1 < Z and z2 < Z


def test_a_wrong_moment_is_detected():
    """The Monte Carlo check has power: drop the tau^2 m1^2 u u^T term and it must fail."""
    model = PaperModel(10, 3, rare_fraction=0.2)
    x, _ = model.sample(0, 40_000, rng=1)
    S = model.second_moment(0)
    u = np.zeros(10)
    u[1:3] = 1.0
    wrong = S - (1 - model.rare_fraction) * model.tau**2 * model.q_mean**2 * np.outer(u, u)
    assert moment_zscores(x, model.mean(0), wrong)[1] > 50


def test_structured_equals_dense_and_scales():
    model = PaperModel(30, 4, tau=1.5, rare_fraction=0.05)
    st_ = model.structured_second_moments()
    np.testing.assert_allclose(st_.to_dense(), model.second_moments(), atol=1e-13)
    assert st_.m == 8 and st_.batch_shape == (4,)
    big = PaperModel(10**6, 4).structured_second_moments()
    assert big.block.shape == (4, 8, 8)
    # the bulk eigenvalue is mu^2 = d^(-2/5) with multiplicity d - 2N
    np.testing.assert_allclose(big.scale, 10 ** (6 * -0.4))


def test_defaults_follow_the_paper_scalings():
    model = PaperModel(3125, 2)
    assert model.tau == pytest.approx(5.0)          # 3125^(1/5)
    assert model.mu == pytest.approx(0.2)
    assert model.rare_fraction == pytest.approx(3125 ** -0.5)
    np.testing.assert_array_equal(model.rare_classes, [2, 0])
    assert model.q_mean == 0.5 and model.q_second_moment == 0.5


def test_same_seed_same_bits():
    model = PaperModel(12, 3, rare_fraction=0.3)
    a = model.sample_all(50, rng=5)
    b = model.sample_all(50, rng=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], model.sample_all(50, rng=6)[0])


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((5, 3), {}, ValueError, "d must be >= 2 \\* n_clients"),
        ((10, 1), {}, ValueError, "n_clients must be >= 2"),
        ((10.0, 2), {}, TypeError, "d must be an integer"),
        ((10, 2), dict(tau=0.0), ValueError, "tau must be > 0"),
        ((10, 2), dict(mu=-1.0), ValueError, "mu must be > 0"),
        ((10, 2), dict(rare_fraction=1.5), ValueError, "rare_fraction must lie in"),
        ((10, 2), dict(rare_classes=[0, 3]), ValueError, "own classes"),
        ((10, 2), dict(rare_classes=[2, 4]), ValueError, "must lie in 0..3"),
        ((10, 2), dict(rare_classes=[2]), ValueError, "2 integers"),
        ((10, 2), dict(q_probs=(0.3, 0.3)), ValueError, "sum to 1"),
    ],
)
def test_validation(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        PaperModel(*args, **kwargs)


def test_client_index_validated():
    model = PaperModel(10, 2)
    with pytest.raises(ValueError, match="i must be <= 1"):
        model.mean(2)
    with pytest.raises(TypeError, match="n must be an integer"):
        model.sample(0, 10.5)
