"""Encoders and method heads for the neural runs.

An :class:`SSLNet` holds an encoder (``linear``: one bias-free layer, the linear model of the
theory; ``mlp``: one hidden ReLU layer; ``cnn``: two 3x3 convolutions for 8x8 images and a
linear map to ``rep_dim``, or for signals ``(C, L)`` the published MNIST-1D CNN (Greydanus and
Kobak 2024, ``ConvBase``): three stride-2 convolutions (kernels 5, 3, 3, padding 1, ReLU after
each) whose flatten is the representation, so ``rep_dim`` = channels x the final length (125 =
25 x 5 for ``L = 40``, the published width)) and the heads of its method; its ``forward(batch)`` returns the method's loss on one client's batch, so
``torch.func.functional_call`` + ``vmap`` evaluate all clients at once with stacked parameters.
SimSiam's projector and predictor use :class:`BatchStandardize` (batch norm without running
statistics, which ``vmap`` needs); the encoder has no normalisation, so features are a pure
function of the input.

MAE options (issue 26): ``mask_channel`` feeds the encoder the keep mask as extra input channels
(features ``[x * keep, keep]``; the probe feeds an all-ones mask), so a hidden input is told
apart from a real zero, as MAE's mask tokens do; ``target = "detrended"`` reconstructs each
signal minus its least-squares line (offset and slope), the 1-D analogue of MAE's
``norm_pix_loss``, while the input stays the raw masked signal.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import losses
from .config import signal_channels


def encoder_params(params: dict) -> dict:
    """The encoder's entries of an :class:`SSLNet` parameter dict, keys without ``encoder.``."""
    return {k[len("encoder."):]: v for k, v in params.items() if k.startswith("encoder.")}


