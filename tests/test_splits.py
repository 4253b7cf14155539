import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from proofs_check.engine.strategies import dirichlet_alphas
from theory.paper_model import PaperModel
from theory.splits import SPLIT_METHODS, label_heterogeneity, moment_heterogeneity, split_clients


def labels_strategy():
    return st.tuples(st.integers(1, 8), st.integers(20, 400), st.integers(0, 2**31)).map(
        lambda t: np.random.default_rng(t[2]).integers(0, t[0], t[1]))


@settings(max_examples=40)
@given(labels_strategy(), st.integers(1, 12), st.sampled_from(SPLIT_METHODS), dirichlet_alphas())
def test_partition_properties(labels, n_clients, method, alpha):
    split = split_clients(labels, n_clients, method, alpha=alpha, rng=0)
    every = np.concatenate(split.indices)
    assert len(np.unique(every)) == every.size                  # nothing duplicated
    assert every.size == split.counts.sum()
    for i, idx in enumerate(split.indices):                     # counts describe the sets
        np.testing.assert_array_equal(
            np.bincount(labels[idx], minlength=split.counts.shape[1]), split.counts[i])
    np.testing.assert_allclose(split.weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(split.sizes.sum(), 1.0)
    k = split.counts.shape[1]
    if method in ("iid", "dirichlet-class"):
        assert split.unassigned == 0                            # nothing lost
    if method == "balanced":
        assert split.unassigned <= k * (n_clients - 1)          # flooring only
    if method == "iid":
        assert np.ptp(split.counts.sum(axis=1)) <= 1


def test_balanced_split_equalises_client_sizes():
    labels = np.random.default_rng(0).integers(0, 10, 10_000)
    split = split_clients(labels, 20, "balanced", alpha=0.1, rng=3)
    np.testing.assert_allclose(split.sizes, 1 / 20, rtol=1e-9)
    assert np.all(np.abs(split.counts.sum(axis=1) - 500) <= 10)
    unbalanced = split_clients(labels, 20, "dirichlet-class", alpha=0.1, rng=3)
    assert np.ptp(unbalanced.counts.sum(axis=1)) > 100


@pytest.mark.parametrize("method", SPLIT_METHODS)
def test_same_seed_same_split(method):
    labels = np.random.default_rng(1).integers(0, 5, 500)
    a = split_clients(labels, 7, method, alpha=0.3, rng=11)
    b = split_clients(labels, 7, method, alpha=0.3, rng=11)
    for x, y in zip(a.indices, b.indices):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.weights, b.weights)


@pytest.mark.parametrize("method", ["dirichlet-class", "dirichlet-client", "balanced"])
def test_heterogeneity_decreases_with_alpha(method):
    labels = np.repeat(np.arange(10), 200)
    h = [np.mean([label_heterogeneity(s.weights, s.sizes) for s in
                  (split_clients(labels, 10, method, alpha=a, rng=seed) for seed in range(5))])
         for a in (0.05, 0.5, 5.0, 500.0)]
    assert all(x > y for x, y in zip(h, h[1:])), h
    assert h[-1] < 0.05


def test_iid_has_zero_label_heterogeneity():
    labels = np.random.default_rng(0).integers(0, 4, 100)
    assert label_heterogeneity(split_clients(labels, 5).weights) == pytest.approx(0.0, abs=1e-15)


def test_label_heterogeneity_extreme_value():
    # each of 4 clients holds one of 4 classes: TV from uniform is 3/4
    assert label_heterogeneity(np.eye(4)) == pytest.approx(0.75)


def test_moment_heterogeneity_structured_matches_dense():
    model = PaperModel(20, 5, rare_fraction=0.1)
    dense = model.second_moments()
    expected = np.mean([np.sum((s - dense.mean(0)) ** 2) for s in dense])
    assert moment_heterogeneity(dense) == pytest.approx(expected, rel=1e-12)
    assert moment_heterogeneity(model.structured_second_moments()) == pytest.approx(expected, rel=1e-12)
    assert moment_heterogeneity(np.stack([dense[0]] * 3)) == pytest.approx(0.0, abs=1e-20)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(labels=[0.5, 1.0], n_clients=2), ValueError, "integer array"),
        (dict(labels=[0, -1], n_clients=2), ValueError, ">= 0"),
        (dict(labels=[0, 3], n_clients=2, n_classes=2), ValueError, "lie in 0..1"),
        (dict(labels=[0, 1], n_clients=2, method="dirichlet"), ValueError, "method must be one of"),
        (dict(labels=[0, 1], n_clients=2, method="balanced"), ValueError, "alpha is required"),
        (dict(labels=[0, 1], n_clients=2, method="balanced", alpha=-1.0), ValueError, "alpha must be > 0"),
        (dict(labels=[0, 1], n_clients=0), ValueError, "n_clients must be >= 1"),
    ],
)
def test_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        split_clients(**kwargs)


def test_more_clients_than_samples_is_refused():
    import pytest

    from theory.splits import split_clients

    for method in ("iid", "dirichlet-class", "dirichlet-client", "balanced"):
        with pytest.raises(ValueError, match="n_clients = 12 exceeds the 10 samples"):
            split_clients(np.arange(10) % 2, 12, method, alpha=1.0, rng=0)
