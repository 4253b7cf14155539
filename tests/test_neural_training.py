"""Batched training against per-client computation; sampler, determinism, frameworks."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from torch.func import functional_call, grad_and_value  # noqa: E402

from simulators.neural.config import NEURAL_SCHEMA  # noqa: E402
from simulators.neural.data import make_client_data  # noqa: E402
from simulators.neural.evaluation import weight_distances  # noqa: E402
from simulators.neural.experiment import run_point  # noqa: E402
from simulators.neural.models import SSLNet  # noqa: E402
from simulators.neural.training import (ClientSampler, FlatLayout, TrainConfig, _Step,  # noqa: E402
                                        steps_per_round, train_dpsgd, train_fedavg)

BASE = {k: v[1] for k, v in NEURAL_SCHEMA.items()}
TINY = dict(n_clients=4, rounds=1, hidden=16, rep_dim=4)


@pytest.mark.parametrize("method", ["mae", "mar", "simsiam", "spectral"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_batched_steps_equal_per_client_optimisers(method, optimizer):
    """Three batched steps with one client idle in the second: the vmapped gradients equal each
    client's own, and the fused per-row update equals, client by client, the unfused
    single-tensor torch.optim optimiser fed those gradients (Adam's g / |g| would amplify
    round-off in near-zero gradients, so both optimisers get the same ones)."""
    torch.manual_seed(0)
    model = SSLNet(method, "mlp", (10,), rep_dim=4, hidden=16)
    cfg = TrainConfig(optimizer=optimizer, lr=0.05)
    gen = torch.Generator().manual_seed(1)
    step = _Step(model, cfg, gen)
    lay = step.layout
    m = 3
    flat = lay.flatten({k: v.detach()[None] for k, v in model.named_parameters()}).repeat(m, 1)
    flat = flat + 0.01 * torch.randn(flat.shape, generator=gen)       # clients differ
    rows = [flat[i].clone() for i in range(m)]
    make = (lambda p: torch.optim.SGD([p], lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                                      foreach=False)) if optimizer == "sgd" else \
           (lambda p: torch.optim.AdamW([p], lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=False))
    refs = [make(p) for p in rows]
    one = grad_and_value(lambda p, b: functional_call(model, p, (b,)))
    opt = step.init_state(flat)
    for active in ([True, True, True], [True, False, True], [True, True, True]):
        x = torch.randn((m, 8, 10), generator=gen)
        batch = step.inputs(x, flat, torch.full((m,), 0.05))
        before = flat.clone()
        gb = lay.flatten(step.grad(lay.views(flat), batch)[0])
        for i in range(m):
            g, _ = one(lay.views(flat[i].clone()), {k: v[i] for k, v in batch.items()})
            torch.testing.assert_close(gb[i], torch.cat([g[k].reshape(-1) for k in lay.names]),
                                       rtol=1e-4, atol=1e-6)
            rows[i].grad = gb[i].clone() if active[i] else None
            refs[i].step()
        new, _ = step(flat, opt, batch, torch.tensor(active))
        assert new is flat
        for i in range(m):
            if not active[i]:
                assert torch.equal(flat[i], before[i])
            torch.testing.assert_close(flat[i], rows[i], rtol=1e-5, atol=1e-6)


def test_flat_layout_round_trip():
    model = SSLNet("simsiam", "cnn", (1, 8, 8), rep_dim=4, hidden=16)
    named = {k: v.detach() for k, v in model.named_parameters()}
    lay = FlatLayout(named)
    flat = lay.flatten({k: v[None] for k, v in named.items()})
    assert flat.shape == (1, sum(v.numel() for v in named.values()))
    for k, v in lay.views(flat[0]).items():
        assert torch.equal(v, named[k])


def test_sampler_epochs_cover_each_client_once():
    sizes = torch.tensor([64, 32, 0])
    x = torch.arange(3 * 64, dtype=torch.float32).reshape(3, 64, 1)
    sampler = ClientSampler(x, sizes, 16, torch.Generator().manual_seed(0))
    seen = [[], []]
    for _ in range(4):                                   # one epoch of client 0
        b = sampler.batch(torch.tensor([0, 1]))
        seen[0] += b[0, :, 0].tolist()
        seen[1] += b[1, :, 0].tolist()
    assert sorted(seen[0]) == list(range(64))
    assert sorted(seen[1]) == sorted(list(range(64, 96)) * 2)       # two epochs of client 1
    assert steps_per_round(sizes, TrainConfig(local_epochs=2, batch_size=16)).tolist() == [8, 4, 0]


def test_fedavg_server_is_size_weighted_mean_and_handles_an_empty_client():
    torch.manual_seed(0)
    model = SSLNet("mae", "mlp", (6,), rep_dim=2, hidden=8)
    x = torch.randn((3, 20, 6), generator=torch.Generator().manual_seed(0))
    sizes = torch.tensor([20, 5, 0])
    res = train_fedavg(model, x, sizes, TrainConfig(rounds=2, batch_size=4), torch.Generator().manual_seed(1))
    lay = FlatLayout(res.params)
    loc = lay.flatten(res.client_params)
    w = torch.tensor([20.0, 5.0, 0.0]) / 25
    torch.testing.assert_close(lay.flatten({k: v[None] for k, v in res.params.items()})[0], w @ loc)
    assert np.isfinite(res.losses).all()


def test_rounds_that_select_only_empty_clients_train_nobody():
    torch.manual_seed(0)
    model = SSLNet("mae", "mlp", (6,), rep_dim=2, hidden=8)
    x = torch.randn((4, 10, 6), generator=torch.Generator().manual_seed(0))
    sizes = torch.tensor([10, 0, 0, 0])
    res = train_fedavg(model, x, sizes, TrainConfig(rounds=6, batch_size=4, participation=0.25),
                       torch.Generator().manual_seed(3))
    assert None in res.losses and any(v is not None for v in res.losses)
    assert all(np.isfinite(v) for v in res.losses if v is not None)
    d = weight_distances(res.client_params, res.params, np.array([0]))
    assert np.isnan(d["local_global"]) and np.isnan(d["local_local"])


def test_dpsgd_complete_uniform_mixing_gives_consensus():
    torch.manual_seed(0)
    model = SSLNet("spectral", "mlp", (6,), rep_dim=2, hidden=8)
    x = torch.randn((4, 12, 6), generator=torch.Generator().manual_seed(0))
    sizes = torch.tensor([12, 12, 8, 4])
    W = np.full((4, 4), 0.25)
    res = train_dpsgd(model, x, sizes, W, TrainConfig(rounds=2, batch_size=4), torch.Generator().manual_seed(2))
    lay = FlatLayout(res.params)
    loc = lay.flatten(res.client_params)                 # last round, before the final mixing
    mean = lay.flatten({k: v[None] for k, v in res.params.items()})[0]
    torch.testing.assert_close(loc.mean(0), mean)
    d = weight_distances(res.client_params, res.params, sizes.numpy())
    assert d["local_global"] > 0
    same = {k: v[:1].expand_as(v) for k, v in res.client_params.items()}
    assert weight_distances(same, {k: v[0] for k, v in same.items()}, sizes.numpy())["local_local"] == 0


def test_travel_normalised_distances_match_a_direct_computation():
    g = torch.Generator().manual_seed(5)
    enc = lambda *shape: torch.randn(shape, generator=g, dtype=torch.float64)
    loc = {"encoder.0.weight": enc(3, 4, 2)}
    glob = {"encoder.0.weight": enc(4, 2)}
    init = {"encoder.0.weight": enc(4, 2)}
    d = weight_distances(loc, glob, np.array([5, 0, 7]), init)
    w = loc["encoder.0.weight"].reshape(3, -1)[[0, 2]].numpy()
    wg, w0 = glob["encoder.0.weight"].reshape(-1).numpy(), init["encoder.0.weight"].reshape(-1).numpy()
    travel = np.linalg.norm(wg - w0)
    lg = np.mean(np.linalg.norm(w - wg, axis=1))
    assert d["travel"] == pytest.approx(travel / np.linalg.norm(wg), rel=1e-12)
    assert d["local_global_travel"] == pytest.approx(lg / travel, rel=1e-12)
    assert d["local_local_travel"] == pytest.approx(np.linalg.norm(w[0] - w[1]) / travel, rel=1e-12)
    assert "travel" not in weight_distances(loc, glob, np.array([5, 0, 7]))


def test_run_point_is_deterministic_and_seed_dependent():
    pt = dict(BASE, **TINY, method="simsiam")
    a, b = run_point(pt), run_point(pt)
    for k in ("accuracy", "final_loss", "dist_local_global"):
        assert a[k] == b[k]
    c = run_point(dict(pt, seed=1))
    assert c["final_loss"] != a["final_loss"]


def test_random_encoder_probe_is_memoised_per_split_and_initialisation(monkeypatch):
    """Runs that share a seed block's split and initialisation (D-PSGD at two connectivities)
    probe the random encoder once; the memoised value is the one a fresh computation gives, and
    another seed's initialisation is probed anew."""
    from simulators.neural import experiment

    pt = dict(BASE, **TINY, method="mae", framework="dpsgd", connectivity=3.0, n_seeds=2)
    monkeypatch.setattr(experiment, "_RANDOM_PROBE", {})
    calls = []
    real = experiment.probes
    monkeypatch.setattr(experiment, "probes", lambda *a: calls.append(1) or real(*a))
    a = run_point(pt)
    first = len(calls)
    b = run_point(dict(pt, connectivity=4.0))
    assert len(calls) - first == 1                      # the trained encoder only
    assert a["accuracy_random"] == b["accuracy_random"]
    experiment._RANDOM_PROBE.clear()
    assert run_point(pt)["accuracy_random"] == a["accuracy_random"]
    c = run_point(dict(pt, seed=5))
    assert len(experiment._RANDOM_PROBE) == 2 and c["accuracy_random"] != a["accuracy_random"]


