import numpy as np
import pytest

from simulators.client_data import empirical_target, sample_clients
from theory.objectives import cl_alignment_matrix, mim_alignment_matrix, paper_mim_expectation
from theory.paper_model import PaperModel


@pytest.mark.parametrize("kind", ["mim-eq17", "mim-surrogate", "cl-similar", "cl-dissimilar",
                                  "second-moment"])
def test_empirical_targets_converge_to_their_expectations(kind):
    model = PaperModel(8, 3, rare_fraction=0.2)
    H = np.diag(np.linspace(0.5, 1.5, 8))
    x, _ = sample_clients(model, 100_000, rng=0)
    got = empirical_target(x, kind, p=0.6, H=H, rng=1)
    S = model.second_moments()
    expected = {"mim-eq17": paper_mim_expectation(S, 0.6), "mim-surrogate": mim_alignment_matrix(S, 0.6),
                "cl-similar": cl_alignment_matrix(S), "cl-dissimilar": cl_alignment_matrix(S, H),
                "second-moment": S}[kind]
    scale = np.max(np.abs(expected))
    assert np.max(np.abs(got - expected)) < 0.03 * scale


def test_vectorised_equals_per_client():
    x = np.random.default_rng(0).standard_normal((3, 50, 4))
    full = empirical_target(x, "mim-surrogate", p=0.5)
    for i in range(3):
        np.testing.assert_allclose(full[i], empirical_target(x[i:i + 1], "mim-surrogate", p=0.5)[0])


def test_bad_input():
    x = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match="kind must be one of"):
        empirical_target(x, "mae")
    with pytest.raises(ValueError, match="needs the mask ratio"):
        empirical_target(x, "mim-eq17")
    with pytest.raises(ValueError, match="needs H"):
        empirical_target(x, "cl-dissimilar")
