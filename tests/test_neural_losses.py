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


@pytest.mark.parametrize("b, k", [(6, 4), (4, 6), (5, 5)])
def test_spectral_contrastive_estimator_equals_pair_sums(b, k):
    """Both routes (the k x k Grams when B > k, the B x B cross Gram when B <= k): the value
    against the pair sums, the gradient against finite differences."""
    g = torch.Generator().manual_seed(3)
    z1, z2 = (torch.randn((b, k), generator=g, dtype=torch.float64, requires_grad=True) for _ in range(2))
    a1, a2 = z1.detach().numpy(), z2.detach().numpy()
    direct = -2 * np.mean([a1[a] @ a2[a] for a in range(b)]) + np.mean(
        [(a1[a] @ a2[c]) ** 2 for a in range(b) for c in range(b) if a != c])
    assert losses.spectral_contrastive_loss(z1, z2).item() == pytest.approx(direct, rel=1e-12)
    assert torch.autograd.gradcheck(losses.spectral_contrastive_loss, (z1, z2))


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


def test_batch_standardize_takes_each_views_own_statistics():
    from simulators.neural.models import BatchStandardize

    g = torch.Generator().manual_seed(6)
    bn = BatchStandardize(5).double()
    with torch.no_grad():
        bn.weight.copy_(torch.rand(5, generator=g, dtype=torch.float64) + 0.5)
        bn.bias.copy_(torch.randn(5, generator=g, dtype=torch.float64))
    h = torch.randn((2, 7, 5), generator=g, dtype=torch.float64) * torch.tensor([[[1.0]], [[3.0]]], dtype=torch.float64)
    both = bn(h)
    for v in range(2):
        mu, sd = h[v].mean(0), h[v].std(0, unbiased=False)
        assert torch.allclose(both[v], (h[v] - mu) / torch.sqrt(sd ** 2 + 1e-5) * bn.weight + bn.bias, atol=1e-12)
        assert torch.allclose(bn(h[v]), both[v], atol=1e-12)
    with pytest.raises(ValueError, match="BatchStandardize takes"):
        bn(h[None])


def test_batch_standardize_under_vmap_equals_the_formula_per_model():
    """Under vmap over models (each its own weight and bias, as in the batched step), the output
    and the gradients of F.batch_norm's batching rule equal the batch-norm formula applied to
    each model (float64)."""
    from torch.func import functional_call, grad, vmap

    from simulators.neural.models import BatchStandardize

    g = torch.Generator().manual_seed(9)
    bn = BatchStandardize(4).double()
    params = {"weight": torch.rand((3, 4), generator=g, dtype=torch.float64) + 0.5,
              "bias": torch.randn((3, 4), generator=g, dtype=torch.float64)}
    h, cot = (torch.randn((3, 2, 6, 4), generator=g, dtype=torch.float64) for _ in range(2))

    def formula(p, h):
        mu = h.mean(-2, keepdim=True)
        return (h - mu) / torch.sqrt(((h - mu) ** 2).mean(-2, keepdim=True) + 1e-5) * p["weight"] + p["bias"]

    got = vmap(lambda p, h: functional_call(bn, p, (h,)))(params, h)
    assert torch.allclose(got, torch.stack([formula({k: v[m] for k, v in params.items()}, h[m]) for m in range(3)]),
                          atol=1e-12)
    loss = lambda f: lambda p, h, c: (f(p, h) * c).sum()
    got_p, got_h = vmap(grad(loss(lambda p, h: functional_call(bn, p, (h,))), argnums=(0, 1)))(params, h, cot)
    want_p, want_h = vmap(grad(loss(formula), argnums=(0, 1)))(params, h, cot)
    assert all(torch.allclose(got_p[k], want_p[k], atol=1e-10) for k in params)
    assert torch.allclose(got_h, want_h, atol=1e-10)


@pytest.mark.parametrize("method", ["simsiam", "spectral"])
def test_two_view_heads_in_one_call_equal_the_heads_per_view(method):
    """The heads take both views as ``(2, B, k)``: the loss and its gradient are those of the
    heads applied to each view's features separately (each BatchStandardize on its own view)."""
    torch.manual_seed(7)
    net = SSLNet(method, "mlp", (12,), rep_dim=6, hidden=16).double()
    g = torch.Generator().manual_seed(8)
    batch = {v: torch.randn((9, 12), generator=g, dtype=torch.float64) for v in ("v1", "v2")}

    def per_view():
        z1, z2 = net.projector(net.encoder(batch["v1"])), net.projector(net.encoder(batch["v2"]))
        if method == "simsiam":
            return losses.simsiam_loss(net.predictor(z1), net.predictor(z2), z1, z2)
        return losses.spectral_contrastive_loss(z1, z2)

    params = list(net.parameters())
    one, ref = net(batch), per_view()
    assert one.item() == pytest.approx(ref.item(), rel=1e-12)
    for a, c in zip(torch.autograd.grad(one, params), torch.autograd.grad(ref, params)):
        assert torch.allclose(a, c, rtol=1e-10, atol=1e-12)