@pytest.mark.parametrize("framework", ["centralised", "dpsgd"])
def test_frameworks_run_and_report(framework):
    out = run_point(dict(BASE, **{**TINY, "rep_dim": 5}, framework=framework, connectivity=3.0, arch="cnn"))
    assert 0 <= out["accuracy"] <= 1
    if framework == "dpsgd":
        assert out["avg_connectivity"] == pytest.approx(3.0, abs=0.5)
    else:
        assert np.isnan(out["dist_local_global"])


def test_feature_skew_transforms_clients_differently():
    data = make_client_data("synthetic", "feature-skew", 3, seed=0, n_train=60, n_test=20, d=4)
    assert data.sizes.sum() == 60
    idx0 = data.indices[0]
    assert not np.allclose(data.client_x[0], data.x_train[idx0])
    with pytest.raises(ValueError, match="dataset"):
        make_client_data("cifar", "iid", 3)


def test_linear_encoder_projector_reported():
    out = run_point(dict(BASE, **{**TINY, "rep_dim": 2}, dataset="synthetic", arch="linear",
                         method="spectral", d=6, n_components=3, n_train=60, n_test=30))
    P = np.array(out["projector"]).reshape(6, 6)
    np.testing.assert_allclose(P @ P, P, atol=1e-8)
    assert np.trace(P) == pytest.approx(2)
    np.testing.assert_allclose(out["rv"], np.diag(P))


