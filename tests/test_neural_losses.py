"""Losses of the neural runs against direct computations; where gradients flow."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from simulators.neural import losses  # noqa: E402
from simulators.neural.models import SSLNet  # noqa: E402


def _direct_ammd(z, zb, distance):
    z, zb = z.double().numpy(), zb.double().numpy()
    pool = np.concatenate([z, zb])
    n = len(pool)
    sigma = sum(np.linalg.norm(pool[a] - pool[b]) for a in range(n) for b in range(n) if a != b) / (n * (n - 1))

    def k(u, v):
        d = np.linalg.norm(u - v)
        return math.exp(-(d ** 2 if distance == "squared" else d) / (2 * sigma ** 2))

    B = len(z)
    within = sum(k(z[a], z[b]) + k(zb[a], zb[b]) for a in range(B) for b in range(B) if a != b)
    cross = sum(k(z[a], zb[b]) for a in range(B) for b in range(B))
    return within / (B * (B - 1)) - 2 * cross / B ** 2


@pytest.mark.parametrize("distance", ["squared", "euclidean"])
def test_a_mmd_equals_direct_double_sum(distance):
    g = torch.Generator().manual_seed(0)
    z, zb = torch.randn((7, 3), generator=g, dtype=torch.float64), torch.randn((7, 3), generator=g, dtype=torch.float64) + 0.5
    got = float(losses.a_mmd(z, zb, distance=distance))
    assert got == pytest.approx(_direct_ammd(z, zb, distance), rel=1e-12, abs=1e-14)


def test_a_mmd_conventions_differ_and_bad_distance_rejected():
    g = torch.Generator().manual_seed(1)
    z, zb = torch.randn((6, 2), generator=g), torch.randn((6, 2), generator=g)
    assert float(losses.a_mmd(z, zb, distance="squared")) != pytest.approx(
        float(losses.a_mmd(z, zb, distance="euclidean")))
    with pytest.raises(ValueError, match="distance"):
        losses.a_mmd(z, zb, distance="manhattan")


def test_a_mmd_gradient_finite_at_coincident_points_and_bandwidth_detached():
    z = torch.randn((5, 3), generator=torch.Generator().manual_seed(2), requires_grad=True)
    zb = z.detach().clone()                   # the server model at the start of a round
    val = losses.a_mmd(z, zb, distance="euclidean")
    val.backward()
    assert torch.isfinite(z.grad).all()
    assert not losses.mmd_bandwidth(z, zb).requires_grad


def test_mar_gamma_schedule_endpoints():
    assert float(losses.mar_gamma(0, 10, 0.1, 1e-3)) == pytest.approx(0.1)
    assert float(losses.mar_gamma(10, 10, 0.1, 1e-3)) == pytest.approx(1e-3)
    assert float(losses.mar_gamma(5, 10, 0.1, 1e-3)) == pytest.approx((0.1 + 1e-3) / 2)
    assert float(losses.mar_gamma(25, 10, 0.1, 1e-3)) == pytest.approx(1e-3)   # clipped
    g = losses.mar_gamma(np.arange(11), 10)
    assert torch.all(g[1:] <= g[:-1])
    with pytest.raises(ValueError, match="Omega"):
        losses.mar_gamma(0, 0)
    with pytest.raises(ValueError, match="gamma_min"):
        losses.mar_gamma(0, 5, gamma_max=1e-3, gamma_min=0.1)


def test_spectral_contrastive_estimator_equals_pair_sums():
    g = torch.Generator().manual_seed(3)
    z1, z2 = torch.randn((6, 4), generator=g, dtype=torch.float64), torch.randn((6, 4), generator=g, dtype=torch.float64)
    direct = -2 * np.mean([float(z1[a] @ z2[a]) for a in range(6)]) + np.mean(
        [float(z1[a] @ z2[b]) ** 2 for a in range(6) for b in range(6) if a != b])
    assert float(losses.spectral_contrastive_loss(z1, z2)) == pytest.approx(direct, rel=1e-12)


def test_mae_loss_ignores_visible_entries():
    g = torch.Generator().manual_seed(4)
    x = torch.randn((4, 10), generator=g)
    keep = (torch.rand((4, 10), generator=g) > 0.75).float()
    recon = torch.randn((4, 10), generator=g, requires_grad=True)
    loss = losses.mae_loss(recon, x, keep)
    loss.backward()
    assert torch.all(recon.grad[keep.bool()] == 0) and torch.any(recon.grad[~keep.bool()] != 0)
    moved = recon.detach() + 5.0 * keep          # change only the visible reconstruction
    assert float(losses.mae_loss(moved, x, keep)) == pytest.approx(loss.item())


def test_simsiam_stop_gradient():
    g = torch.Generator().manual_seed(5)
    p1, p2, z1, z2 = (torch.randn((8, 3), generator=g, requires_grad=True) for _ in range(4))
    losses.simsiam_loss(p1, p2, z1, z2).backward()
    assert z1.grad is None and z2.grad is None
    assert p1.grad.abs().sum() > 0 and p2.grad.abs().sum() > 0


def test_mae_encoder_sees_only_visible_inputs():
    torch.manual_seed(0)
    net = SSLNet("mae", "mlp", (12,), rep_dim=4, hidden=8)
    x = torch.randn((5, 12))
    keep = torch.zeros((5, 12))
    keep[:, :3] = 1
    x2 = x.clone()
    x2[:, 3:] += 10.0                            # change the hidden inputs only
    assert torch.equal(net.encode(x * keep), net.encode(x2 * keep))


def test_mar_gradient_of_the_mmd_term_reaches_the_encoder_only_through_z():
    torch.manual_seed(0)
    net = SSLNet("mar", "mlp", (12,), rep_dim=4, hidden=8)
    x = torch.randn((6, 12))
    keep = (torch.rand((6, 12)) > 0.5).float()
    zbar = torch.randn((6, 4), requires_grad=True)

    def enc_grad(gamma):
        net.zero_grad()
        net({"x": x, "keep": keep, "zbar": zbar, "gamma": torch.tensor(gamma)}).backward()
        return net.encoder[1].weight.grad.clone(), net.decoder[0].weight.grad.clone()

    e0, d0 = enc_grad(0.0)
    e1, d1 = enc_grad(1.0)
    assert not torch.allclose(e0, e1)           # the A-MMD term moves the encoder
    assert torch.allclose(d0, d1)               # and not the decoder