class BatchStandardize(nn.Module):
    """Batch normalisation with batch statistics only and a learnable affine map,
    ``(h - mean) / sqrt(var + 1e-5) * weight + bias`` (biased variance), computed by
    ``F.batch_norm`` in training mode without running statistics. The batch is axis -2: ``(B, k)``,
    or ``(V, B, k)`` for ``V`` views, each standardised by its own statistics (the views side by
    side as ``V k`` channels of one batch)."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(k))
        self.bias = nn.Parameter(torch.zeros(k))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if h.dim() == 2:
            return F.batch_norm(h, None, None, self.weight, self.bias, training=True, eps=1e-5)
        if h.dim() != 3:
            raise ValueError(f"BatchStandardize takes (B, k) or (V, B, k) inputs, got shape {tuple(h.shape)}")
        v, b, k = h.shape
        y = F.batch_norm(h.transpose(0, 1).reshape(b, v * k), None, None, self.weight.repeat(v),
                         self.bias.repeat(v), training=True, eps=1e-5)
        return y.reshape(b, v, k).transpose(0, 1)

    def forward_features_first(self, h: torch.Tensor, views: int) -> torch.Tensor:
        """The same map on features-first input ``(k, V B)``: ``V`` views side by side along the
        samples (view 1's ``B`` columns, then view 2's, ...), each (feature, view) standardised
        over its own ``B`` samples. ``F.batch_norm`` of the view ``(1, k V, B)``, channels
        ``(feature, view)`` and the samples its length axis: under ``vmap`` the models join the
        channels without a copy, and the gradient comes back in the input's layout (the
        ``(V, B, k)`` path copies twice each way and returns a gradient strided by sample)."""
        if h.dim() != 2 or views < 1 or h.shape[1] % views:
            raise ValueError(f"forward_features_first takes (k, views x B) inputs with views >= 1 "
                             f"dividing the columns, got shape {tuple(h.shape)} and views={views}")
        k, n = h.shape
        y = F.batch_norm(h.reshape(1, k * views, n // views), None, None,
                         self.weight.repeat_interleave(views), self.bias.repeat_interleave(views),
                         training=True, eps=1e-5)
        return y.reshape(k, n)


def heads_features_first(seq: nn.Sequential, h: torch.Tensor, views: int) -> torch.Tensor:
    """``seq`` (``Linear``, :class:`BatchStandardize` and ``ReLU`` layers) applied to features-first
    input ``(k, V B)`` (``V`` views side by side): ``W h + b`` for a ``Linear`` (one ``addmm``),
    :meth:`BatchStandardize.forward_features_first`, ReLU. The same function as ``seq`` on the
    ``(V, B, k)`` input, transposed."""
    for layer in seq:
        if isinstance(layer, nn.Linear):
            h = torch.addmm(layer.bias[:, None], layer.weight, h)
        elif isinstance(layer, BatchStandardize):
            h = layer.forward_features_first(h, views)
        elif isinstance(layer, nn.ReLU):
            h = h.relu()
        else:
            raise TypeError(f"heads_features_first takes Linear, BatchStandardize and ReLU layers, "
                            f"got {type(layer).__name__}")
    return h


class _Columns(torch.autograd.Function):
    """The columns of a convolution from a channels-last signal padded to blocks of ``s``
    positions, ``blocks`` ``(B, N, sC)``: ``cat_j blocks[:, j:j+T, :w_j]`` over the blocks a
    window spans (``w_j`` = its width in the ``j``-th block), then a column of ones (the bias's
    row of the weight matrix), ``(B, T, kC + 1)``. Its adjoint writes the first slice's gradient
    into a fresh tensor (zeros only where no first slice lands) and adds the others in place: one
    pass where autograd's slicing adjoint zero-fills a whole ``blocks``-sized tensor per slice
    and adds them (bit-identical, each entry sums the same terms in the same order for two
    slices, which is every layer after the first of the signal CNN). ``vmap`` rule generated
    (tests: gradcheck, and the adjoint under ``vmap`` against autograd's)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(blocks: torch.Tensor, out_len: int, widths: tuple) -> torch.Tensor:
        ones = blocks.new_ones(()).expand(blocks.shape[0], out_len, 1)
        return torch.cat([blocks[:, j:j + out_len, :w] for j, w in enumerate(widths)] + [ones], dim=-1)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        blocks, ctx.out_len, ctx.widths = inputs
        ctx.shape = blocks.shape

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        t, widths, (_, n, width) = ctx.out_len, ctx.widths, ctx.shape
        out = grad.new_empty(ctx.shape)
        out[:, :t, :widths[0]] = grad[..., :widths[0]]
        if widths[0] < width:
            out[:, :t, widths[0]:] = 0
        if t < n:
            out[:, t:] = 0
        start = widths[0]
        for j, w in enumerate(widths[1:], 1):
            out[:, j:j + t, :w] += grad[..., start:start + w]
            start += w
        return out, None, None


class SignalConv(nn.Conv1d):
    """``nn.Conv1d`` (same parameters and ``state_dict``) computed as columns times the weight
    matrix: under ``vmap`` over clients this is one batched matmul, faster on a CPU than the
    grouped convolution ``vmap`` makes of ``nn.Conv1d`` (benchmarks/bench_neural.py). Zero
    padding only, no dilation or groups.

    :meth:`forward_nlc` works on channels-last signals ``(B, L, C)`` (what :class:`SignalCNN`
    keeps between layers); the columns are slices of the padded signal viewed as ``(B, L/s, sC)``
    blocks of ``s`` positions (:class:`_Columns`: no index gather and no scatter-add in the
    backward pass). The padding is a ``cat`` with broadcast zeros, which writes each entry once
    (``F.pad`` zero-fills its whole output first)."""

    def forward_nlc(self, h: torch.Tensor, relu: bool = False) -> torch.Tensor:
        """``(B, L, C)`` -> ``(B, T, O)``, ``T = (L + 2p - k) // s + 1``; ``relu``: followed by a
        ReLU, applied in place to the matmul's fresh output."""
        (p,), (k,), (s,) = self.padding, self.kernel_size, self.stride
        b, length, c = h.shape
        out_len = (length + 2 * p - k) // s + 1
        extra = (-(length + 2 * p)) % s                              # pad to whole blocks of s
        zero = h.new_zeros(())
        blocks = torch.cat([zero.expand(b, p, c), h, zero.expand(b, p + extra, c)], dim=1).reshape(b, -1, s * c)
        # window t = positions s t .. s t + k - 1 = block t, t + 1, ... (the last one cut to k)
        widths = tuple(min(s, k - j * s) * c for j in range(-(-k // s)))
        cols = _Columns.apply(blocks, out_len, widths).reshape(b * out_len, k * c + 1)  # (k, C), then 1
        # (k C + 1, O): the weight ordered (k, C), then the bias. Its layout decides how autograd
        # forms the weight gradient: row-major as (k C x BT)(BT x O), column-major as
        # (O x BT)(BT x k C) transposed. Under vmap over 100 models the first is 3x faster with one
        # input channel (k C = 5), the second faster with 25 (k C = 75; measured in the README)
        w = torch.cat([self.weight.permute(0, 2, 1).reshape(-1, k * c), self.bias[:, None]], 1).t()
        out = cols @ (w.contiguous() if c == 1 else w)
        return (out.relu_() if relu else out).reshape(b, out_len, -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_nlc(x.transpose(1, 2)).transpose(1, 2)


class SignalCNN(nn.Sequential):
    """``SignalConv`` layers, each optionally followed by a ``ReLU``, then a final ``Flatten``:
    what ``nn.Sequential`` of the same children computes (the representation is the
    ``(C, L)``-ordered flatten, the parameter names are the same), with the activations
    channels-last between layers (one transpose in, one out) and each ReLU applied in place to
    the output of the convolution before it."""

    def __init__(self, *layers: nn.Module) -> None:
        super().__init__(*layers)
        kinds = [type(layer) for layer in layers]
        plan, i = [], 0
        while i < len(layers) - 1 and isinstance(layers[i], SignalConv):
            fused = isinstance(layers[i + 1], nn.ReLU)
            plan.append((i, fused))
            i += 2 if fused else 1
        if not plan or i != len(layers) - 1 or not isinstance(layers[i], nn.Flatten):
            raise TypeError(f"SignalCNN holds SignalConv layers, each optionally followed by a ReLU, "
                            f"then a final Flatten; got {[k.__name__ for k in kinds]}")
        self._plan = tuple(plan)                  # (index of a SignalConv, ReLU after it)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)
        for i, relu in self._plan:
            h = self[i].forward_nlc(h, relu=relu)
        return h.transpose(1, 2).flatten(1)


def make_encoder(arch: str, input_shape: tuple, rep_dim: int, hidden: int) -> nn.Module:
    d = math.prod(input_shape)
    if arch == "linear":
        return nn.Sequential(nn.Flatten(), nn.Linear(d, rep_dim, bias=False))
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, rep_dim))
    if arch == "cnn":
        if len(input_shape) == 2:
            c, length = input_shape
            k = signal_channels(length, rep_dim)
            return SignalCNN(SignalConv(c, k, 5, stride=2, padding=1), nn.ReLU(),
                             SignalConv(k, k, 3, stride=2, padding=1), nn.ReLU(),
                             SignalConv(k, k, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten())
        if len(input_shape) != 3:
            raise ValueError(f"arch='cnn' needs image (C, H, W) or signal (C, L) inputs, got shape "
                             f"{input_shape}")
        c, h, w = input_shape
        return nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                             nn.Linear(32 * ((h + 1) // 2) * ((w + 1) // 2), rep_dim))
    raise ValueError(f"arch must be 'linear', 'mlp' or 'cnn', got {arch!r}")


class MaskInput(nn.Module):
    """``encoder([x, keep])``: the keep mask joined to the input as extra channels (signals,
    images) or features (vectors); ``keep = None`` (the probe) joins an all-ones mask."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.inner = encoder

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        if keep is None:
            keep = torch.ones_like(x)
        return self.inner(torch.cat([x * keep, keep], dim=1))   # axis 1: channels or features


def detrend(x: torch.Tensor) -> torch.Tensor:
    """Signals ``(..., L)`` minus their least-squares line ``a + b t`` over ``t = 0 .. L-1``."""
    length = x.shape[-1]
    t = torch.arange(length, dtype=x.dtype, device=x.device)
    t = t - t.mean()
    centred = x - x.mean(-1, keepdim=True)
    slope = (centred * t).sum(-1, keepdim=True) / (t * t).sum()
    return centred - slope * t


MAE_TARGETS = ("raw", "detrended")


class SSLNet(nn.Module):
    """Encoder plus the heads of ``method`` (``mae``, ``mar``, ``simsiam``, ``spectral``).

    ``forward(batch)`` with the keys
    ``x, keep`` (mae), ``x, keep, zbar, gamma`` (mar) or ``v1, v2`` (simsiam, spectral)
    returns the scalar loss. SimSiam's heads run features-first, ``(k, 2B)``
    (:func:`heads_features_first`), where ``vmap``'s batch norm needs no copies;
    ``features_first = False`` runs them on ``(2, B, k)``, the textbook layout (the same loss).
    """

    def __init__(self, method: str, arch: str, input_shape: tuple, *, rep_dim: int = 32,
                 hidden: int = 128, mmd_distance: str = "squared", mask_channel: bool = False,
                 target: str = "raw") -> None:
        super().__init__()
        self.method, self.input_shape, self.mmd_distance = method, tuple(input_shape), mmd_distance
        if target not in MAE_TARGETS:
            raise ValueError(f"target must be one of {MAE_TARGETS}, got {target!r}")
        if target == "detrended" and len(self.input_shape) != 2:
            raise ValueError(f"target='detrended' needs signals (C, L), got input shape {self.input_shape}")
        self.mask_channel = bool(mask_channel) and method in ("mae", "mar")
        self.features_first = True
        self.target = target
        d = math.prod(input_shape)
        if self.mask_channel:
            doubled = (2 * input_shape[0], *input_shape[1:])
            self.encoder = MaskInput(make_encoder(arch, doubled, rep_dim, hidden))
        else:
            self.encoder = make_encoder(arch, input_shape, rep_dim, hidden)
        if method in ("mae", "mar"):
            self.decoder = (nn.Linear(rep_dim, d, bias=False) if arch == "linear" else
                            nn.Sequential(nn.Linear(rep_dim, hidden), nn.ReLU(), nn.Linear(hidden, d)))
        elif method == "simsiam":
            self.projector = nn.Sequential(nn.Linear(rep_dim, hidden), BatchStandardize(hidden), nn.ReLU(),
                                           nn.Linear(hidden, rep_dim), BatchStandardize(rep_dim))
            self.predictor = nn.Sequential(nn.Linear(rep_dim, hidden // 2), BatchStandardize(hidden // 2),
                                           nn.ReLU(), nn.Linear(hidden // 2, rep_dim))
        elif method == "spectral":
            self.projector = (nn.Identity() if arch == "linear" else
                              nn.Sequential(nn.Linear(rep_dim, hidden), nn.ReLU(), nn.Linear(hidden, rep_dim)))
        else:
            raise ValueError(f"method must be one of {('mae', 'mar', 'simsiam', 'spectral')}, got {method!r}")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, batch: dict) -> torch.Tensor:
        if self.method in ("mae", "mar"):
            x, keep = batch["x"], batch["keep"]
            z = self.encoder(x, keep) if self.mask_channel else self.encoder(x * keep)
            recon = self.decoder(z).reshape(x.shape)
            loss = losses.mae_loss(recon, detrend(x) if self.target == "detrended" else x, keep)
            if self.method == "mar":
                loss = loss + batch["gamma"] * losses.a_mmd(z, batch["zbar"], distance=self.mmd_distance)
            return loss
        # both views through the encoder and the heads in one call: the encoder has no batch
        # statistics, and the heads' BatchStandardize takes each view's own
        v1 = batch["v1"]
        h = self.encoder(torch.cat([v1, batch["v2"]]))
        if self.method == "simsiam" and self.features_first:
            z = heads_features_first(self.projector, h.t(), 2)          # (k, 2B)
            return losses.simsiam_loss_features_first(heads_features_first(self.predictor, z, 2), z)
        h = h.reshape(2, v1.shape[0], -1)
        z = self.projector(h)
        if self.method == "simsiam":
            p = self.predictor(z)
            return losses.simsiam_loss(p[0], p[1], z[0], z[1])
        return losses.spectral_contrastive_loss(z[0], z[1])