@pytest.mark.parametrize("graph", NEURAL_SCHEMA["graph"][2])
def test_every_graph_family_gives_a_mixing_matrix(graph):
    from simulators.neural.experiment import mixing_for
    from theory.topology import check_mixing_matrix

    n = 9 if graph == "torus" else 8
    k = 4.0 if graph in ("ring-lattice", "random-regular") else 3.0      # even degree
    W, conn = mixing_for(dict(BASE, n_clients=n, graph=graph, connectivity=k, rule="metropolis"))
    check_mixing_matrix(W)
    assert 1 < conn <= n
    if graph in ("hypercube", "torus"):
        with pytest.raises(ValueError, match="n_clients"):
            mixing_for(dict(BASE, n_clients=6, graph=graph))


def test_run_point_rejects_bad_points_naming_the_key():
    with pytest.raises(ValueError, match="lacks"):
        run_point({"method": "mae"})
    with pytest.raises(ValueError, match="method"):
        run_point(dict(BASE, method="byol"))
    with pytest.raises(TypeError, match="rounds"):
        run_point(dict(BASE, rounds=2.5))
    with pytest.raises(ValueError, match="mask_ratio"):
        run_point(dict(BASE, mask_ratio=1.5))


def test_seed_batched_fedavg_keeps_one_server_per_run():
    torch.manual_seed(0)
    model = SSLNet("mae", "mlp", (6,), rep_dim=2, hidden=8)
    lay = FlatLayout(dict(model.named_parameters()))
    G, N = 3, 4
    init = torch.randn((G, lay.size), generator=torch.Generator().manual_seed(5))
    x = torch.randn((G * N, 10, 6), generator=torch.Generator().manual_seed(0))
    sizes = torch.tensor([10, 4, 0, 7] * G)
    res = train_fedavg(model, x, sizes, TrainConfig(rounds=2, batch_size=4, participation=0.5),
                       torch.Generator().manual_seed(1), init=init)
    server = lay.flatten(res.params)                      # (G, P)
    local = res.client_params                              # (G, m, ...)
    assert server.shape == (G, lay.size) and res.client_sizes.shape == (G, 2)
    for g in range(G):
        loc = lay.flatten({k: v[g] for k, v in local.items()})
        w = torch.as_tensor(res.client_sizes[g], dtype=torch.float32)
        if w.sum() > 0:
            torch.testing.assert_close(server[g], (w / w.sum()) @ loc)
    assert not torch.equal(server[0], server[1])          # runs start apart and stay apart


