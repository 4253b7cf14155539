import numpy as np
import pytest
import scipy.sparse as sps

from simulators.dynamics import dpsgd_family, family_gradients, gossip
from theory import topology
from theory.objectives import alignment_loss_grad, cl_alignment_matrix, family_optimum
from theory.paper_model import PaperModel


def test_gossip_dense_and_sparse_agree_and_converge():
    G = topology.paper_graph(12, 3.5, rng=0)
    W = topology.mixing_matrix(G, "metropolis")
    X = np.random.default_rng(0).standard_normal((12, 3, 4))
    np.testing.assert_allclose(gossip(X, W, 7), gossip(X, sps.csr_matrix(W), 7), atol=1e-12)
    np.testing.assert_allclose(gossip(X, W, 400), np.broadcast_to(X.mean(0), X.shape), atol=1e-8)


def test_vectorised_gradients_equal_the_per_client_loop():
    rng = np.random.default_rng(1)
    Wc = rng.standard_normal((5, 2, 6))
    a = rng.standard_normal((5, 6, 6))
    X = a + np.swapaxes(a, 1, 2)
    loop = np.stack([alignment_loss_grad(Wc[i], X[i]) for i in range(5)])
    np.testing.assert_allclose(family_gradients(Wc, X), loop, atol=1e-12)


@pytest.fixture
def setup():
    model = PaperModel(16, 4, tau=1.2, mu=0.6, rare_fraction=0.2)
    X = cl_alignment_matrix(model.second_moments())
    W = topology.mixing_matrix(topology.ring_graph(4), "metropolis")
    ref = family_optimum(X.mean(0), 3).subspace
    return X, W, ref


def test_dpsgd_approaches_the_fl_optimum_and_is_deterministic(setup):
    X, W, ref = setup
    a = dpsgd_family(X, W, 3, 0.05, 1500, rng=3, reference=ref, record_every=500)
    b = dpsgd_family(X, W, 3, 0.05, 1500, rng=3, reference=ref, record_every=500)
    np.testing.assert_array_equal(a.state, b.state)
    assert a.metrics["distance"][-1] < a.metrics["distance"][0]
    assert a.metrics["distance"][-1] < 0.2


def test_dpsgd_resumes_from_a_checkpoint(setup, tmp_path):
    X, W, ref = setup
    ck = tmp_path / "run.npz"
    full = dpsgd_family(X, W, 3, 0.05, 600, rng=4, record_every=100)
    dpsgd_family(X, W, 3, 0.05, 300, rng=4, record_every=100, checkpoint=ck, checkpoint_every=100)
    resumed = dpsgd_family(X, W, 3, 0.05, 600, rng=4, record_every=100, checkpoint=ck, checkpoint_every=100)
    np.testing.assert_array_equal(full.state, resumed.state)
    assert resumed.steps == full.steps
    # a different configuration does not reuse the checkpoint
    other = dpsgd_family(X, W, 3, 0.02, 600, rng=4, record_every=100, checkpoint=ck)
    assert not np.array_equal(other.state, full.state)


def test_minibatch_gradients(setup):
    X, W, ref = setup
    noise = lambda rng: X + 0.01 * rng.standard_normal(X.shape)
    traj = dpsgd_family(X, W, 3, 0.05, 300, rng=5, minibatch=lambda r: (noise(r) + np.swapaxes(noise(r), 1, 2)) / 2,
                        reference=ref, record_every=100)
    assert np.isfinite(traj.metrics["distance"]).all()


def test_bad_input(setup):
    X, W, ref = setup
    with pytest.raises(ValueError, match="row-stochastic"):
        dpsgd_family(X, np.full((4, 4), 0.5), 3, 0.05, 10)
    with pytest.raises(ValueError, match="eta must be > 0"):
        dpsgd_family(X, W, 3, 0.0, 10)


def test_spectral_gradients_match_the_per_client_formula():
    from simulators.dynamics import spectral_gradients
    from theory.spectral_contrastive import spectral_contrastive_grad
    rng = np.random.default_rng(6)
    Wc = rng.standard_normal((3, 2, 5))
    a, b = rng.standard_normal((2, 3, 5, 5))
    S, M = a @ np.swapaxes(a, 1, 2), b + np.swapaxes(b, 1, 2)
    loop = np.stack([spectral_contrastive_grad(Wc[i], S[i], M[i]) for i in range(3)])
    np.testing.assert_allclose(spectral_gradients(Wc, S, M), loop, atol=1e-10)


def test_fedavg_family_one_local_step_full_participation_is_centralised_gd(setup):
    from simulators.dynamics import fedavg_family
    X, W, ref = setup
    # with E = 1 and full participation FedAvg is gradient descent on the mean loss
    traj = fedavg_family(X, 3, 0.05, 1, 200, rng=7, reference=ref)
    Wgd = np.random.default_rng(7).standard_normal((3, 16)) * 0.1
    Xbar = X.mean(axis=0)
    for _ in range(200):
        Wgd = Wgd - 0.05 * 2 * Wgd @ (Wgd.T @ Wgd - Xbar)
    np.testing.assert_allclose(traj.state, Wgd, atol=1e-10)
    assert traj.metrics["distance"][-1] < traj.metrics["distance"][0]
    part = fedavg_family(X, 3, 0.05, 5, 300, rng=7, participation=0.5, reference=ref,
                         weights=np.array([1.0, 2.0, 3.0, 4.0]))
    assert np.isfinite(part.metrics["distance"]).all()
    with pytest.raises(ValueError, match="participation"):
        fedavg_family(X, 3, 0.05, 1, 3, participation=0.0)


def test_minibatch_dpsgd_from_the_data_model(setup):
    from simulators.client_data import minibatch_sampler
    X, W, ref = setup
    model = PaperModel(16, 4, tau=1.2, mu=0.6, rare_fraction=0.2)
    draw = minibatch_sampler(model, 64, "cl-similar")
    traj = dpsgd_family(X, W, 3, 0.02, 400, rng=8, minibatch=draw, reference=ref, record_every=100)
    assert traj.metrics["distance"][-1] < traj.metrics["distance"][0]
    with pytest.raises(ValueError, match="kind must be one of"):
        minibatch_sampler(model, 8, "mae")