def test_simsiam_loss_features_first_equals_the_two_view_loss():
    """Both views stacked features-first, ``(k, 2B)``: the loss and the gradient of ``p`` are those
    of :func:`simsiam_loss` on the transposed views (float64), and no gradient reaches ``z``."""
    g = torch.Generator().manual_seed(11)
    p, z = (torch.randn((6, 10), generator=g, dtype=torch.float64, requires_grad=True) for _ in range(2))
    p1, p2, z1, z2 = p[:, :5].t(), p[:, 5:].t(), z[:, :5].t(), z[:, 5:].t()
    got, want = losses.simsiam_loss_features_first(p, z), losses.simsiam_loss(p1, p2, z1, z2)
    assert got.item() == pytest.approx(want.item(), rel=1e-12)
    (gp,) = torch.autograd.grad(got, p, retain_graph=True)
    (wp,) = torch.autograd.grad(want, p)
    assert torch.allclose(gp, wp, rtol=1e-10, atol=1e-13)
    got.backward()
    assert z.grad is None
    with pytest.raises(ValueError, match=r"shape \(k, 2B\)"):
        losses.simsiam_loss_features_first(p[:, :9], z[:, :9])


def test_features_first_heads_equal_the_heads_on_views():
    """``heads_features_first`` on ``(k, 2B)`` is the transpose of the heads on ``(2, B, k)`` (each
    BatchStandardize on its own view), values and gradients, float64; bad inputs are refused."""
    from torch import nn

    from simulators.neural.models import BatchStandardize, heads_features_first

    torch.manual_seed(12)
    net = SSLNet("simsiam", "mlp", (12,), rep_dim=6, hidden=16).double()
    with torch.no_grad():                          # affine maps away from their (1, 0) start
        for layer in net.modules():
            if isinstance(layer, BatchStandardize):
                layer.weight.uniform_(0.5, 1.5)
                layer.bias.normal_()
    g = torch.Generator().manual_seed(13)
    h = torch.randn((2, 9, 6), generator=g, dtype=torch.float64)
    cot = torch.randn((2, 9, 6), generator=g, dtype=torch.float64)
    params = list(net.projector.parameters())
    want = net.projector(h)
    got = heads_features_first(net.projector, h.reshape(18, 6).t(), 2)
    assert torch.allclose(got.t().reshape(2, 9, 6), want, atol=1e-12)
    for a, c in zip(torch.autograd.grad((got.t().reshape(2, 9, 6) * cot).sum(), params),
                    torch.autograd.grad((want * cot).sum(), params)):
        assert torch.allclose(a, c, rtol=1e-9, atol=1e-11)
    bn = net.projector[1]
    with pytest.raises(ValueError, match="views >= 1 dividing"):
        bn.forward_features_first(torch.zeros((16, 9), dtype=torch.float64), 2)
    with pytest.raises(TypeError, match="Linear, BatchStandardize and ReLU"):
        heads_features_first(nn.Sequential(nn.Tanh()), got, 2)


def test_simsiam_features_first_equals_the_textbook_layout_under_vmap():
    """The batched step's gradient (``vmap`` over models with their own parameters) is the same
    with SimSiam's heads features-first and on ``(2, B, k)`` (float64, the signal CNN)."""
    from torch.func import functional_call, grad_and_value, vmap

    torch.manual_seed(14)
    net = SSLNet("simsiam", "cnn", (1, 40), rep_dim=125, hidden=32).double()
    g = torch.Generator().manual_seed(15)
    params = {k: v.detach()[None] + 0.1 * torch.randn((3, *v.shape), generator=g, dtype=torch.float64)
              for k, v in net.named_parameters()}
    batch = {v: torch.randn((3, 8, 1, 40), generator=g, dtype=torch.float64) for v in ("v1", "v2")}
    step = vmap(grad_and_value(lambda p, b: functional_call(net, p, (b,))))
    net.features_first = True
    got, got_loss = step(params, batch)
    net.features_first = False
    want, want_loss = step(params, batch)
    assert torch.allclose(got_loss, want_loss, rtol=1e-12, atol=0)
    for k in params:
        # a Linear's bias just before a batch norm has gradient 0: compare on the gradient's scale
        scale = max(float(want[k].abs().max()), 1e-8)
        assert float((got[k] - want[k]).abs().max()) <= 1e-9 * scale + 1e-12, k


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