def test_seed_batched_dpsgd_mixes_within_each_run_only():
    torch.manual_seed(0)
    model = SSLNet("spectral", "mlp", (6,), rep_dim=2, hidden=8)
    lay = FlatLayout(dict(model.named_parameters()))
    G, N = 2, 3
    init = torch.randn((G, lay.size), generator=torch.Generator().manual_seed(5))
    x = torch.randn((G * N, 12, 6), generator=torch.Generator().manual_seed(0))
    sizes = torch.tensor([12, 8, 4] * G)
    W = np.stack([np.full((N, N), 1 / N), np.eye(N)])     # run 0 averages, run 1 never mixes
    res = train_dpsgd(model, x, sizes, W, TrainConfig(rounds=2, batch_size=4),
                      torch.Generator().manual_seed(2), init=init)
    loc = res.client_params
    mean = lay.flatten(res.params)
    for g in range(G):
        torch.testing.assert_close(lay.flatten({k: v[g] for k, v in loc.items()}).mean(0), mean[g])
    d0 = weight_distances({k: v[0] for k, v in loc.items()}, {k: v[0] for k, v in res.params.items()}, np.ones(N))
    d1 = weight_distances({k: v[1] for k, v in loc.items()}, {k: v[1] for k, v in res.params.items()}, np.ones(N))
    assert d1["local_local"] > d0["local_local"] > 0
    with pytest.raises(ValueError, match="W must have shape"):
        train_dpsgd(model, x, sizes, np.eye(N + 1), TrainConfig(rounds=1), torch.Generator(), init=init)
    with pytest.raises(ValueError, match="multiple of groups"):
        train_fedavg(model, x[:5], sizes[:5], TrainConfig(rounds=1), torch.Generator(), init=init)


def test_run_point_with_several_seeds_lists_metrics_and_baselines():
    pt = dict(BASE, **TINY, dataset="digits", arch="cnn", method="simsiam", n_seeds=3)
    out = run_point(pt)
    for key in ("accuracy", "accuracy_random", "accuracy_raw", "dist_local_global"):
        assert isinstance(out[key], list) and len(out[key]) == 3, key
        assert all(0 <= v <= 1 for v in out[key]) or key.startswith("dist")
    assert out["accuracy_random"][0] != out["accuracy_random"][1]      # own initialisation per seed
    assert run_point(pt)["accuracy"] == out["accuracy"]                 # same point, same bits
    one = run_point(dict(pt, n_seeds=1))
    assert isinstance(one["accuracy"], float)
    assert one["accuracy_random"] == out["accuracy_random"][0]          # init and split: seed only


