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
        over its own ``B`` samples. Each such row of ``B`` samples is contiguous, so the
        standardisation is ``F.layer_norm`` over the rows of ``(k, V, B)`` (the same biased
        variance and ``eps``), then the affine map per feature in one ``addcmul``: under ``vmap``
        the models join the rows without a copy, the gradient keeps the input's layout, and the
        rows' vectorised kernel beats ``F.batch_norm`` on ``(1, k V, B)`` (measured in the
        README)."""
        if h.dim() != 2 or views < 1 or h.shape[1] % views:
            raise ValueError(f"forward_features_first takes (k, views x B) inputs with views >= 1 "
                             f"dividing the columns, got shape {tuple(h.shape)} and views={views}")
        k, n = h.shape
        y = F.layer_norm(h.reshape(k, views, n // views), (n // views,), eps=1e-5)
        return torch.addcmul(self.bias[:, None, None], y, self.weight[:, None, None]).reshape(k, n)


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


def tap_ranges(length: int, out_len: int, k: int, s: int, p: int) -> list[tuple[int, int, int]]:
    """For each tap ``j`` of a kernel of ``k`` taps at stride ``s`` and zero padding ``p`` on a
    signal of ``length`` positions: ``(t0, t1, pos)``, the outputs ``t0 .. t1 - 1`` whose tap
    lands inside the signal, at positions ``pos, pos + s, ...`` (the others read padding)."""
    out = []
    for j in range(k):
        t0 = max(0, -(-(p - j) // s))
        t1 = max(t0, min(out_len, (length - 1 - j + p) // s + 1))
        out.append((t0, t1, s * t0 + j - p))
    return out


class _Columns(torch.autograd.Function):
    """The transposed columns of a convolution (kernel ``k``, stride ``s``, zero padding ``p``)
    of a channels-first, samples-last signal ``(C, L, B)``: for each tap ``j`` the positions
    ``s t + j - p``, ``t < T``, a ``(C, T, B)`` block (zero where the position falls in the
    padding), stacked tap by tap, then a row of ones (the bias's column of the weight matrix):
    ``(k C + 1, T B)``, rows ``(j, c)``, columns ``(t, b)``. Each tap's slice of the signal is
    copied into place once, in runs of ``B`` samples, and the padding is never formed. The
    adjoint writes the first tap of each residue of positions mod ``s`` into a fresh gradient
    (zeros only where no tap lands) and adds the others in place, where autograd's adjoint of
    padding and slicing zero-fills a signal-sized tensor per tap and adds them. ``vmap`` rule
    generated (tests: gradcheck, and the adjoint under ``vmap`` against autograd's)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(h: torch.Tensor, out_len: int, k: int, s: int, p: int) -> torch.Tensor:
        c, length, b = h.shape
        cols = h.new_empty(k * c + 1, out_len, b)
        for j, (t0, t1, pos) in enumerate(tap_ranges(length, out_len, k, s, p)):
            rows = cols[j * c:(j + 1) * c]
            if t0 > 0:
                rows[:, :t0] = 0
            if t1 > t0:
                rows[:, t0:t1] = h[:, pos:pos + s * (t1 - t0 - 1) + 1:s]
            if t1 < out_len:
                rows[:, t1:] = 0
        cols[k * c] = 1
        return cols.reshape(k * c + 1, out_len * b)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        h, ctx.out_len, ctx.k, ctx.s, ctx.p = inputs
        ctx.shape = h.shape

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        t, k, s, p, (c, length, b) = ctx.out_len, ctx.k, ctx.s, ctx.p, ctx.shape
        taps = grad.reshape(k * c + 1, t, b)
        out = grad.new_empty(c, length, b)
        written = set()                          # residues mod s that hold a tap's gradient
        for j, (t0, t1, pos) in enumerate(tap_ranges(length, t, k, s, p)):
            if t1 == t0:
                continue
            r = pos % s
            residue, q, n = out[:, r::s], pos // s, t1 - t0
            g = taps[j * c:(j + 1) * c, t0:t1]
            if r in written:
                residue[:, q:q + n] += g
                continue
            written.add(r)
            if q > 0:
                residue[:, :q] = 0
            residue[:, q:q + n] = g
            if q + n < residue.shape[1]:
                residue[:, q + n:] = 0
        for r in set(range(min(s, length))) - written:
            out[:, r::s] = 0
        return out, None, None, None, None


class SignalConv(nn.Conv1d):
    """``nn.Conv1d`` (same parameters and ``state_dict``) computed as the weight matrix times the
    columns: under ``vmap`` over clients this is one batched matmul, faster on a CPU than the
    grouped convolution ``vmap`` makes of ``nn.Conv1d`` (measured in the README). Zero padding
    only, no dilation or groups.

    :meth:`forward_clb` works on channels-first, samples-last signals ``(C, L, B)`` (what
    :class:`SignalCNN` keeps between layers): the output ``(O, T B)`` of ``W (O, k C + 1)`` times
    the transposed columns (:class:`_Columns`) is already the next layer's input, and the
    product has the ``T B`` columns as its long side."""

    def forward_clb(self, h: torch.Tensor, relu: bool = False) -> torch.Tensor:
        """``(C, L, B)`` -> ``(O, T, B)``, ``T = (L + 2p - k) // s + 1``; ``relu``: followed by
        a ReLU, applied in place to the matmul's fresh output."""
        (p,), (k,), (s,) = self.padding, self.kernel_size, self.stride
        c, length, b = h.shape
        out_len = (length + 2 * p - k) // s + 1
        cols = _Columns.apply(h, out_len, k, s, p)                   # (k C + 1, T B): (k, C), then 1
        w = torch.cat([self.weight.permute(0, 2, 1).reshape(-1, k * c), self.bias[:, None]], 1)
        out = w @ cols
        return (out.relu_() if relu else out).reshape(-1, out_len, b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_clb(x.permute(1, 2, 0)).permute(2, 0, 1)


class SignalCNN(nn.Sequential):
    """``SignalConv`` layers, each optionally followed by a ``ReLU``, then a final ``Flatten``:
    what ``nn.Sequential`` of the same children computes (the representation is the
    ``(C, L)``-ordered flatten, the parameter names are the same), with the activations
    channels-first and samples-last ``(C, L, B)`` between layers and each ReLU applied in place
    to the output of the convolution before it. The last layer's output ``(C, L, B)`` is the
    features-first representation ``(C L, B)`` as it stands: :meth:`forward` returns its
    transposed view, so ``h.t()`` for features-first heads copies nothing."""

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
        """``(B, C, L)`` -> ``(B, C' L')``, a transposed view of the ``(C' L', B)`` result."""
        h = x.permute(1, 2, 0)
        for i, relu in self._plan:
            h = self[i].forward_clb(h, relu=relu)
        return h.reshape(-1, h.shape[-1]).t()


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