def test_mnist1d_is_generated_without_touching_global_random_state(tmp_path, monkeypatch):
    import random

    from simulators.neural import data

    monkeypatch.setenv("DSSL_DATA_DIR", str(tmp_path))
    data.mnist1d_arrays.cache_clear()
    np.random.seed(123)
    random.seed(7)
    before = (np.random.get_state()[1].copy(), random.getstate())
    x, y = data.mnist1d_arrays(200)
    assert np.array_equal(np.random.get_state()[1], before[0]) and random.getstate() == before[1]
    assert x.shape == (200, 40) and np.bincount(y).tolist() == [20] * 10
    cached = list(tmp_path.glob("mnist1d-*.npz"))
    assert len(cached) == 1 and not list(tmp_path.glob(".*tmp*"))
    data.mnist1d_arrays.cache_clear()
    x2, y2 = data.mnist1d_arrays(200)                  # from the .npz
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    with pytest.raises(ValueError, match="n_samples"):
        data.mnist1d_arrays(205)
    xtr, ytr, xte, yte = data.load_dataset("mnist1d", n_train=120, n_test=75)
    assert xtr.shape == (120, 1, 40) and xte.shape == (75, 1, 40)


def test_mnist1d_cnn_and_masks_cover_signals():
    from simulators.neural.augment import augment, keep_mask, mask_units

    model = SSLNet("mae", "cnn", (1, 40), rep_dim=125, hidden=32)
    assert model.encode(torch.zeros(2, 1, 40)).shape == (2, 125)      # the published flatten
    assert model.encoder[0].out_channels == 25 and model.encoder[0].stride == (2,)
    with pytest.raises(ValueError, match="multiple of 5"):
        SSLNet("mae", "cnn", (1, 40), rep_dim=32)
    gen = torch.Generator().manual_seed(0)
    keep = keep_mask(gen, 2, 3, (1, 40), 0.75)
    assert mask_units((1, 40)) == 10
    assert torch.all(keep.sum(-1) == 40 - 4 * round(0.75 * 10))
    assert augment(gen, torch.ones(2, 3, 1, 40)).shape == (2, 3, 1, 40)


def _argsort_mask(keys, n_mask):
    """The masks as they were drawn before ``hide_smallest``: sort, then scatter."""
    hidden = torch.from_numpy(np.argsort(keys, axis=-1)[..., :n_mask])
    return torch.ones(keys.shape).scatter_(-1, hidden, 0.0) == 0


@pytest.mark.parametrize("units", [4, 10, 16, 64])
def test_hide_smallest_is_argsorts_set_bit_for_bit_ties_included(units):
    from simulators.neural.augment import hide_smallest

    rng = np.random.default_rng(units)
    smooth = rng.random((50, 7, units), dtype=np.float32)
    tied = rng.integers(0, 4, (50, 7, units)).astype(np.float32)    # boundary ties in most rows
    for keys in (smooth, tied):
        for n_mask in range(units + 1):
            got = hide_smallest(keys, n_mask)
            assert got.dtype == bool and np.array_equal(got, _argsort_mask(keys, n_mask).numpy()), n_mask
            assert np.all(got.sum(-1) == n_mask)
    assert (hide_smallest(tied, units // 2).sum(-1) == units // 2).all()


@pytest.mark.parametrize("shape", [(64,), (1, 40), (1, 8, 8)])
def test_keep_mask_draws_the_masks_of_the_sort_and_scatter(shape):
    from simulators.neural.augment import PATCH, PATCH_1D, keep_mask, mask_units

    units = mask_units(shape)
    for ratio in (0.0, 0.5, 0.75, 1.0):
        a, b = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
        got = keep_mask(a, 5, 6, shape, ratio)
        keys = torch.rand((5, 6, units), generator=b)
        ref = (~_argsort_mask(keys.numpy(), int(round(ratio * units)))).to(torch.float32)
        if len(shape) == 3:
            side = shape[1] // PATCH
            ref = ref.reshape(5, 6, 1, side, side).repeat_interleave(PATCH, -2).repeat_interleave(PATCH, -1)
        elif len(shape) == 2:
            ref = ref.reshape(5, 6, 1, units).repeat_interleave(PATCH_1D, -1)
            ref = torch.nn.functional.pad(ref, (0, shape[1] - ref.shape[-1]), value=1.0)
        assert got.dtype == torch.float32 and torch.equal(got, ref)
        assert torch.equal(a.get_state(), b.get_state())          # the same draws from the stream


def test_ridge_probe_predicts_as_sklearns_ridge_classifier_and_batches_over_seeds():
    from sklearn.linear_model import RidgeClassifier

    from simulators.neural.evaluation import RIDGE, ridge_probe

    rng = np.random.default_rng(0)
    G, n, m, k = 3, 300, 200, 6
    y, yt = rng.integers(0, 4, n), rng.integers(0, 4, m)
    means = rng.normal(size=(4, k))
    F = means[y] + rng.normal(size=(G, n, k)) * np.array([1.0, 2.0, 0.5])[:, None, None]
    Ft = means[yt] + rng.normal(size=(G, m, k))
    F[..., 0] *= 50.0                                   # scales differ: the probe standardises
    acc = ridge_probe(F, y, Ft, yt)
    for g in range(G):
        mu, sd = F[g].mean(0), F[g].std(0)
        clf = RidgeClassifier(alpha=RIDGE * n).fit((F[g] - mu) / sd, y)
        assert acc[g] == np.mean(clf.predict((Ft[g] - mu) / sd) == yt)
        assert ridge_probe(F[g:g + 1], y, Ft[g:g + 1], yt)[0] == acc[g]
    assert acc.min() > 0.4                              # the classes are separable enough to learn
    with pytest.raises(ValueError, match="features must be"):
        ridge_probe(F[0], y, Ft[0], yt)


def test_runs_pin_the_blas_threads_as_well_as_torch_threads():
    from threadpoolctl import threadpool_info, threadpool_limits

    from simulators.neural.experiment import deterministic_torch

    with threadpool_limits(2):
        outside = [p["num_threads"] for p in threadpool_info()]
        with deterministic_torch(1) as t:
            assert t.get_num_threads() == 1
            assert all(p["num_threads"] == 1 for p in threadpool_info())
        assert [p["num_threads"] for p in threadpool_info()] == outside


def test_mask_channel_hides_masked_inputs_and_the_probe_feeds_ones():
    """With the mask channel, the encoder sees [x * keep, keep]: values at hidden positions do
    not reach it, and a hidden 0 differs from a real 0; the probe's encode feeds an all-ones mask."""
    torch.manual_seed(0)
    model = SSLNet("mae", "cnn", (1, 40), rep_dim=125, hidden=32, mask_channel=True, target="detrended")
    assert model.encoder.inner[0].in_channels == 2
    x = torch.randn(3, 1, 40)
    keep = torch.ones(3, 1, 40)
    keep[..., 8:20] = 0.0
    noisy = x + (1 - keep) * torch.randn(3, 1, 40)
    assert torch.equal(model.encoder(x, keep), model.encoder(noisy, keep))
    zero = x * keep
    assert not torch.allclose(model.encoder(zero, keep), model.encoder(zero, torch.ones_like(keep)))
    assert torch.equal(model.encode(x), model.encoder.inner(torch.cat([x, torch.ones_like(x)], 1)))
    loss = model({"x": x, "keep": keep})
    assert loss.shape == () and torch.isfinite(loss)
    with pytest.raises(ValueError, match="detrended"):
        SSLNet("mae", "mlp", (6,), target="detrended")


def test_detrend_removes_exactly_the_least_squares_line():
    from simulators.neural.models import detrend

    t = torch.arange(40, dtype=torch.float64)
    x = torch.randn(5, 1, 40, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    line = 0.7 - 0.03 * t
    assert torch.allclose(detrend(x + line), detrend(x), atol=1e-12)
    assert torch.allclose(detrend(line.expand(2, 1, 40)), torch.zeros(2, 1, 40, dtype=torch.float64), atol=1e-12)
    coef = np.polyfit(t.numpy(), x[0, 0].numpy(), 1)           # numpy's least-squares line
    assert np.allclose(detrend(x)[0, 0].numpy(), x[0, 0].numpy() - np.polyval(coef, t.numpy()), atol=1e-12)


def test_mnist1d_views_are_shifted_detrended_signals_plus_a_line():
    """Each view minus its own least-squares line is a circular shift by 0..9 of the detrended
    signal minus that shift's line: the view adds only a line (slope and offset)."""
    from simulators.neural.augment import MNIST1D_SHIFT, augment
    from simulators.neural.models import detrend

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, 1, 40, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    v = augment(gen, x, kind="mnist1d")
    base = detrend(x)
    for i in range(2):
        for j in range(4):
            got = detrend(v[i, j])
            assert any(torch.allclose(got, detrend(torch.roll(base[i, j], s, -1)), atol=1e-9)
                       for s in range(MNIST1D_SHIFT + 1))
    with pytest.raises(ValueError, match="signals"):
        augment(gen, torch.zeros(2, 3, 6), kind="mnist1d")


def test_finished_clients_cost_no_gradient():
    """Under a size-skewed split the batched call takes only the clients still stepping."""
    torch.manual_seed(0)
    model = SSLNet("mae", "mlp", (6,), rep_dim=2, hidden=8)
    cfg = TrainConfig(batch_size=4, local_epochs=1, mask_ratio=0.5)
    gen = torch.Generator().manual_seed(0)
    sizes = torch.tensor([4, 12, 20])
    x = torch.randn(3, 20, 6)
    step = _Step(model, cfg, gen)
    seen = []
    inner = step.grad
    step.grad = lambda p, b: (seen.append(next(iter(b.values())).shape[0]), inner(p, b))[1]
    flat = FlatLayout(dict(model.named_parameters())).flatten(
        {k: v.detach()[None].repeat(3, *[1] * v.dim()) for k, v in model.named_parameters()})
    opt = step.init_state(flat)
    sampler = ClientSampler(x, sizes, cfg.batch_size, gen)
    steps = steps_per_round(sizes, cfg)
    for s in range(int(steps.max())):
        step(flat, opt, step.inputs(sampler.batch(torch.arange(3)), None, None), s < steps)
    assert seen == [3, 2, 2, 1, 1]


def test_probes_logistic_and_least_squares():
    from simulators.neural.evaluation import probe_accuracy, ridge_probe
    from simulators.neural.experiment import probes

    rng = np.random.default_rng(0)
    y, yt = rng.integers(0, 3, (2, 200)), rng.integers(0, 3, (2, 100))
    means = rng.normal(size=(3, 4)) * 2
    F, Ft = means[y] + rng.normal(size=(2, 200, 4)), means[yt] + rng.normal(size=(2, 100, 4))
    log = probes(F, y, Ft, yt, "logistic")
    assert log.tolist() == [probe_accuracy(F[g], y[g], Ft[g], yt[g]) for g in range(2)]
    assert np.array_equal(probes(F, y, Ft, yt, "least-squares"), ridge_probe(F, y, Ft, yt))
    with pytest.raises(ValueError, match="probe"):
        probes(F, y, Ft, yt, "knn")


def test_signal_conv_equals_conv1d():
    """The matmul convolution of the signal CNN computes nn.Conv1d (float64, to round-off)."""
    from simulators.neural.models import SignalConv

    torch.manual_seed(0)
    for cin, k in ((1, 5), (25, 3), (2, 5)):
        ref = torch.nn.Conv1d(cin, 7, k, stride=2, padding=1).double()
        mm = SignalConv(cin, 7, k, stride=2, padding=1).double()
        mm.load_state_dict(ref.state_dict())
        for length in (40, 19, 10, 5):
            x = torch.randn(3, cin, length, dtype=torch.float64)
            assert torch.allclose(mm(x), ref(x), atol=1e-12)


def test_signal_columns_adjoint():
    """The transposed columns (each tap's slice of the zero-padded signal, then a row of ones)
    and their hand-written adjoint, the adjoint of padding, slicing and joining (gradcheck in
    float64: kernels of one to five taps, strides 1 to 3, padding 0 to 3, partial last
    windows, kernels narrower than the stride, taps that read only padding) and, under vmap
    (float32) at the signal CNN's layers, autograd's own gradient: bit for bit where at most two
    taps land on each position (kernel 3 at stride 2, the layers whose input has a gradient), to
    round-off at kernel 5 (three terms, summed in another order)."""
    from torch.func import vjp, vmap

    from simulators.neural.models import _Columns

    def plain(h, t, k, s, p):
        c, _, b = h.shape
        padded = torch.nn.functional.pad(h, (0, 0, p, p + s))
        taps = [padded[:, j:j + s * (t - 1) + 1:s] for j in range(k)]
        return torch.cat(taps + [torch.ones(1, t, b, dtype=h.dtype)]).reshape(k * c + 1, t * b)

    torch.manual_seed(2)
    for k, s, p, length in ((5, 2, 1, 12), (3, 2, 1, 7), (1, 2, 0, 8), (4, 3, 2, 11), (3, 1, 1, 7),
                            (2, 2, 1, 9), (1, 3, 0, 7), (2, 1, 3, 4)):
        t = (length + 2 * p - k) // s + 1
        h = torch.randn(3, length, 2, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: _Columns.apply(x, t, k, s, p), (h,))
        assert torch.equal(_Columns.apply(h, t, k, s, p), plain(h, t, k, s, p))
    for k, length in ((5, 40), (3, 19), (3, 10)):
        t = (length + 2 - k) // 2 + 1
        many, cot = torch.randn(3, 5, length, 8), torch.randn(3, k * 5 + 1, t * 8)
        got = vmap(lambda x, g: vjp(lambda y: _Columns.apply(y, t, k, 2, 1), x)[1](g)[0])(many, cot)
        want = vmap(lambda x, g: vjp(lambda y: plain(y, t, k, 2, 1), x)[1](g)[0])(many, cot)
        assert torch.equal(got, want) if k == 3 else torch.allclose(got, want, rtol=0, atol=1e-5)


def test_signal_cnn_equals_the_sequential_of_conv1d():
    """The channels-first, samples-last stack (each layer's taps copied into its columns, ReLU in
    place, the representation a transposed view) computes
    nn.Sequential(Conv1d, ReLU, ..., Flatten) and its gradients, for strides 1 to 3, kernels 1
    to 5, lengths that leave a partial block and one or two input channels, unbatched and under
    vmap (float64)."""
    from torch.func import functional_call, grad, vmap

    from simulators.neural.models import SignalCNN, SignalConv

    torch.manual_seed(1)
    for (k1, s1), (k2, s2), length, cin in (((5, 2), (3, 2), 40, 1), ((5, 2), (3, 2), 40, 2),
                                            ((3, 1), (4, 3), 17, 2), ((1, 2), (2, 2), 9, 1)):
        convs = [SignalConv(cin, 4, k1, stride=s1, padding=1), SignalConv(4, 3, k2, stride=s2, padding=k2 // 2)]
        stack = SignalCNN(convs[0], torch.nn.ReLU(), convs[1], torch.nn.ReLU(), torch.nn.Flatten()).double()
        plain = [torch.nn.Conv1d(c.in_channels, c.out_channels, c.kernel_size, stride=c.stride, padding=c.padding)
                 for c in convs]
        ref = torch.nn.Sequential(plain[0], torch.nn.ReLU(), plain[1], torch.nn.ReLU(), torch.nn.Flatten()).double()
        ref.load_state_dict(stack.state_dict())
        x = torch.randn(5, cin, length, dtype=torch.float64)
        assert torch.allclose(stack(x), ref(x), atol=1e-12)
        loss = lambda net: lambda p, x: (functional_call(net, p, (x,)) ** 2).sum()
        params = {n: v.detach() for n, v in stack.named_parameters()}
        got, want = grad(loss(stack))(params, x), grad(loss(ref))(params, x)
        assert all(torch.allclose(got[n], want[n], atol=1e-10) for n in params)
        many = {n: torch.stack([v, 1.5 * v]) for n, v in params.items()}
        got = vmap(grad(loss(stack)))(many, torch.stack([x, x.flip(-1)]))
        assert all(torch.allclose(got[n][1], grad(loss(ref))({m: v[1] for m, v in many.items()}, x.flip(-1))[n],
                                  atol=1e-10) for n in params)
    for bad in ((torch.nn.Linear(2, 2), torch.nn.Flatten()), (SignalConv(2, 2, 3), torch.nn.ReLU()),
                (torch.nn.Flatten(),)):
        with pytest.raises(TypeError, match="SignalCNN holds"):
            SignalCNN(*bad)


def test_fmmc_rule_at_200_clients_uses_the_interior_point_route():
    """Issue 28: a D-PSGD config with ``rule = "fmmc"`` on 200 clients gets certified fastest
    mixing weights in seconds (validation and training share the cached solve)."""
    from simulators.neural.experiment import mixing_for
    from theory import topology

    topology._FMMC_CACHE.clear()
    point = dict(BASE, n_clients=200, graph="paper-general", connectivity=5.0, rule="fmmc")
    W, _ = mixing_for(point)
    (_, info), = topology._FMMC_CACHE.values()
    assert W.shape == (200, 200) and info["method"] == "ipm" and info["gap"] <= 1e-9
    assert topology.slem(W) < topology.slem(mixing_for(dict(point, rule="metropolis"))[0])
